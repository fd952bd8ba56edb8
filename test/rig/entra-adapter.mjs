// The Entra-compatibility layer around oidc-provider: everything MSAL Node expects
// from Entra ID that a standard OpenID provider does differently. Each difference is
// one function (or one branch) with a comment saying which Entra behaviour it copies.
// identity-provider.mjs applies these before a request reaches oidc-provider
// (request side) and after it answered (response side).
import { randomUUID } from 'node:crypto';

export const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

// Entra accepts `grant_type=device_code` (MSAL sends this short form) where RFC 8628
// says `urn:ietf:params:oauth:grant-type:device_code`.
export const GRANT_TYPE_ALIASES = { device_code: 'urn:ietf:params:oauth:grant-type:device_code' };

// Entra's timestamp format in error bodies: "2025-01-31 12:34:56Z".
function entraTimestamp(date = new Date()) {
	return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

// Entra error bodies: error_description starts with "AADSTSnnnn: " and ends with the
// trace/correlation ids and timestamp; `error_codes` repeats the number. MSAL surfaces
// error_description in its error message, so tests can look for "AADSTS7000215".
export function entraErrorBody({ error, code, description, correlationId, suberror }) {
	const traceId = randomUUID();
	const correlation = correlationId || randomUUID();
	const timestamp = entraTimestamp();
	const body = {
		error,
		error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
		error_codes: [code],
		timestamp,
		trace_id: traceId,
		correlation_id: correlation,
		error_uri: `https://login.microsoftonline.com/error?code=${code}`,
	};
	if (suberror) body.suberror = suberror;
	return body;
}

// Fills the fields a test left out of a POST /__rig/fail-next-token body, so the
// answer still has Entra's shape; fields the test gave are sent exactly as given.
export function completeInjectedError(spec, correlationId) {
	const { status = 400, ...given } = spec;
	const code = Array.isArray(given.error_codes) ? given.error_codes[0] : 90000;
	const base = entraErrorBody({
		error: given.error || 'invalid_request',
		code,
		description: 'Injected by the test rig.',
		correlationId,
	});
	return { status, body: { ...base, ...given } };
}

export function unknownTenant(tenant, correlationId) {
	// Entra answers an unknown tenant path segment with 400 AADSTS90002, on discovery
	// and on the token endpoint alike.
	return {
		status: 400,
		body: entraErrorBody({
			error: 'invalid_tenant',
			code: 90002,
			description: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
			correlationId,
		}),
	};
}

export function unknownClient(clientId, tenant, correlationId) {
	// oidc-provider says 401 invalid_client for an unknown client; Entra says 400
	// unauthorized_client AADSTS700016.
	return {
		status: 400,
		body: entraErrorBody({
			error: 'unauthorized_client',
			code: 700016,
			description: `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
			correlationId,
		}),
	};
}

const scopeError = (code, description) => ({ status: 400, error: 'invalid_scope', code, description });

// Entra scopes name their resource: `<resource>/.default` (app permissions, or all
// consented delegated ones) or `<resource>/<scope>` (delegated), next to the OIDC
// scopes. oidc-provider wants RFC 8707 instead: `resource=<uri>` plus bare scope names.
// Returns { resource, scope } for oidc-provider, or { error } in Entra's terms.
export function mapEntraScopes(scopeParam, { grantType, resources }) {
	const requested = (scopeParam || '').split(' ').filter(Boolean);
	const oidc = requested.filter((s) => OIDC_SCOPES.has(s));
	const named = requested.filter((s) => !OIDC_SCOPES.has(s));
	const appOnly = grantType === 'client_credentials';

	if (appOnly && (named.length !== 1 || !named[0].endsWith('/.default') || oidc.length)) {
		// Client credentials must ask for exactly one `<resource>/.default`.
		return {
			error: scopeError(
				1002012,
				`The provided value for scope ${scopeParam || ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
			),
		};
	}

	let resource;
	const names = [];
	for (const item of named) {
		const slash = item.lastIndexOf('/');
		if (slash <= 0 || slash === item.length - 1) {
			return {
				error: scopeError(
					70011,
					`The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${item} is not valid.`,
				),
			};
		}
		const itemResource = item.slice(0, slash);
		const name = item.slice(slash + 1);
		const known = resources[itemResource];
		if (!known) {
			// Entra: an unknown resource URI is AADSTS500011 invalid_resource.
			return {
				error: {
					status: 400,
					error: 'invalid_resource',
					code: 500011,
					description: `The resource principal named ${itemResource} was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
				},
			};
		}
		if (resource && resource !== itemResource) {
			// One access token has one audience; Entra refuses scopes of two resources.
			return {
				error: scopeError(
					28000,
					`Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scopeParam} is not valid.`,
				),
			};
		}
		resource = itemResource;
		if (name === '.default') {
			if (!appOnly) names.push(...known.scopes);
		} else if (known.scopes.includes(name)) {
			names.push(name);
		} else {
			return {
				error: scopeError(
					70011,
					`The provided value for the input parameter 'scope' is not valid. The scope '${item}' does not exist on the resource '${itemResource}'.`,
				),
			};
		}
	}
	return { resource, scope: [...oidc, ...new Set(names)].join(' ') };
}

// oidc-provider error -> Entra error. `ctx.req.rig` holds what the request side
// learned (grant, client auth kind). Unmapped errors keep their name, get AADSTS90000.
export function toEntraError(status, body, rig) {
	const { error } = body;
	const desc = body.error_description || error;
	if (rig.consentResource && ['invalid_scope', 'invalid_target', 'invalid_grant'].includes(error)) {
		// Entra: a refresh token cannot give a permission the person has not consented to yet;
		// MSAL turns consent_required into InteractionRequiredAuthError (incremental consent).
		return {
			status: 400,
			body: entraErrorBody({
				error: 'invalid_grant',
				code: 65001,
				suberror: 'consent_required',
				correlationId: rig.correlationId,
				description: `The user or administrator has not consented to use the application with ID '${rig.clientId}'. Send an interactive authorization request for this user and resource.`,
			}),
		};
	}
	const map = {
		invalid_client:
			rig.clientAuth === 'secret'
				? [
						401,
						'invalid_client',
						7000215,
						`Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${rig.clientId}'.`,
					]
				: rig.clientAuth === 'assertion'
					? [401, 'invalid_client', 700027, `Client assertion failed signature validation. (${desc})`]
					: [
							401,
							'invalid_client',
							7000218,
							"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
						],
		authorization_pending: [
			400,
			'authorization_pending',
			70016,
			'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
		],
		expired_token: [400, 'expired_token', 70019, 'Verification code expired.'],
		access_denied: [400, 'authorization_declined', 70000, 'The user declined the authorization request.'],
		invalid_scope: [
			400,
			'invalid_scope',
			70011,
			`The provided value for the input parameter 'scope' is not valid. (${desc})`,
		],
		invalid_target: [400, 'invalid_resource', 500011, `The resource principal was not found in the tenant. (${desc})`],
		unsupported_grant_type: [
			400,
			'unsupported_grant_type',
			70003,
			`The app requested an unsupported grant type '${rig.grantType}'.`,
		],
		unauthorized_client: [
			400,
			'unauthorized_client',
			700016,
			`The client is not authorized to use this grant. (${desc})`,
		],
		invalid_grant:
			rig.grantType === 'refresh_token'
				? [
						400,
						'invalid_grant',
						70008,
						'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
					]
				: rig.grantType === 'password'
					? [400, 'invalid_grant', 50126, 'Error validating credentials due to invalid username or password.']
					: [400, 'invalid_grant', 70000, `The provided value for the 'code' parameter is not valid. (${desc})`],
		invalid_request: [400, 'invalid_request', 900144, `The request body is not valid. (${desc})`],
	};
	const [newStatus, newError, code, description] = map[error] || [status, error, 90000, desc];
	return {
		status: newStatus,
		body: entraErrorBody({ error: newError, code, description, correlationId: rig.correlationId }),
	};
}

// Entra's client_info: base64url JSON {uid, utid}; MSAL builds homeAccountId
// "<uid>.<utid>" from it (without it, MSAL falls back to the ID token's sub).
export function clientInfo(oid, tenantId) {
	return Buffer.from(JSON.stringify({ uid: oid, utid: tenantId })).toString('base64url');
}

// Entra's device authorization response has `interval` and a human `message`;
// MSAL reads both (oidc-provider sends neither).
export function shapeDeviceResponse(body, interval) {
	return {
		...body,
		interval,
		message: `To sign in, use a web browser to open the page ${body.verification_uri} and enter the code ${body.user_code} to authenticate.`,
	};
}

// Entra's token response echoes the requested scopes (MSAL caches the token under
// the response's `scope`), has `ext_expires_in`, and `client_info` for user tokens.
export function shapeTokenResponse(body, { requestedScope, userOid, tenantId }) {
	const out = { ...body };
	if (requestedScope) out.scope = requestedScope;
	if (typeof out.expires_in === 'number') out.ext_expires_in = out.expires_in;
	if (userOid) out.client_info = clientInfo(userOid, tenantId);
	return out;
}
