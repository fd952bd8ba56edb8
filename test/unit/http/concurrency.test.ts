import { describe, expect, it } from '@jest/globals';
import { mapWithConcurrency } from '../../../nodes/core/http/concurrency';
import { TokenSource } from '../../../nodes/core/http/tokenSource';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('bounded concurrency', () => {
	it('keeps input order and never runs more than the limit', async () => {
		let running = 0;
		let peak = 0;
		const inputs = Array.from({ length: 40 }, (_, i) => i);
		const results = await mapWithConcurrency(inputs, 5, async (n) => {
			running++;
			peak = Math.max(peak, running);
			await delay((n * 7) % 5);
			running--;
			return n * 2;
		});
		expect(results).toEqual(inputs.map((n) => n * 2));
		expect(peak).toBe(5);
	});

	it('handles empty input and limits above the input size', async () => {
		expect(await mapWithConcurrency([], 5, async () => 1)).toEqual([]);
		expect(await mapWithConcurrency([1, 2], 50, async (n) => n)).toEqual([1, 2]);
	});

	it('starts no new task after one fails', async () => {
		const started: number[] = [];
		await expect(
			mapWithConcurrency([0, 1, 2, 3, 4, 5], 2, async (n) => {
				started.push(n);
				await delay(1);
				if (n === 1) throw new Error('boom');
				return n;
			}),
		).rejects.toThrow('boom');
		await delay(10);
		expect(started.length).toBeLessThan(6);
	});
});

describe('token source', () => {
	it('acquires once per distinct claims value however many requests meet the challenge', async () => {
		const acquired: string[] = [];
		const source = new TokenSource('t0', async (claims) => {
			acquired.push(claims);
			await delay(5);
			return `t-${acquired.length}`;
		});
		expect(source.token).toBe('t0');
		const tokens = await Promise.all([
			source.withClaims('{"a":1}'),
			source.withClaims('{"a":1}'),
			source.withClaims('{"a":1}'),
		]);
		expect(tokens).toEqual(['t-1', 't-1', 't-1']);
		expect(acquired).toEqual(['{"a":1}']);
		expect(source.token).toBe('t-1');
		await source.withClaims('{"a":1}');
		expect(acquired).toHaveLength(1);
	});

	it('keeps a failed acquisition for the same claims', async () => {
		let calls = 0;
		const source = new TokenSource('t0', async () => {
			calls++;
			throw new Error('sign-in needed');
		});
		await expect(source.withClaims('c')).rejects.toThrow('sign-in needed');
		await expect(source.withClaims('c')).rejects.toThrow('sign-in needed');
		expect(calls).toBe(1);
		expect(source.token).toBe('t0');
	});
});
