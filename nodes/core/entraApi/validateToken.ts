// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- types only; jose itself through ./jose
import type * as Jose from 'jose';
import type { CloudName } from '../clouds';
import { jose } from './jose';
import type { SigningKeySet } from './signingKeys';

/**
 * Validation of an access token sent to an API protected by Entra ID (n8n's webhook as the API):
 * signature against the authority's signing keys, issuer (v1 and v2 forms, allowed tenants),
 * audience, lifetime with a clock skew, that it is an access token (not an ID token) of an
 * allowed client app, and the scopes or app roles the API requires — a token with neither is
 * refused, as Microsoft.Identity.Web does (IDW10201): any app of the tenant can get an app-only
 * token for any API, without permissions.
 * jose does the JWS and JWT parts (signature, alg allow-list, crit, exp/nbf with the skew, aud);
 * the keys come from SigningKeySet, cached per process; the rest is Entra's and stays here.
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

/** What Entra and other OpenID providers sign access tokens with; HS*, none and the rest are refused. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'];

/** The token of an `Authorization: Bearer <token>` header (or a bare token). */
export function bearerTokenOf(header: string | undefined): string {
	const value = (header ?? '').trim();
	if (!value) throw new TokenRejectedError(401, 'invalid_request', NO_TOKEN);
	const match = /^Bearer\s+(\S+)$/i.exec(value);
	if (match) return match[1];
	if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(value)) return value;
	throw new TokenRejectedError(401, 'invalid_token', 'The Authorization header is not "Bearer <token>".');
}

const invalid = (description: string) => new TokenRejectedError(401, 'invalid_token', description);

/** A claim of a verified token, safe in a log line or a header: printable ASCII, at most 120 characters. */
function shown(value: string): string {
	const printable = value.replace(/[^\x20-\x7e]/g, '?');
	return printable.length > 120 ? `${printable.slice(0, 117)}...` : printable;
}

/** Claims only an ID token carries (OpenID Connect Core, FAPI's s_hash): never in an Entra access token. */
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash'];

/** Validates `token` and returns the caller's claims; throws TokenRejectedError with the reason. */
export async function validateAccessToken(
	token: string,
	keys: SigningKeySet,
	settings: TokenValidationSettings,
	now = Date.now(),
): Promise<CallerClaims> {
	const audiences = acceptedAudiences(settings);
	const { jwtVerify, decodeProtectedHeader } = await jose();
	let payload: Jose.JWTPayload;
	try {
		({ payload } = await jwtVerify(token, keyOrRefusal(keys.getKey), {
			algorithms: ALGORITHMS,
			audience: audiences,
			requiredClaims: ['exp'],
			clockTolerance: Math.max(0, Number(settings.clockSkewSeconds ?? 60) || 0),
			currentDate: new Date(now),
		}));
	} catch (error) {
		throw refusalOf(error, token, audiences, decodeProtectedHeader);
	}

	const text = (name: string) => (typeof payload[name] === 'string' ? (payload[name] as string) : undefined);
	const tid = text('tid');
	const iss = text('iss') ?? '';
	const { issuer: discovered } = await keys.openIdDocument();
	checkIssuer(iss, tid, discovered, settings);

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
		// jose accepted it: a string among the audiences, or an array holding one.
		aud: typeof payload.aud === 'string' ? payload.aud : audiences.find((a) => payload.aud?.includes(a))!,
		iss,
		ver: text('ver'),
		expiresOn: new Date(payload.exp! * 1000).toISOString(),
	});
}

/** The key set's resolver, its "no such key" turned into the reason a caller can act on. */
function keyOrRefusal(getKey: Jose.JWTVerifyGetKey): Jose.JWTVerifyGetKey {
	return async (header, token) => {
		try {
			return await getKey(header, token);
		} catch (error) {
			const code = (error as { code?: unknown }).code;
			if (code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS')
				throw invalid('The token names no signing key (kid) and the authority publishes more than one.');
			if (code === 'ERR_JWKS_NO_MATCHING_KEY')
				throw invalid(
					header.kid === undefined
						? 'The token names no signing key (kid) and the authority publishes none for its algorithm.'
						: "The token is signed with a key the authority does not publish (its kid is not in the authority's key set).",
				);
			// jose could not import the published key; a failed fetch passes through as it is.
			if (/^ERR_(JOSE|JWKS?|JWS)_/.test(String(code)) || error instanceof TypeError) throw keyUnusable();
			throw error;
		}
	};
}

/** The authority's key, not the caller's token, is at fault: the webhook answers 503 and logs this. */
const keyUnusable = () =>
	new Error(
		'The signing key the authority publishes for this token cannot be used (an RSA key under 2048 bits, or a malformed key).',
	);

/**
 * jose's error → our reason. jose's messages are not passed on: some quote the unverified header
 * (an unknown crit parameter's name). A claim is quoted only from a claim error, which jose raises
 * after the signature is verified. Errors that are not about the token (the key set could not be
 * fetched) pass through: the webhook answers 503, not 401.
 */
function refusalOf(
	error: unknown,
	token: string,
	audiences: string[],
	decodeProtectedHeader: typeof Jose.decodeProtectedHeader,
): Error {
	if (error instanceof TokenRejectedError) return error;
	const { code, claim, reason, payload } = error as {
		code?: unknown;
		claim?: unknown;
		reason?: unknown;
		payload?: Jose.JWTPayload;
	};
	switch (code) {
		case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
			return invalid('The token signature is invalid.');
		case 'ERR_JOSE_ALG_NOT_ALLOWED':
			return algorithmRefused();
		case 'ERR_JWT_EXPIRED':
			return invalid(`The token expired at ${new Date(payload!.exp! * 1000).toISOString()}.`);
		case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
			if (claim === 'exp') return invalid('The token has no expiry (exp) or it is not a number.');
			if (claim === 'nbf' && reason === 'check_failed')
				return invalid(`The token is not valid before ${new Date(payload!.nbf! * 1000).toISOString()}.`);
			if (claim === 'aud') {
				const aud = payload?.aud;
				const named = typeof aud === 'string' ? aud : Array.isArray(aud) ? aud.join(' ') : '';
				return invalid(
					`The token is for audience "${shown(named)}", not for this API (${audiences.map(shown).join(', ')}).`,
				);
			}
			return invalid(`The token's claim ${shown(String(claim))} is not valid.`);
		case 'ERR_JWT_INVALID':
		case 'ERR_JWS_INVALID':
		case 'ERR_JOSE_NOT_SUPPORTED':
			return malformed(token, decodeProtectedHeader);
	}
	// After the key is resolved, jose's TypeErrors are about the key (its size), not the token.
	if (error instanceof TypeError) return keyUnusable();
	return error instanceof Error ? error : new Error(String(error));
}

const algorithmRefused = () =>
	invalid(`The token's signing algorithm is not accepted (accepted: ${ALGORITHMS.join(', ')}).`);

/** Why jose found the JWS malformed, told without quoting the (unverified) header. */
function malformed(token: string, decodeProtectedHeader: typeof Jose.decodeProtectedHeader): TokenRejectedError {
	if (token.split('.').length !== 3) return invalid('The token is not a signed JWT (three parts).');
	let header: Record<string, unknown>;
	try {
		header = decodeProtectedHeader(token);
	} catch {
		return invalid("The token's header is not base64url JSON.");
	}
	if (header.crit !== undefined)
		return invalid(
			"The token's header names critical parameters (crit) this API does not process: refused, as RFC 7515 (4.1.11) requires.",
		);
	if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) return algorithmRefused();
	return invalid("The token's payload or signature is not base64url (the payload: a JSON object).");
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

function dropUndefined<T extends object>(value: T): T {
	for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
	return value;
}
