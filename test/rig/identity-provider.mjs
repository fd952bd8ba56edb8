// The identity provider: oidc-provider configured like an Entra ID tenant, behind a
// plain Node request handler that applies entra-adapter.mjs on the way in and out.
//
// URLs (P = port, T = tenant path segment, "tenant1"):
//   discovery   GET  /T/v2.0/.well-known/openid-configuration   (issuer https://127.0.0.1:P/T/v2.0)
//   jwks        GET  /T/discovery/v2.0/keys
//   authorize   GET  /T/oauth2/v2.0/authorize
//   token       POST /T/oauth2/v2.0/token
//   devicecode  POST /T/oauth2/v2.0/devicecode
//   login page  GET/POST /T/oauth2/v2.0/interaction/<uid>      (see interaction.mjs)
import { createHash, randomUUID } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
// Deep imports: the password grant reuses oidc-provider's own token issuing.
import { issueTokens } from 'oidc-provider/lib/helpers/grant_common.js';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';
import {
	GRANT_TYPE_ALIASES,
	OIDC_SCOPES,
	completeInjectedError,
	entraErrorBody,
	mapEntraScopes,
	shapeDeviceResponse,
	shapeTokenResponse,
	toEntraError,
	unknownClient,
	unknownTenant,
} from './entra-adapter.mjs';
import { createMemoryStore } from './memory-store.mjs';
import { handleInteraction } from './interaction.mjs';
import { createOnBehalfOf, OBO_GRANT } from './on-behalf-of.mjs';
import { readBody, sendJson, streamLargeJson } from './http-util.mjs';

const ROUTE_PREFIX = (tenant) => `/${tenant}/oauth2/v2.0`;

export function clientMetadata(clients) {
	const confidentialDelegated = {
		grant_types: ['client_credentials', 'authorization_code', 'refresh_token', OBO_GRANT],
		response_types: ['code'],
		redirect_uris: clients.public.redirectUris,
	};
	return [
		{
			client_id: clients.secret.clientId,
			client_secret: clients.secret.clientSecret,
			token_endpoint_auth_method: 'client_secret_post',
			...confidentialDelegated,
		},
		{
			client_id: clients.certificate.clientId,
			token_endpoint_auth_method: 'private_key_jwt',
			// No `alg` on the key: MSAL signs with PS256 (thumbprintSha256) or RS256 (SHA-1).
			jwks: { keys: [clients.certificate.publicJwk] },
			...confidentialDelegated,
		},
		{
			client_id: clients.noRoles.clientId,
			client_secret: clients.noRoles.clientSecret,
			token_endpoint_auth_method: 'client_secret_post',
			grant_types: ['client_credentials'],
			response_types: [],
			redirect_uris: [],
		},
		{
			client_id: clients.federated.clientId,
			token_endpoint_auth_method: 'private_key_jwt',
			jwks: { keys: [clients.federated.publicJwk] },
			grant_types: ['client_credentials'],
			response_types: [],
			redirect_uris: [],
		},
		{
			client_id: clients.public.clientId,
			token_endpoint_auth_method: 'none',
			application_type: 'native',
			grant_types: ['authorization_code', 'refresh_token', GRANT_TYPE_ALIASES.device_code, 'password'],
			response_types: ['code'],
			redirect_uris: clients.public.redirectUris,
		},
	];
}

export async function createIdentityProvider({
	origin,
	tenant,
	tenantId,
	clients,
	users,
	resources,
	signingJwk,
	state,
	// A tenant where no app of the rig is consented: every token request gets AADSTS700016.
	appsConsented = true,
}) {
	const issuer = `${origin}/${tenant}/v2.0`;
	const prefix = ROUTE_PREFIX(tenant);
	const store = createMemoryStore(state);
	const clientById = new Map(Object.values(clients).map((c) => [c.clientId, c]));
	const userByOid = new Map(users.map((u) => [u.oid, u]));
	const findUser = (name) => users.find((u) => u.username.toLowerCase() === String(name || '').toLowerCase());

	// One lifetime per token response: the next one scheduled (POST /__rig/next-access-token-
	// lifetimes), else the setting. Kept on the request, as oidc-provider asks more than once.
	function accessTokenTtl(ctx) {
		const rig = ctx?.req?.rig;
		if (!rig) return state.settings.accessTokenTtlSeconds;
		rig.accessTokenTtl ??= state.nextAccessTokenLifetimes.shift() ?? state.settings.accessTokenTtlSeconds;
		return rig.accessTokenTtl;
	}

	const provider = new Provider(issuer, {
		adapter: store.Adapter,
		clients: clientMetadata(clients),
		jwks: { keys: [signingJwk] },
		cookies: { keys: [randomUUID()] },
		routes: {
			authorization: `${prefix}/authorize`,
			token: `${prefix}/token`,
			device_authorization: `${prefix}/devicecode`,
			code_verification: `${prefix}/deviceauth`,
			jwks: `/${tenant}/discovery/v2.0/keys`,
			userinfo: '/oidc/userinfo',
			end_session: `${prefix}/logout`,
			revocation: `${prefix}/revoke`,
		},
		claims: {
			openid: ['sub', 'oid', 'tid', 'ver'],
			profile: ['name', 'preferred_username'],
			email: ['email'],
		},
		scopes: [...OIDC_SCOPES],
		features: {
			devInteractions: { enabled: false },
			clientCredentials: { enabled: true },
			deviceFlow: { enabled: true },
			revocation: { enabled: true },
			resourceIndicators: {
				enabled: true,
				defaultResource: (_ctx, _client, oneOf) => (oneOf ? oneOf[0] : undefined),
				useGrantedResource: () => true,
				getResourceServerInfo: (_ctx, resourceIndicator) => {
					const resource = resources[resourceIndicator];
					if (!resource) throw new errors.InvalidTarget();
					return {
						scope: resource.scopes.join(' '),
						audience: resourceIndicator,
						accessTokenTTL: accessTokenTtl(_ctx),
						accessTokenFormat: 'jwt',
						jwt: { sign: { alg: 'RS256' } },
					};
				},
			},
		},
		ttl: {
			AccessToken: (ctx) => accessTokenTtl(ctx),
			ClientCredentials: (ctx) => accessTokenTtl(ctx),
			AuthorizationCode: 600,
			DeviceCode: 900,
			IdToken: 3600,
			Interaction: 3600,
			Session: 86400,
			Grant: 90 * 86400,
			RefreshToken: 90 * 86400,
		},
		pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
		// Entra rotates refresh tokens on every use (the old one stays valid, see memory-store).
		rotateRefreshToken: () => true,
		findAccount: (_ctx, accountId) => {
			const user = userByOid.get(accountId);
			if (!user) return undefined;
			return {
				accountId,
				claims: () => ({
					sub: user.oid,
					oid: user.oid,
					tid: tenantId,
					ver: '2.0',
					name: user.name,
					preferred_username: user.username,
					email: user.username,
				}),
			};
		},
		interactions: { url: (_ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
		formats: {
			customizers: {
				// Entra-shaped access token claims (see accessTokenClaims below).
				jwt: (ctx, token, jwt) => {
					Object.assign(jwt.payload, accessTokenClaims(ctx, token, jwt.payload));
					delete jwt.payload.client_id;
					delete jwt.payload.scope;
					jwt.header = { typ: 'JWT' };
				},
			},
		},
		renderError: (ctx, out) => {
			ctx.type = 'html';
			if (out.error === 'invalid_redirect_uri') {
				// Entra shows its error page (no redirect) with AADSTS50011 for an unregistered reply URL.
				out = {
					...out,
					error_description: `AADSTS50011: The redirect URI '${ctx.oidc?.params?.redirect_uri ?? ''}' specified in the request does not match the redirect URIs configured for the application. (${out.error_description})`,
				};
			}
			ctx.body = `<!doctype html><title>Error</title><pre>${JSON.stringify(out).replace(/</g, '&lt;')}</pre>`;
		},
	});

	// Access tokens like Entra v2: tid, oid, azp/appid, roles (app) or scp (delegated).
	// When the token request carried a `claims` parameter (CAE challenge answer), the
	// requested access_token claims are copied into `xms_rig_claims`, and `xms_cc`
	// gets any client capabilities, so the protected API can tell.
	function accessTokenClaims(ctx, token, payload) {
		const client = clientById.get(token.clientId);
		const claims = {
			tid: tenantId,
			ver: '2.0',
			azp: token.clientId,
			appid: token.clientId,
			azpacr: client?.kind === 'public' ? '0' : client?.kind === 'secret' ? '1' : '2',
		};
		if (token.accountId) {
			const user = userByOid.get(token.accountId);
			Object.assign(claims, {
				oid: token.accountId,
				sub: token.accountId,
				idtyp: 'user',
				scp: payload.scope || '',
				name: user?.name,
				preferred_username: user?.username,
			});
		} else {
			Object.assign(claims, {
				oid: client?.servicePrincipalId,
				sub: client?.servicePrincipalId,
				idtyp: 'app',
				// Entra leaves the claim out when the app holds no role of the API.
				...appRoles(client, payload.aud),
			});
		}
		const requested = ctx?.req?.rig?.claimsRequest?.access_token;
		if (requested) {
			claims.xms_rig_claims = requested;
			if (requested.xms_cc?.values) claims.xms_cc = requested.xms_cc.values;
		}
		return claims;
	}

	// The app's roles on the token's API: `resourceRoles[aud]` where the rig gives that API its own
	// (Azure OpenAI's RBAC role), else `roles`.
	function appRoles(client, audience) {
		const roles = client?.resourceRoles?.[audience] ?? client?.roles ?? [];
		return roles.length ? { roles: [...roles] } : {};
	}

	// Resource-owner password grant (Entra has it, oidc-provider does not).
	const boundHelpers = Object.fromEntries(
		Object.entries(grantHelpers).map(([name, helper]) => [name, helper.bind(undefined, provider)]),
	);
	provider.registerGrantType(
		'password',
		async (ctx) => {
			const { username, password, scope = '', resource } = ctx.oidc.params;
			const user = findUser(username);
			if (!user || user.password !== password) throw new errors.InvalidGrant('invalid username or password');
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
			await issueTokens(provider, boundHelpers, ctx, source, grant, { gty: 'password', entityLabel: 'password grant' });
		},
		['username', 'password', 'scope', 'resource'],
	);

	// On-Behalf-Of (on-behalf-of.mjs): a middle-tier API exchanges a person's token.
	const onBehalfOf = createOnBehalfOf({
		issuer,
		signingJwk,
		resources,
		findUserByOid: (oid) => userByOid.get(oid),
	});
	onBehalfOf.register(provider, { issueTokens, helpers: boundHelpers, createGrant, consentedScopes });

	// Entra puts every consented permission of the API into a delegated token and its refresh
	// token, not only the requested ones; oidc-provider refuses a refresh for scopes the refresh
	// token lacks, so the sign-in grants them all.
	function consentedScopes(scopes, resource) {
		const known = resource ? resources[resource] : undefined;
		if (!known || known.requiresUserConsent) return scopes;
		return [...new Set([...scopes, ...known.scopes])];
	}

	async function createGrant(accountId, clientId, scopes, resource) {
		const grant = new provider.Grant({ accountId, clientId });
		const oidc = scopes.filter((s) => OIDC_SCOPES.has(s));
		if (oidc.length) grant.addOIDCScope(oidc.join(' '));
		const named = scopes.filter((s) => !OIDC_SCOPES.has(s));
		if (resource) grant.addResourceScope(resource, named.join(' '));
		// Like an admin-consented app registration: the refresh token also serves the other
		// permissions of every API (Entra's refresh tokens are multi-resource), so a token for a
		// second scope or API comes silently.
		for (const [uri, known] of Object.entries(resources)) {
			if (!known.requiresUserConsent) grant.addResourceScope(uri, known.scopes.join(' '));
		}
		await grant.save();
		return grant;
	}

	// Response side of the Entra layer, inside oidc-provider's Koa app.
	provider.use(async (ctx, next) => {
		await next();
		const rig = ctx.req.rig;
		if (!rig || !ctx.body || typeof ctx.body !== 'object' || Buffer.isBuffer(ctx.body)) return;
		if (ctx.body.error) {
			const mapped = toEntraError(ctx.status, ctx.body, rig);
			ctx.status = mapped.status;
			ctx.body = mapped.body;
		} else if (rig.route === 'devicecode') {
			ctx.body = shapeDeviceResponse(ctx.body, state.settings.deviceCodeIntervalSeconds);
		} else if (rig.route === 'token' && ctx.body.access_token) {
			ctx.body = shapeTokenResponse(ctx.body, {
				requestedScope: rig.requestedScope,
				userOid: ctx.oidc?.entities?.Account?.accountId,
				tenantId,
			});
		}
	});

	const callback = provider.callback();

	// Request side of the Entra layer.
	async function handle(req, res, url) {
		const [, first, ...rest] = url.pathname.split('/');
		const correlationId = req.headers['client-request-id'] || randomUUID();
		if (first !== tenant) {
			state.count('unknownTenant');
			return sendJson(res, unknownTenant(first, correlationId));
		}
		const path = `/${rest.join('/')}`;
		const route = {
			'/v2.0/.well-known/openid-configuration': 'discovery',
			'/discovery/v2.0/keys': 'jwks',
			'/oauth2/v2.0/token': 'token',
		}[path];
		const armed = route && state.takeAnswerNext(route);
		if (armed) {
			state.count(route);
			if (route === 'token') await readBody(req);
			return answerArmed(armed, res);
		}
		if (path === '/v2.0/.well-known/openid-configuration') {
			state.count('discovery');
			if (state.discoveryFault) return serveTamperedDiscovery(state.discoveryFault, req, res, url);
			req.url = `/.well-known/openid-configuration${url.search}`;
			return callback(req, res);
		}
		if (path === '/discovery/v2.0/keys') state.count('jwks');
		else if (path === '/oauth2/v2.0/authorize') {
			state.count('authorize');
			req.url = rewriteAuthorizeQuery(url);
		} else if (path === '/oauth2/v2.0/token') return handleTokenish(req, res, 'token', correlationId);
		else if (path === '/oauth2/v2.0/devicecode') return handleTokenish(req, res, 'devicecode', correlationId);
		else if (path.startsWith('/oauth2/v2.0/interaction/')) {
			state.count('interaction');
			return handleInteraction({ req, res, url, provider, findUser, createGrant, state });
		} else state.count('other');
		return callback(req, res);
	}

	// Fault hook (/__rig/answer-next): a redirect (the request's body is never looked at) or an
	// answer of `bytes` bytes, streamed.
	function answerArmed({ fault, record }, res) {
		if (fault.redirect) {
			Object.assign(record, fault.redirect);
			res.writeHead(fault.redirect.status ?? 307, { location: fault.redirect.location, 'content-length': 0 });
			return res.end();
		}
		streamLargeJson(res, { bytes: fault.bytes ?? 50 * 1024 * 1024 }, record);
	}

	// Fault hook (/__rig/tamper-discovery): a discovery answer that is not JSON (`raw`), or
	// oidc-provider's document with some fields replaced (`fields`), e.g. an endpoint elsewhere.
	function serveTamperedDiscovery(fault, req, res, url) {
		if (fault.raw) {
			res.writeHead(fault.raw.status ?? 200, { 'content-type': fault.raw.contentType ?? 'text/html' });
			return res.end(fault.raw.body ?? '');
		}
		const end = res.end.bind(res);
		const chunks = [];
		res.write = (chunk) => {
			chunks.push(Buffer.from(chunk));
			return true;
		};
		res.end = (chunk) => {
			if (chunk) chunks.push(Buffer.from(chunk));
			const text = JSON.stringify({ ...JSON.parse(Buffer.concat(chunks).toString('utf8')), ...fault.fields });
			res.setHeader('content-length', Buffer.byteLength(text));
			return end(text);
		};
		req.url = `/.well-known/openid-configuration${url.search}`;
		return callback(req, res);
	}

	// MSAL's authorize URL uses Entra scopes; oidc-provider needs resource + names.
	// oidc-provider also drops offline_access unless prompt=consent; Entra issues
	// refresh tokens anyway, so add prompt=consent (the rig's login page consents).
	function rewriteAuthorizeQuery(url) {
		const params = new URLSearchParams(url.search);
		if (params.has('scope')) {
			const mapped = mapEntraScopes(params.get('scope'), { grantType: 'authorization_code', resources });
			if (!mapped.error) {
				params.set('scope', mapped.scope);
				if (mapped.resource) params.set('resource', mapped.resource);
				if (mapped.scope.split(' ').includes('offline_access')) {
					const prompts = new Set((params.get('prompt') || '').split(' ').filter(Boolean));
					prompts.delete('select_account');
					prompts.add('consent');
					params.set('prompt', [...prompts].join(' '));
				}
			}
		}
		return `${url.pathname}?${params}`;
	}

	async function handleTokenish(req, res, route, correlationId) {
		state.count(route);
		const raw = await readBody(req);
		const body = Object.fromEntries(new URLSearchParams(raw));
		const grant =
			route === 'devicecode'
				? 'device_authorization'
				: GRANT_TYPE_ALIASES[body.grant_type]
					? 'device_code'
					: body.grant_type;
		if (grant === 'refresh_token' && state.settings.refreshTokenLatencyMs > 0) {
			await new Promise((resolve) => setTimeout(resolve, state.settings.refreshTokenLatencyMs));
		}
		const clientId = body.client_id || assertionIssuer(body.client_assertion);
		let claimsRequest;
		try {
			claimsRequest = body.claims ? JSON.parse(body.claims) : undefined;
		} catch {
			claimsRequest = undefined;
		}
		const clientAuth = body.client_secret ? 'secret' : body.client_assertion ? 'assertion' : 'none';
		const record =
			route === 'token'
				? state.recordTokenRequest({
						grant,
						clientId,
						tenant,
						host: req.headers.host,
						scope: body.scope,
						claims: body.claims,
						clientAuth,
						assertionHeader: jwtPart(body.client_assertion, 0),
					})
				: undefined;
		const finish = (status) => {
			if (record) record.status = status;
		};
		res.on('finish', () => finish(res.statusCode));

		if (route === 'token' && state.failNext) {
			const injected = completeInjectedError(state.failNext, correlationId);
			state.failNext = undefined;
			return sendJson(res, injected);
		}
		if (!appsConsented || !clientById.has(clientId))
			return sendJson(res, unknownClient(clientId, tenant, correlationId));
		if (route === 'token' && grant) state.countGrant(grant);

		const rig = {
			route,
			grantType: grant,
			clientId,
			correlationId,
			claimsRequest,
			clientAuth,
			requestedScope: body.scope,
		};
		if (GRANT_TYPE_ALIASES[body.grant_type]) body.grant_type = GRANT_TYPE_ALIASES[body.grant_type];
		if (body.scope !== undefined && grant !== 'authorization_code') {
			const mapped = mapEntraScopes(body.scope, { grantType: grant, resources });
			if (mapped.error) {
				const { status, error, code, description } = mapped.error;
				return sendJson(res, { status, body: entraErrorBody({ error, code, description, correlationId }) });
			}
			body.scope = mapped.scope;
			if (mapped.resource) body.resource = mapped.resource;
			if (!body.scope) delete body.scope;
		} else if (body.scope !== undefined) {
			// The code already carries its scopes; keep only the resource hint.
			const mapped = mapEntraScopes(body.scope, { grantType: grant, resources });
			delete body.scope;
			if (!mapped.error && mapped.resource) body.resource = mapped.resource;
		}
		delete body.claims;
		if (grant === 'refresh_token' && body.resource && resources[body.resource]?.requiresUserConsent) {
			rig.consentResource = body.resource;
		}
		if (grant === 'authorization_code') {
			const refused = await entraCodeChecks(body, clientId, correlationId);
			if (refused) return sendJson(res, refused);
		}
		if (grant === OBO_GRANT) {
			const checked = await onBehalfOf.check(body, clientId, correlationId);
			if (checked.refused) return sendJson(res, checked.refused);
			rig.oboUser = checked.user;
		}
		req.rig = rig;
		// oidc-provider accepts an already-parsed body as req.body (once warned about).
		req.body = body;
		return callback(req, res);
	}

	// Entra's answers to a bad authorization-code redemption, checked before oidc-provider sees
	// it: oidc-provider says a bare invalid_grant for all of them, and on a reused code it revokes
	// every token of the grant, which Entra does not do.
	async function entraCodeChecks(body, clientId, correlationId) {
		const code = body.code ? await provider.AuthorizationCode.find(body.code, { ignoreExpiration: true }) : undefined;
		if (!code || code.clientId !== clientId) return undefined;
		const refuse = (errorCode, description) => ({
			status: 400,
			body: entraErrorBody({ error: 'invalid_grant', code: errorCode, description, correlationId }),
		});
		if (code.consumed) {
			return refuse(
				54005,
				'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
			);
		}
		if (code.codeChallenge) {
			const verifier = String(body.code_verifier || '');
			const computed = createHash('sha256').update(verifier).digest('base64url');
			if (!verifier || computed !== code.codeChallenge) {
				return refuse(
					501481,
					'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
				);
			}
		}
		if (code.redirectUri !== body.redirect_uri) {
			return refuse(
				500112,
				`The reply address '${body.redirect_uri}' does not match the reply address '${code.redirectUri}' provided when requesting Authorization code.`,
			);
		}
		return undefined;
	}

	async function approveDevice(userCode, username, deny = false) {
		const normalized = String(userCode || '')
			.toUpperCase()
			.replace(/[^A-Z0-9]/g, '');
		const code =
			(await provider.DeviceCode.findByUserCode(normalized)) ||
			(await provider.DeviceCode.findByUserCode(String(userCode)));
		if (!code) return { status: 404, body: { error: 'unknown user code' } };
		if (deny) {
			Object.assign(code, { error: 'access_denied', errorDescription: 'the user declined' });
			await code.save();
			return { status: 200, body: { denied: true } };
		}
		const user = findUser(username);
		if (!user) return { status: 404, body: { error: `unknown user ${username}` } };
		const resource = code.params.resource;
		const scopes = consentedScopes((code.params.scope || '').split(' ').filter(Boolean), resource);
		const grant = await createGrant(user.oid, code.clientId, scopes, resource);
		Object.assign(code, {
			accountId: user.oid,
			grantId: grant.jti,
			scope: scopes.join(' '),
			resource,
			authTime: Math.floor(Date.now() / 1000),
		});
		if (!resource) delete code.resource;
		await code.save();
		return { status: 200, body: { approved: true, username: user.username, oid: user.oid } };
	}

	return {
		issuer,
		tokenEndpoint: `${origin}${prefix}/token`,
		deviceCodeEndpoint: `${origin}${prefix}/devicecode`,
		authorizeEndpoint: `${origin}${prefix}/authorize`,
		jwksUri: `${origin}/${tenant}/discovery/v2.0/keys`,
		handle,
		approveDevice,
		revokeRefreshTokens: (username) => {
			const user = findUser(username);
			return user ? store.revokeRefreshTokens(user.oid) : 0;
		},
	};
}

function jwtPart(jwt, index) {
	if (!jwt) return undefined;
	try {
		return JSON.parse(Buffer.from(jwt.split('.')[index], 'base64url').toString());
	} catch {
		return undefined;
	}
}

function assertionIssuer(assertion) {
	return jwtPart(assertion, 1)?.iss;
}
