/** Small timing helpers for the benchmarks. */

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * µs per call of `op`, sequentially awaited: `warmup` calls first, then `rounds` rounds of
 * `iterations` calls; the median round is reported.
 */
export async function microsecondsPerOp(
	op: (i: number) => Promise<unknown>,
	iterations: number,
	rounds = 5,
	warmup = 500,
): Promise<number> {
	for (let i = 0; i < warmup; i++) await op(i);
	const perRound: number[] = [];
	let i = warmup;
	for (let round = 0; round < rounds; round++) {
		const start = process.hrtime.bigint();
		for (let n = 0; n < iterations; n++) await op(i++);
		perRound.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
	}
	return median(perRound);
}

/** Runs `task` over `count` indexes with at most `limit` at once (like the Call API node). */
export async function withConcurrency(
	count: number,
	limit: number,
	task: (index: number) => Promise<void>,
): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < count) await task(next++);
	};
	await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/**
 * Like microsecondsPerOp for several operations, their rounds interleaved (a, b, c, a, b, c…) so
 * that load from elsewhere on the machine falls on all of them alike. Median round per operation.
 */
export async function interleavedMicroseconds(
	ops: Array<(i: number) => Promise<unknown>>,
	iterations: number,
	rounds = 7,
	warmup = 500,
): Promise<number[]> {
	const counters = ops.map(() => 0);
	for (const [k, op] of ops.entries()) for (let n = 0; n < warmup; n++) await op(counters[k]++);
	const perRound: number[][] = ops.map(() => []);
	for (let round = 0; round < rounds; round++) {
		for (const [k, op] of ops.entries()) {
			const start = process.hrtime.bigint();
			for (let n = 0; n < iterations; n++) await op(counters[k]++);
			perRound[k].push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
		}
	}
	return perRound.map(median);
}

export function fmt(value: number, digits = 1): string {
	return value.toFixed(digits);
}

export class FunctionalFailure extends Error {}

export function check(condition: unknown, message: string): asserts condition {
	if (!condition) throw new FunctionalFailure(message);
}
