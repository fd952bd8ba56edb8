// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- undici is Node's own fetch engine, needed for a dispatcher that never uses a proxy
import { Agent, fetch as undiciFetch } from 'undici';
import { readBoundedText } from '../boundedBody';
import { describeFetchFailure } from '../networkClient';
import { processWide } from '../processWide';

const CONNECT_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** What the last answer of the managed identity endpoint was, for error translation. */
export interface EndpointFailure {
	/** HTTP status, or undefined when no answer came (connection failed). */
	status?: number;
	/** The error code the endpoint gave, when it is a plain identifier (never its message). */
	code?: string;
	/** One sentence, with no text of the endpoint's body. */
	description: string;
	host: string;
}

/**
 * A direct connection, never through a proxy: the managed identity endpoint is on the host
 * itself (App Service, Container Apps, Arc: localhost) or link-local (IMDS 169.254.169.254), and a
 * proxy cannot reach it for this machine (Azure's SDKs exclude it from proxying too). A short
 * connect timeout: a host with no endpoint must fail in seconds, not hang the workflow.
 */
const directAgent = processWide(
	'managedIdentityDirectAgent',
	() => new Agent({ connect: { timeout: CONNECT_TIMEOUT_MS } }),
);

/**
 * MSAL's HTTP client for a managed identity endpoint.
 * - Not n8n's SSRF filter: the endpoint comes from the platform's environment variables (or
 *   IMDS's fixed address), never from workflow input, and it is loopback or link-local by design.
 * - Plain http is allowed, as the platforms serve it (local traffic that never leaves the host).
 * - An error answer reaches MSAL without its message, so nothing the endpoint wrote is ever
 *   quoted into an error; the status and a plain error code are kept in `lastFailure`.
 */
export class ManagedIdentityEndpointClient implements INetworkModule {
	lastFailure: EndpointFailure | undefined;

	constructor(private readonly timeoutMs = REQUEST_TIMEOUT_MS) {}

	async sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
		return await this.send<T>(url, 'GET', options);
	}

	async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
		return await this.send<T>(url, 'POST', options);
	}

	private async send<T>(url: string, method: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
		const target = new URL(url);
		const host = target.host;
		let response: Awaited<ReturnType<typeof undiciFetch>>;
		try {
			response = await undiciFetch(target, {
				method,
				headers: options?.headers,
				body: method === 'POST' ? (options?.body ?? '') : undefined,
				signal: AbortSignal.timeout(this.timeoutMs),
				dispatcher: directAgent,
				redirect: 'manual',
			});
		} catch (error) {
			this.lastFailure = { host, description: describeFetchFailure(error, url, this.timeoutMs) };
			throw new Error(this.lastFailure.description);
		}
		let text: string;
		try {
			// Bounded: the endpoint answers about 2 KB, and a host process must not buffer more.
			text = await readBoundedText(
				response,
				`The managed identity endpoint (${host}) answered HTTP ${response.status}`,
			);
		} catch (error) {
			this.lastFailure = {
				host,
				status: response.status,
				description: describeFetchFailure(error, url, this.timeoutMs),
			};
			throw new Error(this.lastFailure.description);
		}
		let body: unknown;
		try {
			body = text ? JSON.parse(text) : {};
		} catch {
			body = undefined;
		}
		const headers: Record<string, string> = {};
		response.headers.forEach((value, key) => (headers[key] = value));
		if (response.status >= 200 && response.status < 300 && typeof body === 'object' && body !== null) {
			return { headers, body: body as T, status: response.status };
		}
		const code = errorCodeOf(body);
		this.lastFailure = {
			host,
			status: response.status,
			code,
			description: `The managed identity endpoint (${host}) answered HTTP ${response.status}${code ? ` (${code})` : ''}${body === undefined ? ' with a body that is not JSON' : ''}.`,
		};
		// MSAL builds its error from the body: give it the status and the plain code only.
		return {
			headers,
			body: { error: code ?? 'managed_identity_endpoint_error' } as T,
			status: response.status >= 200 && response.status < 300 ? 500 : response.status,
		};
	}
}

/** The endpoint's error code when it is a plain identifier (`{error: "x"}` or `{error: {code: "x"}}`). */
function errorCodeOf(body: unknown): string | undefined {
	if (typeof body !== 'object' || body === null) return undefined;
	const raw = (body as { error?: unknown }).error;
	const code = typeof raw === 'string' ? raw : (raw as { code?: unknown } | undefined)?.code;
	return typeof code === 'string' && /^[A-Za-z][\w.-]{0,63}$/.test(code) ? code : undefined;
}
