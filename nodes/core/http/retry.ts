// Ours, not undici's RetryHandler (7.x): that one cuts a longer Retry-After to maxTimeout and retries early, has no total-wait budget, and sees whole responses only, never a $batch sub-response.
/**
 * Throttling and transient-failure retries: 429, 503 and 504, honouring Retry-After (seconds or
 * an HTTP date), else exponential backoff with jitter; bounded by a number of retries and
 * a total wait. Requests that are not idempotent (POST, PATCH) are retried only when allowed.
 */
export interface RetryPolicy {
	/** Retries after the first attempt; 0 turns retrying off. */
	maxRetries: number;
	/** The sum of all waits for one request may not exceed this (ms). */
	maxTotalWaitMs: number;
	/** Retry POST / PATCH (the server may have acted on the first attempt). */
	retryNonIdempotent: boolean;
	/** First backoff step (ms) when the server gives no Retry-After. */
	baseDelayMs: number;
	/** Largest single backoff (ms). */
	maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	maxRetries: 4,
	maxTotalWaitMs: 60_000,
	retryNonIdempotent: false,
	baseDelayMs: 1_000,
	maxDelayMs: 30_000,
};

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export function isIdempotent(method: string): boolean {
	return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
	if (value === null || value === undefined) return undefined;
	const text = value.trim();
	if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
	if (!/[a-z]/i.test(text)) return undefined;
	const date = Date.parse(text);
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, date - now);
}

/** Exponential backoff with jitter: a random wait in [base·2^attempt / 2, base·2^attempt], capped. */
export function backoffDelay(retryNumber: number, policy: RetryPolicy, random: () => number = Math.random): number {
	const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryNumber);
	return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export type RetryDecision =
	| { retry: true; delayMs: number }
	| { retry: false; reason: 'not-retryable' | 'not-idempotent' | 'max-retries' | 'max-wait' };

export interface RetryState {
	/** Retries made so far for this request. */
	retries: number;
	/** Milliseconds waited so far for this request. */
	waitedMs: number;
}

/** Whether (and after how long) to retry a response with this status. */
export function decideRetry(
	status: number,
	retryAfter: string | null | undefined,
	method: string,
	state: RetryState,
	policy: RetryPolicy,
	now = Date.now(),
	random: () => number = Math.random,
): RetryDecision {
	if (!RETRYABLE_STATUSES.has(status)) return { retry: false, reason: 'not-retryable' };
	if (!policy.retryNonIdempotent && !isIdempotent(method)) return { retry: false, reason: 'not-idempotent' };
	if (state.retries >= policy.maxRetries) return { retry: false, reason: 'max-retries' };
	const delayMs = parseRetryAfter(retryAfter, now) ?? backoffDelay(state.retries, policy, random);
	if (state.waitedMs + delayMs > policy.maxTotalWaitMs) return { retry: false, reason: 'max-wait' };
	return { retry: true, delayMs };
}

/** One sentence for an error after retrying stopped. */
export function describeRetryStop(
	decision: RetryDecision,
	state: RetryState,
	policy: RetryPolicy,
	method: string,
): string | undefined {
	if (decision.retry) return undefined;
	switch (decision.reason) {
		case 'not-idempotent':
			return `${method} was not retried because the server may already have acted on it; turn on "Retry Non-Idempotent Requests" if repeating it is safe.`;
		case 'max-retries':
			return `Gave up after ${state.retries} ${state.retries === 1 ? 'retry' : 'retries'} (Max Retries is ${policy.maxRetries}).`;
		case 'max-wait':
			return `Gave up after ${state.retries} ${state.retries === 1 ? 'retry' : 'retries'}: waiting longer would exceed Max Total Wait (${Math.round(policy.maxTotalWaitMs / 1000)} s).`;
		default:
			return undefined;
	}
}
