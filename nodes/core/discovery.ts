/**
 * The endpoints an OpenID configuration document may name. MSAL follows whatever a discovery
 * document says; a custom authority (or whoever controls its answers) could otherwise make the
 * n8n server send client secrets, assertions, refresh tokens or device codes to another host,
 * or to internal addresses. Every endpoint MSAL uses must be https and on the authority's own
 * origin, or — for an authority on a Microsoft sign-in host — on a Microsoft sign-in host of the
 * same cloud.
 */
export const DISCOVERED_ENDPOINTS = [
	'token_endpoint',
	'authorization_endpoint',
	'device_authorization_endpoint',
	'jwks_uri',
	'end_session_endpoint',
];

/** Microsoft Entra sign-in hosts, per cloud; Entra's discovery documents name only these. */
export const MICROSOFT_SIGN_IN_HOSTS: string[][] = [
	['login.microsoftonline.com', 'login.microsoft.com', 'login.windows.net', 'sts.windows.net'],
	['login.microsoftonline.us', 'login.usgovcloudapi.net'],
	['login.chinacloudapi.cn', 'login.partner.microsoftonline.cn'],
];

/** Refused before anything was sent to the URL. */
export class DiscoveryRefusedError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'DiscoveryRefusedError';
	}
}

/** Whether `endpoint` may serve the authority whose discovery document came from `discoveryUrl`. */
export function endpointAllowed(endpoint: URL, discoveryUrl: URL): boolean {
	if (endpoint.protocol !== 'https:') return false;
	if (endpoint.origin === discoveryUrl.origin) return true;
	const authorityHost = discoveryUrl.hostname.toLowerCase();
	const endpointHost = endpoint.hostname.toLowerCase();
	return MICROSOFT_SIGN_IN_HOSTS.some(
		(cloud) =>
			cloud.includes(authorityHost) &&
			cloud.includes(endpointHost) &&
			(endpoint.port === '' || endpoint.port === '443'),
	);
}

/** Throws a DiscoveryRefusedError naming the first endpoint of `document` that is not allowed. */
export function assertDiscoveredEndpoints(document: unknown, discoveryUrl: string): void {
	const source = new URL(discoveryUrl);
	const fields = (typeof document === 'object' && document !== null ? document : {}) as Record<string, unknown>;
	for (const field of DISCOVERED_ENDPOINTS) {
		const value = fields[field];
		if (value === undefined) continue;
		let endpoint: URL | undefined;
		try {
			endpoint = typeof value === 'string' ? new URL(value) : undefined;
		} catch {
			endpoint = undefined;
		}
		if (!endpoint || !endpointAllowed(endpoint, source)) {
			const where = endpoint ? endpoint.origin : 'a value that is not a URL';
			throw new DiscoveryRefusedError(
				`The OpenID configuration of ${source.host} names its ${field} at ${where}, which is not https on the authority's origin (${source.origin}). Refused before anything was sent there.`,
			);
		}
	}
}
