import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * MSAL's HTTP client, on fetch, with two things MSAL's own lacks:
 * - a timeout on every request (MSAL's has none on POST), so a silent provider never hangs a workflow;
 * - the real cause of a failure (DNS, TLS, refused, timeout) is kept in `lastFailure`, because MSAL
 *   swallows discovery failures and reports only `endpoints_resolution_error`.
 * It also remembers the OpenID configuration document, so it can be stored with the token cache
 * and later executions skip discovery entirely.
 */
export class MsalNetworkClient implements INetworkModule {
	lastFailure: string | undefined;
	/** An OAuth error answered to a discovery request, which MSAL reports only as endpoints_resolution_error. */
	lastDiscoveryError: OAuthErrorBody | undefined;
	openIdConfiguration: string | undefined;

	constructor(private readonly timeoutMs = DEFAULT_TIMEOUT_MS) {}

	async sendGetRequestAsync<T>(
		url: string,
		options?: NetworkRequestOptions,
		timeout?: number,
	): Promise<NetworkResponse<T>> {
		const response = await this.send<T>(url, 'GET', options, timeout);
		if (url.includes('/.well-known/openid-configuration')) {
			if (response.status === 200) this.openIdConfiguration = keepWhatMsalReads(response.body);
			else if (isOAuthErrorBody(response.body)) this.lastDiscoveryError = response.body;
		}
		return response;
	}

	async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
		return this.send<T>(url, 'POST', options);
	}

	private async send<T>(
		url: string,
		method: string,
		options: NetworkRequestOptions | undefined,
		timeout?: number,
	): Promise<NetworkResponse<T>> {
		const limit = timeout ?? this.timeoutMs;
		let response: Response;
		try {
			response = await fetch(url, {
				method,
				headers: options?.headers,
				body: method === 'POST' ? (options?.body ?? '') : undefined,
				signal: AbortSignal.timeout(limit),
			});
		} catch (error) {
			this.lastFailure = describeFetchFailure(error, url, limit);
			throw new Error(this.lastFailure);
		}
		const text = await response.text();
		let body: unknown;
		try {
			body = text ? JSON.parse(text) : {};
		} catch {
			// A POST's answer is not quoted: a proxy's error page may echo the request, secrets included.
			const excerpt = method === 'GET' ? ` (${text.slice(0, 120).replace(/\s+/g, ' ')})` : '';
			this.lastFailure = `${new URL(url).host} answered ${method} ${new URL(url).pathname} with HTTP ${response.status} and a body that is not JSON${excerpt}.`;
			throw new Error(this.lastFailure);
		}
		const headers: Record<string, string> = {};
		response.headers.forEach((value, key) => (headers[key] = value));
		if (response.status >= 400 && !isOAuthErrorBody(body)) {
			this.lastFailure = `${new URL(url).host} answered ${method} ${new URL(url).pathname} with HTTP ${response.status}.`;
		}
		return { headers, body: body as T, status: response.status };
	}
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

/** Turns fetch's generic "fetch failed" into the cause a person can act on. */
export function describeFetchFailure(error: unknown, url: string, timeoutMs: number): string {
	const host = safeHost(url);
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

function safeHost(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return url;
	}
}
