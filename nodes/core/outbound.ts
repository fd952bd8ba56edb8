// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, allowed for self-hosted n8n
import { AsyncLocalStorage } from 'node:async_hooks';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, allowed for self-hosted n8n
import { lookup as dnsLookup } from 'node:dns';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- undici is Node's own fetch engine, needed for proxy and SSRF-filtered dispatch
import { Agent, ProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- n8n's own proxy rules, from the package n8n uses for them (self-hosted only, README: n8n Cloud)
import { getProxyForUrl } from 'proxy-from-env';
import { isLoopbackHost } from './loopback';
import { processWide } from './processWide';

/**
 * Every request the package makes (identity provider and Call API) goes through here, so it
 * honours what n8n applies to its own nodes' traffic:
 * - the proxy variables HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY (and npm_config_*
 *   spellings), decided by `proxy-from-env`, the package n8n's network layer uses;
 * - n8n's SSRF protection (N8N_SSRF_PROTECTION_ENABLED and the N8N_SSRF_* lists), which n8n
 *   hands to nodes as `helpers.getSecureEgressFilter()`: the URL is validated before any
 *   connection, and the connection's DNS lookup is the filter's, so a name that re-resolves to a
 *   blocked address is refused too.
 * Without a proxy for the URL and without SSRF protection, the global fetch is used as is.
 */

/** n8n-workflow's NodeEgressFilter (n8n ≥ 2.38), structurally: the package must load on older n8n too. */
export interface EgressFilter {
	validateUrl(url: string | URL): Promise<{ ok: true } | { ok: false; error: Error }>;
	createSecureLookup(): unknown;
}

/** Thrown when n8n's SSRF protection refuses a URL; nothing was sent. */
export class EgressRefusedError extends Error {
	constructor(
		readonly host: string,
		readonly reason: string,
	) {
		super(
			`n8n's SSRF protection refused ${host} (${reason}). Nothing was sent. The N8N_SSRF_* settings of this n8n decide which hosts and addresses nodes may reach.`,
		);
		this.name = 'EgressRefusedError';
	}
}

const egressContext = processWide('egressFilter', () => new AsyncLocalStorage<EgressFilter | undefined>());

/** Runs `work` with n8n's egress filter in reach of the identity-provider client (MSAL's network module). */
export function withEgressFilter<T>(filter: EgressFilter | undefined, work: () => T): T {
	return egressContext.run(usable(filter), work);
}

/** The egress filter of the n8n execution this code runs in, if n8n applies one. */
export function currentEgressFilter(): EgressFilter | undefined {
	return egressContext.getStore();
}

/** n8n hands out a pass-through filter (its lookup is dns.lookup) when SSRF protection is off. */
function usable(filter: EgressFilter | undefined): EgressFilter | undefined {
	if (!filter || typeof filter.validateUrl !== 'function' || typeof filter.createSecureLookup !== 'function')
		return undefined;
	try {
		return filter.createSecureLookup() === dnsLookup ? undefined : filter;
	} catch {
		return filter;
	}
}

/** The egress filter of a node's helpers (n8n ≥ 2.38), or undefined. */
export function egressFilterOf(helpers: unknown): EgressFilter | undefined {
	const get = (helpers as { getSecureEgressFilter?: () => EgressFilter } | undefined)?.getSecureEgressFilter;
	if (typeof get !== 'function') return undefined;
	try {
		return usable(get.call(helpers));
	} catch {
		return undefined;
	}
}

/**
 * The proxy URL for a request, or undefined for a direct connection. The proxy variables are
 * decided by proxy-from-env 1.x, the package n8n's own network layer (@n8n/backend-network) uses,
 * so the rules cannot drift from n8n's; the one exception is ours (plain http to loopback).
 */
export function proxyFor(url: URL): string | undefined {
	// Plain http to this machine goes direct: through a proxy it would leave the machine in clear
	// text, bearer included (the token guard allows http only because loopback stays local).
	// HTTPS to loopback keeps n8n's rule (proxied unless NO_PROXY says otherwise): TLS protects it.
	if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
	// The library reads only protocol, host and port, which a WHATWG URL has; handed a string it
	// would call url.parse, which Node 24 flags at runtime as deprecated (DEP0169).
	return getProxyForUrl(url as unknown as Parameters<typeof getProxyForUrl>[0]) || undefined;
}

const DIRECT = 'direct';
const MAX_DISPATCHERS = 32;
/** Dispatchers per egress filter (or none) and proxy URL, kept for their connection pools. */
const dispatchers = processWide('outboundDispatchers', () => ({
	plain: new Map<string, Dispatcher>(),
	filtered: new WeakMap<EgressFilter, Map<string, Dispatcher>>(),
}));

function dispatcherFor(proxy: string | undefined, filter: EgressFilter | undefined): Dispatcher | undefined {
	if (!proxy && !filter) return undefined;
	let pool = filter ? dispatchers.filtered.get(filter) : dispatchers.plain;
	if (!pool) {
		pool = new Map();
		if (filter) dispatchers.filtered.set(filter, pool);
	}
	const key = proxy ?? DIRECT;
	let dispatcher = pool.get(key);
	if (!dispatcher) {
		const lookup = filter ? (filter.createSecureLookup() as never) : undefined;
		dispatcher = proxy
			? new ProxyAgent({ uri: proxy, ...(lookup ? { proxyTls: { lookup } } : {}) })
			: new Agent({ connect: { lookup } });
		if (pool.size < MAX_DISPATCHERS) pool.set(key, dispatcher);
	}
	return dispatcher;
}

/**
 * fetch for one outbound request: n8n's SSRF filter first (when n8n applies one), then through the
 * proxy the environment names for this URL, or directly.
 */
export async function outboundFetch(
	input: URL | string,
	init: RequestInit,
	filter: EgressFilter | undefined = currentEgressFilter(),
): Promise<Response> {
	const url = typeof input === 'string' ? new URL(input) : input;
	if (filter) {
		const verdict = await filter.validateUrl(url);
		if (!verdict.ok) throw new EgressRefusedError(url.host, verdict.error?.message ?? 'blocked');
	}
	const dispatcher = dispatcherFor(proxyFor(url), filter);
	if (!dispatcher) return await fetch(url, init);
	// undici's own fetch with its own dispatcher: the global fetch of Node 20 bundles an older undici.
	return (await undiciFetch(url, { ...(await portable(init)), dispatcher } as never)) as unknown as Response;
}

/**
 * undici's fetch does not recognise the global FormData (another copy of the class) and would
 * send "[object FormData]": a multipart body is encoded here, with its boundary, as the global
 * fetch would have.
 */
async function portable(init: RequestInit): Promise<RequestInit> {
	if (!(init.body instanceof FormData)) return init;
	const encoded = new Response(init.body);
	const headers = new Headers(init.headers);
	headers.set('content-type', encoded.headers.get('content-type') ?? 'multipart/form-data');
	return { ...init, headers, body: new Uint8Array(await encoded.arrayBuffer()) };
}
