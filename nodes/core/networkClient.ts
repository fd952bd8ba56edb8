// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { AnswerTooLargeError, readBoundedText } from './boundedBody';
import { assertDiscoveredEndpoints, DiscoveryRefusedError } from './discovery';
import { EgressRefusedError, outboundFetch } from './outbound';
import type { RenewalPermit } from './renewalLease';
import { excerpt } from './quote';

/** What the network client needs of a renewal permit; the cache session keeps the lease until n8n's save. */
type RedemptionPermit = Pick<RenewalPermit, 'written'>;

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * MSAL's HTTP client, on fetch, with two things MSAL's own lacks:
 * - a timeout on every request (MSAL's has none on POST), so a silent provider never hangs a workflow;
 * - the real cause of a failure (DNS, TLS, refused, timeout) is kept in `lastFailure`, because MSAL
 *   swallows discovery failures and reports only `endpoints_resolution_error`.
 * It also remembers the OpenID configuration document, so it can be stored with the token cache
 * and later executions skip discovery entirely.
 * Requests go through n8n's proxy settings and SSRF protection (see outbound.ts), only over https,
 * and a discovery document naming endpoints off the authority's origin is refused (discovery.ts).
 * No redirect is followed: a token request carries the client secret, an assertion, a refresh
 * token or a code, and fetch would re-send a 307's POST to wherever it points (plain http included).
 * Answers are read up to 1 MB (boundedBody.ts).
 * Nothing a server answers is quoted into an error: only its status, content type and the cause.
 */
export class MsalNetworkClient implements INetworkModule {
	lastFailure: string | undefined;
	/** An OAuth error answered to a discovery request, which MSAL reports only as endpoints_resolution_error. */
	lastDiscoveryError: OAuthErrorBody | undefined;
	openIdConfiguration: string | undefined;
	/**
	 * Set by the cache session while a person's cache is in use in queue mode: asked before a
	 * refresh token is redeemed, so no two processes redeem the same one (renewalLease.ts).
	 */
	renewalGate: (() => Promise<RedemptionPermit>) | undefined;
	/** Why the gate refused, which MSAL would report only as a network error. */
	refusedRenewal: Error | undefined;

	constructor(private readonly timeoutMs = DEFAULT_TIMEOUT_MS) {}

	async sendGetRequestAsync<T>(
		url: string,
		options?: NetworkRequestOptions,
		timeout?: number,
	): Promise<NetworkResponse<T>> {
		const response = await this.send<T>(url, 'GET', options, timeout);
		if (url.includes('/.well-known/openid-configuration')) {
			if (response.status === 200) {
				try {
					assertDiscoveredEndpoints(response.body, url);
				} catch (error) {
					this.lastFailure = (error as Error).message;
					throw error;
				}
				this.openIdConfiguration = keepWhatMsalReads(response.body);
			} else if (isOAuthErrorBody(response.body)) this.lastDiscoveryError = response.body;
		}
		return response;
	}

	async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
		if (!this.renewalGate || !redeemsRefreshToken(options)) return await this.send<T>(url, 'POST', options);
		let permit: RedemptionPermit;
		try {
			permit = await this.renewalGate();
		} catch (error) {
			this.refusedRenewal = error as Error;
			throw error;
		}
		const response = await this.send<T>(url, 'POST', options);
		if (response.status === 200) await permit.written();
		return response;
	}

	private async send<T>(
		url: string,
		method: string,
		options: NetworkRequestOptions | undefined,
		timeout?: number,
	): Promise<NetworkResponse<T>> {
		const limit = timeout ?? this.timeoutMs;
		const target = safeUrl(url);
		if (target?.protocol !== 'https:') {
			this.lastFailure = `Refused to send a ${method} request to ${target ? target.origin : 'an invalid URL'}: the identity provider is reached over https only. Nothing was sent.`;
			throw new DiscoveryRefusedError(this.lastFailure);
		}
		let response: Response;
		try {
			response = await outboundFetch(target, {
				method,
				headers: options?.headers,
				body: method === 'POST' ? (options?.body ?? '') : undefined,
				signal: AbortSignal.timeout(limit),
				redirect: 'manual',
			});
		} catch (error) {
			this.lastFailure = describeFetchFailure(error, url, limit);
			throw new Error(this.lastFailure);
		}
		if (response.status >= 300 && response.status < 400) {
			await response.body?.cancel().catch(() => undefined);
			this.lastFailure = describeRedirect(method, target, response.status, response.headers.get('location'));
			throw new Error(this.lastFailure);
		}
		let text: string;
		try {
			text = await readBoundedText(
				response,
				`${excerpt(target.host)} answered ${method} ${excerpt(target.pathname, 160)}`,
			);
		} catch (error) {
			this.lastFailure = describeFetchFailure(error, url, limit);
			throw new Error(this.lastFailure);
		}
		let body: unknown;
		try {
			body = text ? JSON.parse(text) : {};
		} catch (error) {
			// Never quoted: an error page may echo the request (secrets included) or forge log lines.
			const contentType =
				(response.headers.get('content-type') ?? '')
					.split(';')[0]
					.replace(/[^\w.+/-]/g, '')
					.slice(0, 80) || 'no content type';
			this.lastFailure = `${excerpt(target.host)} answered ${method} ${excerpt(target.pathname, 160)} with HTTP ${response.status} (${contentType}) and a body that is not JSON (${describeJsonError(error)}).`;
			throw new Error(this.lastFailure);
		}
		const headers: Record<string, string> = {};
		response.headers.forEach((value, key) => (headers[key] = value));
		if (response.status >= 400 && !isOAuthErrorBody(body)) {
			this.lastFailure = `${excerpt(target.host)} answered ${method} ${excerpt(target.pathname, 160)} with HTTP ${response.status}.`;
		}
		return { headers, body: body as T, status: response.status };
	}
}

function redeemsRefreshToken(options: NetworkRequestOptions | undefined): boolean {
	return typeof options?.body === 'string' && new URLSearchParams(options.body).get('grant_type') === 'refresh_token';
}

/** MSAL reads five fields of the OpenID configuration; the rest would only grow every stored cache. */
const OPENID_FIELDS_MSAL_READS = [
	'authorization_endpoint',
	'token_endpoint',
	'end_session_endpoint',
	'issuer',
	'jwks_uri',
];

function keepWhatMsalReads(document: unknown): string {
	const kept: Record<string, unknown> = {};
	for (const field of OPENID_FIELDS_MSAL_READS) {
		const value = (document as Record<string, unknown>)?.[field];
		if (value !== undefined) kept[field] = value;
	}
	return JSON.stringify(kept);
}

export interface OAuthErrorBody {
	error: string;
	error_description?: string;
	error_codes?: number[];
}

function isOAuthErrorBody(body: unknown): body is OAuthErrorBody {
	return typeof body === 'object' && body !== null && 'error' in body;
}

/**
 * A 3xx to a request that carries a secret or fetches signing keys: refused, never followed. Names
 * the status, the host that answered and the origin it pointed at (parsed, so nothing else of the
 * header is repeated).
 */
export function describeRedirect(method: string, target: URL, status: number, location: string | null): string {
	let to = '';
	try {
		if (location) to = ` to ${new URL(location, target).origin}`;
	} catch {
		to = ' to a location that is not a URL';
	}
	return `${excerpt(target.host)} answered ${method} ${excerpt(target.pathname, 160)} with HTTP ${status}, a redirect${to}. Redirects are not followed for identity-provider requests (they carry secrets or fetch signing keys); nothing was sent to the redirect target. Use the URL that answers directly (the authority's own host).`;
}

/** Turns fetch's generic "fetch failed" into the cause a person can act on. */
export function describeFetchFailure(error: unknown, url: string, timeoutMs: number): string {
	const host = safeHost(url);
	if (
		error instanceof EgressRefusedError ||
		error instanceof DiscoveryRefusedError ||
		error instanceof AnswerTooLargeError
	)
		return error.message;
	const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
	if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
		return `No answer from ${host} within ${Math.round(timeoutMs / 1000)} s (timeout).`;
	}
	const code = err?.cause?.code ?? '';
	const detail = err?.cause?.message ?? err?.message ?? String(error);
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
		return `The host name ${host} could not be resolved (DNS: ${code}).`;
	if (code === 'ECONNREFUSED') return `${host} refused the connection (nothing listens there).`;
	if (code === 'ECONNRESET') return `${host} closed the connection (${code}).`;
	if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `Connecting to ${host} timed out (${code}).`;
	if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code + detail)) {
		return `The TLS certificate of ${host} is not trusted (${code || detail}).`;
	}
	return `Could not reach ${host}: ${code ? `${code} ` : ''}${detail}`;
}

function safeUrl(url: string): URL | undefined {
	try {
		return new URL(url);
	} catch {
		return undefined;
	}
}

/** Where JSON.parse stopped, without the text it quotes. */
function describeJsonError(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	const position = /position (\d+)/.exec(message);
	return position ? `invalid JSON at position ${position[1]}` : 'invalid JSON';
}

function safeHost(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return url;
	}
}
