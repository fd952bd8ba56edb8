import { constants, verify, type KeyObject } from 'node:crypto';
import type { CloudName } from '../clouds';
import type { SigningKeySet } from './signingKeys';

/**
 * Validation of an access token sent to an API protected by Entra ID (n8n's webhook as the API):
 * signature against the authority's signing keys, issuer (v1 and v2 forms, allowed tenants),
 * audience, lifetime with a clock skew, that it is an access token (not an ID token) of an
 * allowed client app, and the scopes or app roles the API requires — a token with neither is
 * refused, as Microsoft.Identity.Web does (IDW10201): any app of the tenant can get an app-only
 * token for any API, without permissions.
 * Verified with node:crypto; the keys come from SigningKeySet, cached per process.
 * Nothing of the token's header (unverified) is quoted into a reason; claims of a verified token
 * are quoted printable-ASCII only, since reasons go into logs and WWW-Authenticate.
 */
export interface TokenValidationSettings {
	/** The app registration of the API (the webhook): its client ID is an accepted audience. */
	clientId: string;
	/** More accepted audiences, e.g. the Application ID URI (api://contoso-n8n). api://<clientId> is always accepted. */
	audiences?: string[];
	/** Tenant IDs whose tokens are accepted (multi-tenant apps); empty: only the authority's tenant; '*': any. */
	allowedTenants?: string[];
	/** The token must carry at least one of these delegated permissions (scp) … */
	requiredScopes?: string[];
	/** … or at least one of these app roles (roles). Both empty: the token must carry some scp or roles. */
	requiredRoles?: string[];
	/** Accept a token with neither scp nor roles when nothing is required (off: refused, 403). */
	acceptTokensWithoutPermissions?: boolean;
	/** Client IDs of the apps that may call (azp / appid); empty: any app. */
	allowedClientApps?: string[];
	clockSkewSeconds?: number;
	/** The cloud, for the v1 issuer form (https://sts.windows.net/<tid>/). */
	cloud?: CloudName;
}

export interface CallerClaims {
	oid?: string;
	tid?: string;
	sub?: string;
	upn?: string;
	preferred_username?: string;
	name?: string;
	scp?: string[];
	roles?: string[];
	azp?: string;
	appid?: string;
	idtyp?: string;
	/** 'user' when a person signed in (scp), 'app' for an app acting as itself (roles only). */
	callerType: 'user' | 'app';
	aud: string;
	iss: string;
	ver?: string;
	expiresOn: string;
}

/** Why a token is refused, in the terms of RFC 6750: 401 invalid_token or 403 insufficient_scope. */
export class TokenRejectedError extends Error {
	constructor(
		readonly status: 401 | 403,
		readonly error: 'invalid_token' | 'insufficient_scope' | 'invalid_request',
		/** The reason, safe to log and to send: never contains the token. */
		readonly description: string,
		readonly requiredScope?: string,
	) {
		super(description);
		this.name = 'TokenRejectedError';
	}

	/** The WWW-Authenticate header of the answer. */
	get wwwAuthenticate(): string {
		if (this.status === 401 && this.error === 'invalid_request' && this.description === NO_TOKEN) return 'Bearer';
		// A header value takes visible ASCII and spaces only; a quoted-string neither " nor \.
		const quote = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, "'");
		let header = `Bearer error="${this.error}", error_description="${quote(this.description)}"`;
		if (this.requiredScope) header += `, scope="${quote(this.requiredScope)}"`;
		return header;
	}
}

const NO_TOKEN = 'No bearer token in the Authorization header.';

const V1_ISSUER_HOSTS: Partial<Record<CloudName, string>> = {
	global: 'https://sts.windows.net',
	usGovernment: 'https://sts.windows.net',
	china: 'https://sts.chinacloudapi.cn',
};

const ALGORITHMS: Record<string, { hash: string; kty: string; padding?: number; dsa?: boolean }> = {
	RS256: { hash: 'sha256', kty: 'rsa' },
	RS384: { hash: 'sha384', kty: 'rsa' },
	RS512: { hash: 'sha512', kty: 'rsa' },
	PS256: { hash: 'sha256', kty: 'rsa', padding: constants.RSA_PKCS1_PSS_PADDING },
	PS384: { hash: 'sha384', kty: 'rsa', padding: constants.RSA_PKCS1_PSS_PADDING },
	PS512: { hash: 'sha512', kty: 'rsa', padding: constants.RSA_PKCS1_PSS_PADDING },
	ES256: { hash: 'sha256', kty: 'ec', dsa: true },
	ES384: { hash: 'sha384', kty: 'ec', dsa: true },
};

/** The token of an `Authorization: Bearer <token>` header (or a bare token). */
export function bearerTokenOf(header: string | undefined): string {
	const value = (header ?? '').trim();
	if (!value) throw new TokenRejectedError(401, 'invalid_request', NO_TOKEN);
	const match = /^Bearer\s+(\S+)$/i.exec(value);
	if (match) return match[1];
	if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(value)) return value;
	throw new TokenRejectedError(401, 'invalid_token', 'The Authorization header is not "Bearer <token>".');
}

function decodePart(part: string, what: string): Record<string, unknown> {
	try {
		const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
		if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
	} catch {
		// below
	}
	throw new TokenRejectedError(401, 'invalid_token', `The token's ${what} is not base64url JSON.`);
}

const invalid = (description: string) => new TokenRejectedError(401, 'invalid_token', description);

/** A claim of a verified token, safe in a log line or a header: printable ASCII, at most 120 characters. */
function shown(value: string): string {
	const printable = value.replace(/[^\x20-\x7e]/g, '?');
	return printable.length > 120 ? `${printable.slice(0, 117)}...` : printable;
}

const ACCEPTED_ALGORITHMS = Object.keys(ALGORITHMS).join(', ');

/** Claims only an ID token carries (OpenID Connect Core, FAPI's s_hash): never in an Entra access token. */
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash'];

/** Validates `token` and returns the caller's claims; throws TokenRejectedError with the reason. */
export async function validateAccessToken(
	token: string,
	keys: SigningKeySet,
	settings: TokenValidationSettings,
	now = Date.now(),
): Promise<CallerClaims> {
	const parts = token.split('.');
	if (parts.length !== 3 || !parts[2]) throw invalid('The token is not a signed JWT (three parts).');
	const header = decodePart(parts[0], 'header');
	// The header is unverified, attacker-written: none of it is quoted (CR/LF would forge log lines
	// and break the WWW-Authenticate header).
	const algorithm =
		typeof header.alg === 'string' && Object.hasOwn(ALGORITHMS, header.alg) ? ALGORITHMS[header.alg] : undefined;
	if (!algorithm) throw invalid(`The token's signing algorithm is not accepted (accepted: ${ACCEPTED_ALGORITHMS}).`);
	if (!keys.wasVerified(token)) {
		const kid = typeof header.kid === 'string' ? header.kid : undefined;
		const key = keys.lookup(kid) ?? (await keys.key(kid));
		if (!key)
			throw invalid(
				kid === undefined
					? 'The token names no signing key (kid) and the authority publishes more than one.'
					: "The token is signed with a key the authority does not publish (its kid is not in the authority's key set).",
			);
		if (!verifySignature(parts, key, algorithm)) throw invalid('The token signature is invalid.');
		keys.rememberVerified(token);
	}

	const payload = decodePart(parts[1], 'payload');
	const skew = (settings.clockSkewSeconds ?? 60) * 1000;
	const exp = numeric(payload.exp);
	if (exp === undefined) throw invalid('The token has no expiry (exp).');
	if (exp * 1000 + skew <= now) throw invalid(`The token expired at ${new Date(exp * 1000).toISOString()}.`);
	const nbf = numeric(payload.nbf);
	if (nbf !== undefined && nbf * 1000 - skew > now)
		throw invalid(`The token is not valid before ${new Date(nbf * 1000).toISOString()}.`);

	const tid = typeof payload.tid === 'string' ? payload.tid : undefined;
	const iss = typeof payload.iss === 'string' ? payload.iss : '';
	const { issuer: discovered } = await keys.openIdDocument();
	checkIssuer(iss, tid, discovered, settings);

	const aud = typeof payload.aud === 'string' ? payload.aud : '';
	const audiences = acceptedAudiences(settings);
	if (!audiences.includes(aud))
		throw invalid(`The token is for audience "${shown(aud)}", not for this API (${audiences.map(shown).join(', ')}).`);

	const text = (name: string) => (typeof payload[name] === 'string' ? (payload[name] as string) : undefined);
	checkAccessToken(payload, text, settings);

	const scp = typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : undefined;
	const roles = Array.isArray(payload.roles)
		? payload.roles.filter((r): r is string => typeof r === 'string')
		: undefined;
	checkPermissions(scp, roles, settings);

	return dropUndefined({
		oid: text('oid'),
		tid,
		sub: text('sub'),
		upn: text('upn'),
		preferred_username: text('preferred_username'),
		name: text('name'),
		scp,
		roles,
		azp: text('azp'),
		appid: text('appid'),
		idtyp: text('idtyp'),
		callerType: scp !== undefined || text('idtyp') === 'user' ? 'user' : 'app',
		aud,
		iss,
		ver: text('ver'),
		expiresOn: new Date(exp * 1000).toISOString(),
	});
}

function verifySignature(parts: string[], key: KeyObject, algorithm: (typeof ALGORITHMS)[string]): boolean {
	if (key.asymmetricKeyType !== algorithm.kty && !(algorithm.kty === 'rsa' && key.asymmetricKeyType === 'rsa-pss'))
		return false;
	try {
		return verify(
			algorithm.hash,
			Buffer.from(`${parts[0]}.${parts[1]}`),
			{
				key,
				padding: algorithm.padding,
				saltLength: algorithm.padding ? constants.RSA_PSS_SALTLEN_DIGEST : undefined,
				dsaEncoding: algorithm.dsa ? 'ieee-p1363' : undefined,
			},
			Buffer.from(parts[2], 'base64url'),
		);
	} catch {
		return false;
	}
}

const GUID_IN_PATH = /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=\/|$)/i;

/**
 * v2: the discovered issuer (https://login.microsoftonline.com/<tid>/v2.0); for a multi-tenant
 * app, the same with the caller's tenant (the common endpoint's "{tenantid}" template, or the
 * home tenant's ID replaced). v1: https://sts.windows.net/<tid>/ on Microsoft's clouds.
 */
function checkIssuer(
	iss: string,
	tid: string | undefined,
	discovered: string,
	settings: TokenValidationSettings,
): void {
	const allowed = (settings.allowedTenants ?? []).map((t) => t.trim().toLowerCase()).filter(Boolean);
	const homeTenant = GUID_IN_PATH.exec(discovered)?.[1]?.toLowerCase();
	const multiTenant = allowed.length > 0 || discovered.includes('{tenantid}');
	if (multiTenant) {
		if (!tid) throw invalid('The token has no tenant ID (tid).');
		const tenantAllowed =
			allowed.includes('*') || allowed.includes(tid.toLowerCase()) || tid.toLowerCase() === homeTenant;
		if (!tenantAllowed) throw invalid(`Tokens of tenant ${shown(tid)} are not accepted (Allowed Tenants).`);
	} else if (homeTenant && tid && tid.toLowerCase() !== homeTenant) {
		throw invalid(`The token is from tenant ${shown(tid)}, not from ${homeTenant}.`);
	}
	// The issuer names the token's own tenant: one tenant's issuer with another's tid is refused.
	const expected = new Set<string>();
	if (discovered.includes('{tenantid}')) {
		if (tid) expected.add(discovered.replace('{tenantid}', tid));
	} else if (homeTenant && tid) expected.add(discovered.replace(GUID_IN_PATH, `/${tid}`));
	else expected.add(discovered);
	const v1Host = V1_ISSUER_HOSTS[settings.cloud ?? 'custom'];
	if (v1Host && tid) expected.add(`${v1Host}/${tid}/`);
	if (!expected.has(iss)) throw invalid(`The token's issuer "${shown(iss)}" is not accepted.`);
}

function acceptedAudiences(settings: TokenValidationSettings): string[] {
	const clientId = settings.clientId.trim();
	return [...new Set([clientId, `api://${clientId}`, ...(settings.audiences ?? []).map((a) => a.trim())])].filter(
		Boolean,
	);
}

/**
 * An access token issued to a client app: not an ID token (which names the app in `aud` and is
 * meant for the app itself), and from an Allowed Client App when the list is set. The client app
 * is azp in v2 tokens, appid in v1, client_id in RFC 9068 tokens of other providers.
 */
function checkAccessToken(
	payload: Record<string, unknown>,
	text: (name: string) => string | undefined,
	settings: TokenValidationSettings,
): void {
	const idTokenClaim = ID_TOKEN_CLAIMS.find((claim) => payload[claim] !== undefined);
	if (idTokenClaim)
		throw invalid(
			`The token is an ID token (it carries "${idTokenClaim}"), not an access token: the client must send an access token for this API.`,
		);
	const clientApp = text('azp') ?? text('appid') ?? text('client_id');
	if (!clientApp)
		throw invalid(
			'The token names no client app (azp or appid): it is not an access token (an ID token?). The client must send an access token for this API.',
		);
	const allowed = (settings.allowedClientApps ?? []).map((id) => id.trim().toLowerCase()).filter(Boolean);
	if (allowed.length > 0 && !allowed.includes(clientApp.toLowerCase()))
		throw new TokenRejectedError(
			403,
			'insufficient_scope',
			`The client app ${shown(clientApp)} is not among the Allowed Client Apps of this API.`,
		);
}

function checkPermissions(
	scp: string[] | undefined,
	roles: string[] | undefined,
	settings: TokenValidationSettings,
): void {
	const requiredScopes = (settings.requiredScopes ?? []).filter(Boolean);
	const requiredRoles = (settings.requiredRoles ?? []).filter(Boolean);
	if (requiredScopes.length === 0 && requiredRoles.length === 0) {
		if (settings.acceptTokensWithoutPermissions === true || scp?.length || roles?.length) return;
		throw new TokenRejectedError(
			403,
			'insufficient_scope',
			'The token carries no permission: neither delegated scopes (scp) nor app roles (roles). Grant the client app a permission of this API, or set Required Scopes / Required App Roles, or turn on "Accept Tokens Without Scopes or Roles".',
		);
	}
	if (requiredScopes.some((s) => scp?.includes(s))) return;
	if (requiredRoles.some((r) => roles?.includes(r))) return;
	const needed = [
		requiredScopes.length ? `one of the scopes ${requiredScopes.join(', ')}` : '',
		requiredRoles.length ? `one of the app roles ${requiredRoles.join(', ')}` : '',
	]
		.filter(Boolean)
		.join(' or ');
	throw new TokenRejectedError(
		403,
		'insufficient_scope',
		`The token lacks ${needed}.`,
		[...requiredScopes, ...requiredRoles].join(' '),
	);
}

function numeric(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function dropUndefined<T extends object>(value: T): T {
	for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
	return value;
}
