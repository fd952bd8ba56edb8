// Entra's On-Behalf-Of grant (a middle-tier API trades the token it received for a token to a
// downstream API, as the same person), added to oidc-provider with registerGrantType:
//
//   POST /T/oauth2/v2.0/token
//     grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
//     requested_token_use=on_behalf_of
//     assertion=<the token the API received>   scope=<downstream scopes>   + the API's client auth
//
// Checks, before oidc-provider sees the request (so the errors have Entra's shape):
//   - requested_token_use is on_behalf_of                           (AADSTS70003 otherwise)
//   - the assertion is signed by this provider, has its issuer, is not expired (AADSTS50013 / 500133)
//   - the assertion's audience is the calling app (client ID or api://<client ID>) (AADSTS50013)
//   - the assertion is a person's token (an app token cannot be exchanged)      (AADSTS50013)
//   - the downstream API's permission needs no consent the person has not given (AADSTS65001)
// Then a token for the downstream API is issued for the assertion's user (sub/oid).
import { createPublicKey } from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';
import { entraErrorBody } from './entra-adapter.mjs';

export const OBO_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export function createOnBehalfOf({ issuer, signingJwk, resources, findUserByOid }) {
	const { d, p, q, dp, dq, qi, ...publicJwk } = signingJwk;
	const key = createPublicKey({ key: publicJwk, format: 'jwk' });

	// Request side: returns an Entra error answer, or { user } for the grant handler.
	async function check(body, clientId, correlationId) {
		const refuse = (error, code, description, extra = {}) => ({
			refused: {
				status: 400,
				body: { ...entraErrorBody({ error, code, description, correlationId }), ...extra },
			},
		});
		if (body.requested_token_use !== 'on_behalf_of')
			return refuse('invalid_request', 70003, "The parameter 'requested_token_use' must be 'on_behalf_of'.");
		let payload;
		try {
			({ payload } = await jwtVerify(String(body.assertion || ''), key, { issuer, algorithms: ['RS256'] }));
		} catch (error) {
			if (error.code === 'ERR_JWT_EXPIRED')
				return refuse('invalid_grant', 500133, 'Assertion is not within its valid time range.');
			return refuse(
				'invalid_grant',
				50013,
				`Assertion failed signature validation. [Reason - ${error.code || error.message}]`,
			);
		}
		if (payload.aud !== clientId && payload.aud !== `api://${clientId}`)
			return refuse(
				'invalid_grant',
				50013,
				`Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${payload.aud}' and the expected audience is '${clientId}'.`,
			);
		const user = payload.idtyp === 'user' ? findUserByOid(payload.oid) : undefined;
		if (!user)
			return refuse(
				'invalid_grant',
				50013,
				'Assertion contains an app token: only a user token can be exchanged on behalf of.',
			);
		const resource = body.resource || downstreamResource(body.scope);
		if (resource && resources[resource]?.requiresUserConsent)
			return refuse(
				'invalid_grant',
				65001,
				`The user or administrator has not consented to use the application with ID '${clientId}'. Send an interactive authorization request for this user and resource.`,
				{ suberror: 'consent_required' },
			);
		return { user, assertionClaims: decodeJwt(body.assertion) };
	}

	// The grant handler, run by oidc-provider after the client authenticated.
	function register(provider, { issueTokens, helpers, createGrant, consentedScopes }) {
		provider.registerGrantType(
			OBO_GRANT,
			async (ctx) => {
				const user = ctx.req.rig?.oboUser;
				if (!user) throw new Error('on-behalf-of request was not checked');
				const { scope = '', resource } = ctx.oidc.params;
				const scopes = consentedScopes(scope.split(' ').filter(Boolean), resource);
				const grant = await createGrant(user.oid, ctx.oidc.client.clientId, scopes, resource);
				ctx.oidc.entity('Grant', grant);
				const source = {
					accountId: user.oid,
					grantId: grant.jti,
					scope: scopes.join(' '),
					scopes: new Set(scopes),
					resource,
					resourceIndicators: new Set(resource ? [resource] : []),
					authTime: Math.floor(Date.now() / 1000),
				};
				await issueTokens(provider, helpers, ctx, source, grant, {
					gty: 'on_behalf_of',
					entityLabel: 'on-behalf-of grant',
				});
			},
			['assertion', 'requested_token_use', 'scope', 'resource'],
		);
	}

	return { check, register };
}

function downstreamResource(scope) {
	const named = String(scope || '')
		.split(' ')
		.filter((s) => s.includes('/'));
	return named.length ? named[0].slice(0, named[0].lastIndexOf('/')) : undefined;
}
