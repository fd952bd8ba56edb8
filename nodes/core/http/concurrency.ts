/**
 * Runs `task` over `inputs` with at most `limit` running at once; results keep the input order.
 * When a task throws, no new task starts and the map rejects with that error (callers that want
 * per-item errors catch inside the task).
 */
export async function mapWithConcurrency<T, R>(
	inputs: readonly T[],
	limit: number,
	task: (input: T, index: number) => Promise<R>,
): Promise<R[]> {
	const results: R[] = new Array(inputs.length);
	const workers = Math.max(1, Math.min(Math.floor(limit) || 1, inputs.length));
	let next = 0;
	let failed = false;
	const worker = async (): Promise<void> => {
		while (!failed && next < inputs.length) {
			const index = next++;
			try {
				results[index] = await task(inputs[index], index);
			} catch (error) {
				failed = true;
				throw error;
			}
		}
	};
	await Promise.all(Array.from({ length: workers }, worker));
	return results;
}
