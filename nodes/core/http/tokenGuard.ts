import type { CloudName } from '../clouds';
import { MICROSOFT_CLOUDS } from '../clouds';
import { InvalidInputError } from '../errors';
import { isLoopbackHost } from '../loopback';
import { resourceOfScope } from '../scopes';
import { hostMatches, knownApiByResource, knownApiCloud } from './knownApis';
import { excerpt, quote } from '../quote';

/**
 * The token guard. n8n's "Allowed HTTP Request Domains" of the credential keeps n8n's meaning:
 * - All: a token goes only to a host that belongs to the token's resource (the scope's resource
 *   URI host, or Microsoft's known hosts of that API in the cloud);
 * - Specific Domains: only to the listed domains (whatever the scope, derived from the URL or not);
 * - None: nowhere.
 * Checked before every request, including next-page links and redirects, so a token for
 * Microsoft Graph never reaches an arbitrary URL.
 */
export class TokenGuardError extends InvalidInputError {}

export const ALLOWED_HOSTS_FIELD = 'Allowed Domains (credential)';

/** OpenID Connect scopes that name no resource. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

export interface HostPattern {
	/** Exact host name or "*.suffix", lower case. */
	host: string;
	/** Only this port, when the entry named one. */
	port?: string;
}

/** The credential's "Allowed HTTP Request Domains" setting, read. */
export type DomainRestriction = { mode: 'all' } | { mode: 'domains'; hosts: HostPattern[] } | { mode: 'none' };

/**
 * Reads n8n's two domain-restriction fields. An unknown or missing mode is All (records saved
 * before n8n added the fields); Specific Domains with an empty list allows nothing, as in n8n.
 */
export function domainRestriction(mode: unknown, allowedDomains: unknown): DomainRestriction {
	if (mode === 'none') return { mode: 'none' };
	if (mode === 'domains')
		return { mode: 'domains', hosts: parseAllowedHosts(typeof allowedDomains === 'string' ? allowedDomains : '') };
	return { mode: 'all' };
}

/** Parses the credential's "Allowed Domains" (n8n's domain restriction): comma, space or new-line separated host names. */
export function parseAllowedHosts(raw: string | undefined, field = ALLOWED_HOSTS_FIELD): HostPattern[] {
	const entries = (raw ?? '')
		.split(/[\s,;]+/)
		.map((entry) => entry.trim())
		.filter(Boolean);
	return entries.map((entry) => {
		const match = /^(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i.exec(entry);
		if (!match || (match[1] && !match[2].includes('.') && !match[2].startsWith('['))) {
			throw new InvalidInputError(
				`Allowed host ${quote(entry)} is not a host name.`,
				'Enter host names only, without https:// or a path, separated by commas, e.g. contoso.sharepoint.com, *.crm.dynamics.com, api.contoso.com:8443.',
				field,
			);
		}
		return { host: `${match[1] ?? ''}${match[2]}`.toLowerCase(), port: match[3] };
	});
}

/** The host names (or `*.suffix` patterns) that serve a scope's resource. Empty when the resource has no host (api://…). */
export function hostsOfScope(scope: string, cloud: CloudName | string | undefined): string[] {
	let resource = resourceOfScope(scope);
	if (resource === undefined) {
		// A bare delegated permission ("User.Read") is a Microsoft Graph permission.
		if (OIDC_SCOPES.has(scope.toLowerCase()) || scope.includes('://')) return [];
		resource = MICROSOFT_CLOUDS[knownApiCloud(cloud)].graphBaseUrl;
	}
	const hosts = new Set<string>();
	try {
		const url = new URL(resource);
		if (url.protocol === 'https:' || url.protocol === 'http:') hosts.add(url.hostname.toLowerCase());
	} catch {
		// not a URL: no host of its own
	}
	for (const host of knownApiByResource(resource, cloud)?.hosts ?? []) hosts.add(host);
	return [...hosts];
}

/**
 * Whether `url` belongs to one of the scopes' resources: the resource URI's own origin (host
 * AND port: another port on the same host is another server), or one of Microsoft's known
 * hosts of that API.
 */
export function urlBelongsToScopes(url: URL, scopes: string[], cloud: CloudName | string | undefined): boolean {
	return scopes.some((scope) => {
		const resource = resourceOfScope(scope);
		const own = resource === undefined ? undefined : resourceOrigin(resource);
		if (own && own.hostname === url.hostname.toLowerCase()) return own.port === effectivePort(url);
		return hostsOfScope(scope, cloud).some((pattern) => hostMatches(url.hostname, pattern));
	});
}

/** "host:port" when `host` is the scope's own resource host and the resource names a non-default port. */
function withResourcePort(scope: string, host: string): string {
	const resource = resourceOfScope(scope);
	if (resource === undefined) return host;
	try {
		const url = new URL(resource);
		return url.hostname.toLowerCase() === host && url.port ? `${host}:${url.port}` : host;
	} catch {
		return host;
	}
}

function effectivePort(url: URL): string {
	return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/** Host name and port of a resource URI that is an http(s) URL. */
function resourceOrigin(resource: string): { hostname: string; port: string } | undefined {
	try {
		const url = new URL(resource);
		if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
		return { hostname: url.hostname.toLowerCase(), port: effectivePort(url) };
	} catch {
		return undefined;
	}
}

function isAllowed(url: URL, allowed: HostPattern[]): boolean {
	const port = url.port || (url.protocol === 'https:' ? '443' : '80');
	return allowed.some(
		(entry) => hostMatches(url.hostname, entry.host) && (entry.port === undefined || entry.port === port),
	);
}

/**
 * Throws a TokenGuardError when a token for `scopes` must not be sent to `url` under the
 * credential's domain restriction. `purpose` says which URL it is (the request URL, a next-page
 * link, a redirect) for the error message.
 */
export function assertTokenMayGo(
	url: URL,
	scopes: string[],
	cloud: CloudName | string | undefined,
	domains: DomainRestriction,
	purpose = 'the URL',
	field = 'URL',
): void {
	if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) {
		throw new TokenGuardError(
			`Refused to send the access token to ${excerpt(url.origin)}: ${purpose} is not HTTPS, and a token sent in clear text can be stolen.`,
			'Use an https:// URL.',
			field,
		);
	}
	if (domains.mode === 'none') {
		throw new TokenGuardError(
			`Refused to send the access token to ${excerpt(url.hostname)}: the credential's "Allowed HTTP Request Domains" is None, which blocks every request made with it. Nothing was sent.`,
			'Set the credential\'s "Allowed HTTP Request Domains" to All (tokens then go only to their API\'s hosts) or to Specific Domains.',
			field,
		);
	}
	if (domains.mode === 'domains') {
		if (isAllowed(url, domains.hosts)) return;
		const listed = domains.hosts.map((entry) => (entry.port ? `${entry.host}:${entry.port}` : entry.host));
		throw new TokenGuardError(
			`Refused to send the access token to ${excerpt(url.hostname)}: ${purpose} is not in the credential's Allowed Domains (${listed.length > 0 ? excerpt(listed.join(', '), 300) : 'none listed'}). Nothing was sent.`,
			`Add ${quote(url.hostname)} to the credential's "Allowed Domains", or set "Allowed HTTP Request Domains" to All to let tokens go to their API's own hosts.`,
			field,
		);
	}
	if (urlBelongsToScopes(url, scopes, cloud)) return;
	const resourceHosts = [
		...new Set(scopes.flatMap((scope) => hostsOfScope(scope, cloud).map((host) => withResourcePort(scope, host)))),
	];
	const belongs =
		resourceHosts.length > 0 ? `it is for ${resourceHosts.join(', ')}` : 'its resource has no host of its own';
	throw new TokenGuardError(
		`Refused to send the access token for ${quote(scopes.join(' '))} to ${excerpt(url.hostname)}: ${purpose} is not on a host of the token's API (${belongs}). Nothing was sent.`,
		`If ${excerpt(url.hostname)} is meant to receive this token, set the credential's "Allowed HTTP Request Domains" to Specific Domains and list ${quote(url.hostname)} (and any other host the credential must reach) in "Allowed Domains"; if the URL is for another API, set the node's Scope to that API's resource followed by "/.default".`,
		field,
	);
}
