import { randomUUID } from 'node:crypto';
import type { CloudName } from '../clouds';
import { MsalNodeError } from '../errors';
import { describeFetchFailure } from '../networkClient';
import { outboundFetch } from '../outbound';
import { ApiUnreachableError, apiCallErrorFrom } from './apiError';
import type { BuiltBody } from './body';
import { claimsFromChallenge } from './claimsChallenge';
import { HARD_MAX_PAGES, PageCollector, type PaginationLimits } from './pagination';
import { DEFAULT_MAX_RESPONSE_BYTES, parseResponseBody, type ParsedBody, type ResponseFormat } from './response';
import { decideRetry, describeRetryStop, type RetryPolicy, type RetryState } from './retry';
import { assertTokenMayGo, type DomainRestriction } from './tokenGuard';
import type { TokenSource } from './tokenSource';
import { redactUrl } from './url';

export interface ApiRequest {
	method: string;
	url: URL;
	/** Validated, lower-case names; never Authorization. */
	headers: Record<string, string>;
	body: BuiltBody;
	/** Per attempt (headers and body); 0 = no timeout. */
	timeoutMs: number;
	responseFormat: ResponseFormat;
	/** Return non-2xx responses instead of throwing. */
	neverError: boolean;
	/** Follow next links; undefined = off. */
	pagination?: PaginationLimits;
	retry: RetryPolicy;
	/** Largest response body read, in bytes (per response); 0 = DEFAULT_MAX_RESPONSE_BYTES. */
	maxResponseBytes?: number;
	/**
	 * A successful binary answer comes back as a stream (still capped at maxResponseBytes), for the
	 * caller to store without holding it whole; the caller must consume or destroy it.
	 */
	streamBinary?: boolean;
}

/** Where the token may go (see tokenGuard). */
export interface GuardSettings {
	scopes: string[];
	cloud: CloudName | string | undefined;
	/** The credential's "Allowed HTTP Request Domains". */
	domains: DomainRestriction;
}

export interface ApiResponse {
	status: number;
	statusText: string;
	headers: Headers;
	/** With pagination: the merged collection as JSON. */
	body: ParsedBody;
	/** Pages fetched (pagination), else 1. */
	pages: number;
	/** Throttling retries made in all. */
	retries: number;
	/** Whether the token was renewed after a claims challenge. */
	claimsChallenged: boolean;
}

export interface SendDependencies {
	fetch: typeof fetch;
	sleep: (ms: number) => Promise<void>;
	now: () => number;
	random: () => number;
	/** Pages fetched at most when Max Pages is 0 (tests lower it). */
	pageCeiling: number;
}

const defaultDependencies: SendDependencies = {
	// n8n's proxy settings and SSRF protection (of the execution, when one is in reach).
	fetch: (input, init) => outboundFetch(input as URL | string, init ?? {}),
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the core is free of n8n-workflow; this is the retry wait
	sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
	now: () => Date.now(),
	random: Math.random,
	pageCeiling: HARD_MAX_PAGES,
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/**
 * Sends one API request with the token: checks the token guard first (request URL, next links,
 * redirects), retries throttling, answers one claims challenge with a new token, follows pages.
 * The token is only ever placed in the Authorization header of requests to guarded hosts.
 */
export async function sendApiRequest(
	request: ApiRequest,
	tokens: TokenSource,
	guard: GuardSettings,
	dependencies: Partial<SendDependencies> = {},
): Promise<ApiResponse> {
	assertTokenMayGo(request.url, guard.scopes, guard.cloud, guard.domains);
	const exchange: Exchange = {
		request,
		tokens,
		guard,
		deps: { ...defaultDependencies, ...dependencies },
		state: { retries: 0, waitedMs: 0 },
		challenge: { used: false },
	};
	const { state, challenge } = exchange;

	const first = await sendWithRetries(exchange, {
		method: request.method,
		url: request.url,
		headers: request.headers,
		body: request.body,
	});
	if (!request.pagination || first.status < 200 || first.status >= 300 || first.body.kind !== 'json') {
		return { ...first, pages: 1, retries: state.retries, claimsChallenged: challenge.used };
	}

	const collector = new PageCollector(request.pagination);
	let link = collector.add(first.body.value);
	let last = first;
	const pageHeaders = withoutContentHeaders(request.headers);
	// Every URL fetched so far: a next link back to one of them would page for ever.
	const fetched = new Set([pageKey(request.url)]);
	while (link !== undefined) {
		let next: URL;
		try {
			next = new URL(link, last.url);
		} catch {
			break;
		}
		if (fetched.has(pageKey(next))) {
			throw new PaginationError(
				`Stopped paging: page ${collector.pages} links to ${redactUrl(next)}, which was fetched before, so paging would never end. Nothing of this request is output.`,
				'The API returned a repeating next link; check the query (e.g. $skiptoken) or turn off Follow Next Links and page in the workflow.',
			);
		}
		if (request.pagination.maxPages === 0 && collector.pages >= exchange.deps.pageCeiling) {
			throw new PaginationError(
				`Stopped paging after ${exchange.deps.pageCeiling.toLocaleString('en-US')} pages, the ceiling when Max Pages is 0. Nothing of this request is output.`,
				'Set Max Pages (or Max Items) to what the workflow needs, or narrow the query (e.g. $filter, $top).',
				'Max Pages',
			);
		}
		fetched.add(pageKey(next));
		assertTokenMayGo(next, guard.scopes, guard.cloud, guard.domains, 'the next-page link');
		last = await sendWithRetries(exchange, {
			method: 'GET',
			url: next,
			headers: pageHeaders,
			body: { contentTypeFixed: false },
		});
		if (last.status < 200 || last.status >= 300 || last.body.kind !== 'json') {
			// neverError: hand back the failing page as it is.
			return { ...last, pages: collector.pages + 1, retries: state.retries, claimsChallenged: challenge.used };
		}
		link = collector.add(last.body.value);
	}
	return {
		status: last.status,
		statusText: last.statusText,
		headers: last.headers,
		body: { kind: 'json', value: collector.merged() },
		pages: collector.pages,
		retries: state.retries,
		claimsChallenged: challenge.used,
	};
}

/** Paging stopped because it would not end. */
export class PaginationError extends MsalNodeError {}

/** A page's identity: the URL without its fragment. */
function pageKey(url: URL): string {
	return url.href.replace(/#.*$/, '');
}

/** What every request made for one sendApiRequest shares: settings, retry budget, the one claims challenge. */
interface Exchange {
	request: ApiRequest;
	tokens: TokenSource;
	guard: GuardSettings;
	deps: SendDependencies;
	state: RetryState;
	challenge: { used: boolean };
}

/** One request of an exchange: the first, or a next page. */
interface Leg {
	method: string;
	url: URL;
	headers: Record<string, string>;
	body: BuiltBody;
}

interface Attempt {
	status: number;
	statusText: string;
	headers: Headers;
	body: ParsedBody;
	url: URL;
}

async function sendWithRetries(exchange: Exchange, leg: Leg): Promise<Attempt> {
	const { request, tokens, deps, state, challenge } = exchange;
	const { method, url } = leg;
	for (;;) {
		const { response, finalUrl, tokenSent } = await sendFollowingRedirects(exchange, leg, tokens.token);
		const ok = response.status >= 200 && response.status < 300;

		// Only a host that received the token may ask for a stronger one.
		if (response.status === 401 && !challenge.used && tokenSent) {
			const claims = claimsFromChallenge(response.headers.get('www-authenticate'));
			if (claims !== undefined) {
				challenge.used = true;
				await discard(response);
				await tokens.withClaims(claims);
				continue;
			}
		}

		if (!ok) {
			const decision = decideRetry(
				response.status,
				response.headers.get('retry-after'),
				method,
				state,
				request.retry,
				deps.now(),
				deps.random,
			);
			if (decision.retry) {
				await discard(response);
				state.retries++;
				state.waitedMs += decision.delayMs;
				await deps.sleep(decision.delayMs);
				continue;
			}
			// Error bodies are read as JSON/text even when the user asked for binary.
			const parsed = await readBody(
				response,
				request.responseFormat === 'binary' ? 'auto' : request.responseFormat,
				request.timeoutMs,
				url,
				request.maxResponseBytes,
			);
			if (request.neverError)
				return {
					status: response.status,
					statusText: response.statusText,
					headers: response.headers,
					body: parsed,
					url: finalUrl,
				};
			const errorBody = parsed.kind === 'json' || parsed.kind === 'text' ? parsed.value : undefined;
			throw apiCallErrorFrom(
				response.status,
				response.statusText,
				response.headers,
				errorBody,
				{ method, url: redactUrl(finalUrl) },
				describeRetryStop(decision, state, request.retry, method),
			);
		}
		const parsed = await readBody(
			response,
			request.responseFormat,
			request.timeoutMs,
			url,
			request.maxResponseBytes,
			request.streamBinary,
		);
		return {
			status: response.status,
			statusText: response.statusText,
			headers: response.headers,
			body: parsed,
			url: finalUrl,
		};
	}
}

async function sendFollowingRedirects(
	exchange: Exchange,
	leg: Leg,
	token: string,
): Promise<{ response: Response; finalUrl: URL; tokenSent: boolean }> {
	const { request, guard, deps } = exchange;
	let { url, method: currentMethod, body, headers } = leg;
	let withToken = true;
	for (let redirects = 0; ; redirects++) {
		const response = await sendOnce(
			currentMethod,
			url,
			headers,
			body,
			withToken ? token : undefined,
			request.timeoutMs,
			deps,
		);
		const location = response.headers.get('location');
		if (!REDIRECTS.has(response.status) || !location || redirects >= MAX_REDIRECTS)
			return { response, finalUrl: url, tokenSent: withToken };
		await discard(response);
		const next = new URL(location, url);
		if (response.status === 303 || ((response.status === 301 || response.status === 302) && currentMethod === 'POST')) {
			currentMethod = 'GET';
			body = { contentTypeFixed: false };
			headers = withoutContentHeaders(headers);
		}
		// The token follows a redirect only to a host it may go to; elsewhere (e.g. a pre-signed
		// download URL) the request goes on without it.
		try {
			assertTokenMayGo(next, guard.scopes, guard.cloud, guard.domains, 'the redirect target');
		} catch {
			if (withToken) {
				// Nor do the user's own headers (API keys, cookies) meant for the API.
				withToken = false;
				headers = withoutUserHeaders(headers);
			}
		}
		url = next;
	}
}

/** Keeps only headers that describe the body or the wanted answer. */
function withoutUserHeaders(headers: Record<string, string>): Record<string, string> {
	const safe = new Set(['accept', 'accept-language', 'content-type', 'content-language', 'user-agent']);
	return Object.fromEntries(Object.entries(headers).filter(([name]) => safe.has(name.toLowerCase())));
}

async function sendOnce(
	method: string,
	url: URL,
	headers: Record<string, string>,
	body: BuiltBody,
	token: string | undefined,
	timeoutMs: number,
	deps: SendDependencies,
): Promise<Response> {
	const sent: Record<string, string> = { ...headers };
	if (sent['client-request-id'] === undefined) sent['client-request-id'] = randomUUID();
	if (body.contentTypeFixed) delete sent['content-type'];
	else if (body.contentType && sent['content-type'] === undefined) sent['content-type'] = body.contentType;
	if (token !== undefined) sent.authorization = `Bearer ${token}`;
	try {
		return await deps.fetch(url, {
			method,
			headers: sent,
			body: body.body as RequestInit['body'],
			redirect: 'manual',
			signal: timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined,
		});
	} catch (error) {
		throw new ApiUnreachableError(
			`${method} ${redactUrl(url)} failed: ${describeFetchFailure(error, url.href, timeoutMs)}`,
			timeoutMs > 0 && isTimeout(error)
				? "Raise the node's Timeout, or check that the API is up."
				: 'Check the URL and that this n8n host can reach it (DNS, firewall, proxy, trusted TLS certificates).',
		);
	}
}

async function readBody(
	response: Response,
	format: ResponseFormat,
	timeoutMs: number,
	url: URL,
	maxBytes: number | undefined,
	streamBinary = false,
): Promise<ParsedBody> {
	const translate = (error: unknown) =>
		isTimeout(error)
			? new ApiUnreachableError(
					`Reading the response of ${redactUrl(url)} took longer than the timeout (${Math.round(timeoutMs / 1000)} s).`,
					"Raise the node's Timeout.",
				)
			: error;
	try {
		return await parseResponseBody(
			response,
			format,
			undefined,
			maxBytes || DEFAULT_MAX_RESPONSE_BYTES,
			streamBinary ? translate : undefined,
		);
	} catch (error) {
		throw translate(error);
	}
}

function isTimeout(error: unknown): boolean {
	const name = (error as { name?: string })?.name;
	return name === 'TimeoutError' || name === 'AbortError';
}

async function discard(response: Response): Promise<void> {
	try {
		await response.body?.cancel();
	} catch {
		// nothing to release
	}
}

function withoutContentHeaders(headers: Record<string, string>): Record<string, string> {
	if (headers['content-type'] === undefined && headers['content-length'] === undefined) return headers;
	const { 'content-type': _type, 'content-length': _length, ...rest } = headers;
	return rest;
}
