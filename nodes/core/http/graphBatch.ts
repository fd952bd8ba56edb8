/**
 * Microsoft Graph JSON batching (`POST {version root}/$batch`): up to 20 independent
 * sub-requests per batch, each answered with its own status, headers and body. Sub-requests
 * answered 429 / 503 / 504 are sent again, alone (in a new batch of only the retried ones),
 * after their Retry-After. The token guard applies to the batch URL (sendApiRequest checks it).
 */
import { MICROSOFT_CLOUDS } from '../clouds';
import { InvalidInputError } from '../errors';
import { apiCallErrorFrom } from './apiError';
import { buildBody, type BuiltBody } from './body';
import type { ParsedBody } from './response';
import { decideRetry, describeRetryStop, type RetryPolicy, type RetryState } from './retry';
import {
	sendApiRequest,
	type ApiRequest,
	type ApiResponse,
	type GuardSettings,
	type SendDependencies,
} from './sendRequest';
import type { TokenSource } from './tokenSource';
import { redactUrl } from './url';

/** Graph's limit of sub-requests in one batch. */
export const GRAPH_BATCH_SIZE = 20;

/** Graph hosts of every Microsoft cloud. */
const GRAPH_HOSTS = new Set(
	Object.values(MICROSOFT_CLOUDS)
		.map((cloud) => {
			try {
				return new URL(cloud.graphBaseUrl).hostname.toLowerCase();
			} catch {
				return '';
			}
		})
		.concat(['dod-graph.microsoft.us'])
		.filter(Boolean),
);

/** The version root (`https://graph.microsoft.com/v1.0/`) of a Graph URL, else undefined. */
export function graphVersionRoot(url: URL): URL | undefined {
	if (url.protocol !== 'https:' || !GRAPH_HOSTS.has(url.hostname.toLowerCase())) return undefined;
	const version = /^\/(v1\.0|beta)(?:\/|$)/i.exec(url.pathname)?.[1];
	return version ? new URL(`/${version}/`, url.origin) : undefined;
}

/** Why a request cannot go in a batch (it is then sent on its own), or undefined when it can. */
export function notBatchable(request: ApiRequest, root: URL): string | undefined {
	if (request.pagination) return 'Follow Next Links is not done in batches';
	if (request.responseFormat === 'binary') return 'binary responses are not batched';
	if (request.body.body !== undefined && !isJsonBody(request.body)) return 'only JSON bodies can be batched';
	if (request.url.origin !== root.origin || !request.url.pathname.startsWith(root.pathname))
		return 'the URL is not under the batch root';
	return undefined;
}

function isJsonBody(body: BuiltBody): boolean {
	return typeof body.body === 'string' && /json/i.test(body.contentType ?? '');
}

/** The sub-request URL Graph wants: relative to the version root, with a leading slash. */
export function relativeToRoot(url: URL, root: URL): string {
	return `/${url.pathname.slice(root.pathname.length)}${url.search}`;
}

/** One item's answer inside a batch: a response like sendApiRequest's, or the error for that item. */
export type BatchOutcome = { response: ApiResponse } | { error: unknown };

interface BatchSubResponse {
	id: string;
	status: number;
	headers?: Record<string, string>;
	body?: unknown;
}

/**
 * Sends `requests` (at most 20, all batchable under `root`) as one batch, then retries the
 * throttled sub-requests alone. Returns one outcome per request, in order.
 */
export async function sendGraphBatch(
	root: URL,
	requests: ApiRequest[],
	tokens: TokenSource,
	guard: GuardSettings,
	dependencies: Partial<SendDependencies> = {},
): Promise<BatchOutcome[]> {
	if (requests.length > GRAPH_BATCH_SIZE)
		throw new InvalidInputError(
			`A batch holds at most ${GRAPH_BATCH_SIZE} requests.`,
			'Split the requests.',
			'Batch Requests',
		);
	const sleep =
		dependencies.sleep ??
		// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the core is free of n8n-workflow; this is the retry wait
		((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
	const now = dependencies.now ?? Date.now;
	const random = dependencies.random ?? Math.random;
	const outcomes: BatchOutcome[] = new Array(requests.length);
	const states: RetryState[] = requests.map(() => ({ retries: 0, waitedMs: 0 }));
	let pending = requests.map((_, index) => index);
	const batchUrl = new URL('$batch', root);
	const first = requests[0];
	while (pending.length > 0) {
		const payload = {
			requests: pending.map((index) => {
				const request = requests[index];
				const sub: Record<string, unknown> = {
					id: String(index),
					method: request.method,
					url: relativeToRoot(request.url, root),
				};
				const headers: Record<string, string> = { ...request.headers };
				if (request.body.body !== undefined) {
					sub.body = JSON.parse(request.body.body as string);
					if (headers['content-type'] === undefined) headers['content-type'] = 'application/json';
				}
				if (Object.keys(headers).length > 0) sub.headers = headers;
				return sub;
			}),
		};
		const allIdempotent = pending.every((index) => ['GET', 'HEAD', 'OPTIONS'].includes(requests[index].method));
		let answer: ApiResponse;
		try {
			answer = await sendApiRequest(
				{
					method: 'POST',
					url: batchUrl,
					headers: { accept: 'application/json' },
					body: buildBody({ type: 'json', value: payload }),
					timeoutMs: first.timeoutMs,
					responseFormat: 'json',
					neverError: false,
					// A batch refused as a whole (429 / 503) was not acted on.
					retry: { ...first.retry, retryNonIdempotent: first.retry.retryNonIdempotent || allIdempotent },
				},
				tokens,
				guard,
				dependencies,
			);
		} catch (error) {
			for (const index of pending) outcomes[index] = { error };
			return outcomes;
		}
		const responses = readSubResponses(answer.body);
		const retryNow: number[] = [];
		let delayMs = 0;
		for (const index of pending) {
			const request = requests[index];
			const sub = responses.get(String(index));
			if (!sub) {
				outcomes[index] = {
					error: new InvalidInputError(
						`The batch answer has no response for ${request.method} ${redactUrl(request.url)}.`,
						'Send the request without Batch Requests.',
						'Batch Requests',
					),
				};
				continue;
			}
			const headers = new Headers(sub.headers ?? {});
			const ok = sub.status >= 200 && sub.status < 300;
			if (!ok) {
				const decision = decideRetry(
					sub.status,
					headers.get('retry-after'),
					request.method,
					states[index],
					request.retry,
					now(),
					random,
				);
				if (decision.retry) {
					states[index].retries++;
					states[index].waitedMs += decision.delayMs;
					delayMs = Math.max(delayMs, decision.delayMs);
					retryNow.push(index);
					continue;
				}
				if (!request.neverError) {
					const body = sub.body;
					outcomes[index] = {
						error: apiCallErrorFrom(
							sub.status,
							'',
							headers,
							body,
							{ method: request.method, url: redactUrl(request.url) },
							describeRetryStop(decision, states[index], request.retry as RetryPolicy, request.method),
						),
					};
					continue;
				}
			}
			outcomes[index] = {
				response: {
					status: sub.status,
					statusText: '',
					headers,
					body: subBody(sub.body, headers),
					pages: 1,
					retries: states[index].retries,
					claimsChallenged: false,
				},
			};
		}
		pending = retryNow;
		if (pending.length > 0) await sleep(delayMs);
	}
	return outcomes;
}

function readSubResponses(body: ParsedBody): Map<string, BatchSubResponse> {
	const map = new Map<string, BatchSubResponse>();
	const value = body.kind === 'json' ? (body.value as { responses?: unknown }) : undefined;
	if (!value || !Array.isArray(value.responses)) return map;
	for (const entry of value.responses as BatchSubResponse[]) {
		if (entry && typeof entry.id === 'string' && typeof entry.status === 'number') map.set(entry.id, entry);
	}
	return map;
}

/** Graph gives JSON bodies as JSON, other bodies as a (base64) string. */
function subBody(body: unknown, headers: Headers): ParsedBody {
	if (body === undefined || body === null || body === '') return { kind: 'empty' };
	if (typeof body === 'string' && !/json/i.test(headers.get('content-type') ?? ''))
		return { kind: 'text', value: body };
	return { kind: 'json', value: body };
}
