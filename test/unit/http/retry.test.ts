import { describe, expect, it } from '@jest/globals';
import {
	backoffDelay,
	decideRetry,
	DEFAULT_RETRY_POLICY,
	describeRetryStop,
	parseRetryAfter,
} from '../../../nodes/core/http/retry';

const policy = {
	...DEFAULT_RETRY_POLICY,
	maxRetries: 3,
	maxTotalWaitMs: 10_000,
	baseDelayMs: 1_000,
	maxDelayMs: 8_000,
};
const fresh = () => ({ retries: 0, waitedMs: 0 });

describe('Retry-After', () => {
	const now = Date.parse('2025-01-01T00:00:00Z');
	it('reads seconds and HTTP dates', () => {
		expect(parseRetryAfter('2', now)).toBe(2000);
		expect(parseRetryAfter(' 0 ', now)).toBe(0);
		expect(parseRetryAfter('1.5', now)).toBe(1500);
		expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
		expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
	});
	it('ignores absent or unreadable values', () => {
		expect(parseRetryAfter(null, now)).toBeUndefined();
		expect(parseRetryAfter('soon', now)).toBeUndefined();
		expect(parseRetryAfter('-1', now)).toBeUndefined();
	});
});

describe('retry decisions', () => {
	it('retries 429, 503 and 504 only', () => {
		for (const status of [429, 503, 504]) expect(decideRetry(status, '1', 'GET', fresh(), policy).retry).toBe(true);
		for (const status of [400, 401, 403, 404, 500, 502])
			expect(decideRetry(status, '1', 'GET', fresh(), policy)).toEqual({ retry: false, reason: 'not-retryable' });
	});

	it('honours Retry-After', () => {
		expect(decideRetry(429, '2', 'GET', fresh(), policy)).toEqual({ retry: true, delayMs: 2000 });
	});

	it('backs off exponentially with jitter without Retry-After', () => {
		expect(backoffDelay(0, policy, () => 0)).toBe(500);
		expect(backoffDelay(0, policy, () => 1)).toBe(1000);
		expect(backoffDelay(2, policy, () => 1)).toBe(4000);
		expect(backoffDelay(10, policy, () => 1)).toBe(8000);
		const delay = decideRetry(503, null, 'GET', { retries: 1, waitedMs: 0 }, policy, Date.now(), () => 0.5);
		expect(delay).toEqual({ retry: true, delayMs: 1500 });
	});

	it('does not retry POST or PATCH unless allowed', () => {
		expect(decideRetry(429, '1', 'POST', fresh(), policy)).toEqual({ retry: false, reason: 'not-idempotent' });
		expect(decideRetry(503, '1', 'PATCH', fresh(), policy)).toEqual({ retry: false, reason: 'not-idempotent' });
		expect(decideRetry(429, '1', 'POST', fresh(), { ...policy, retryNonIdempotent: true }).retry).toBe(true);
		for (const method of ['PUT', 'DELETE', 'HEAD', 'OPTIONS'])
			expect(decideRetry(429, '1', method, fresh(), policy).retry).toBe(true);
	});

	it('stops at Max Retries and Max Total Wait, and says so', () => {
		const atLimit = { retries: 3, waitedMs: 3000 };
		const stop = decideRetry(503, '1', 'GET', atLimit, policy);
		expect(stop).toEqual({ retry: false, reason: 'max-retries' });
		expect(describeRetryStop(stop, atLimit, policy, 'GET')).toBe('Gave up after 3 retries (Max Retries is 3).');
		const waited = { retries: 1, waitedMs: 9000 };
		const tooLong = decideRetry(429, '2', 'GET', waited, policy);
		expect(tooLong).toEqual({ retry: false, reason: 'max-wait' });
		expect(describeRetryStop(tooLong, waited, policy, 'GET')).toMatch(/Max Total Wait \(10 s\)/);
		expect(describeRetryStop({ retry: false, reason: 'not-idempotent' }, fresh(), policy, 'POST')).toMatch(
			/Retry Non-Idempotent Requests/,
		);
		expect(decideRetry(429, '1', 'GET', fresh(), { ...policy, maxRetries: 0 })).toEqual({
			retry: false,
			reason: 'max-retries',
		});
	});
});
