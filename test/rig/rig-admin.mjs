// Admin endpoints of the identity provider, under https://127.0.0.1:<P>/__rig/ .
// Only for tests; no authentication (loopback only).
//
//   GET  /__rig/config                 rig.json
//   GET  /__rig/stats                  { requests, grants, tokenRequests }
//   POST /__rig/reset                  zero counters, clear the fail-next hook
//   GET|POST /__rig/settings           { accessTokenTtlSeconds, deviceCodeIntervalSeconds, autoLogin, strictRefreshTokenRotation, refreshTokenLatencyMs }
//   POST /__rig/next-access-token-lifetimes { seconds: [301, ...] }  the next access tokens' lifetimes, in order (until reset)
//   POST /__rig/fail-next-token        { status, error, error_description, error_codes, ... }
//   POST /__rig/tamper-discovery       { fields } | { raw: { status, contentType, body } } until reset
//   POST /__rig/answer-next            { route: token|discovery|jwks, redirect?: { status, location }, bytes? } once
//   POST /__rig/mint-assertion         { clientId, audience?, ttlSeconds? } -> { assertion }
//   POST /__rig/device/approve         { userCode, username }
//   POST /__rig/device/deny            { userCode }
//   POST /__rig/revoke-refresh-tokens  { username } -> { revoked }
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import { readJson, sendJson } from './http-util.mjs';

export function createRigAdmin({ state, idp, rigJson, assertionKeys }) {
	async function mintAssertion({ clientId, audience, ttlSeconds = 600 }) {
		const key = assertionKeys[clientId];
		if (!key) return { status: 400, body: { error: `no assertion key for client ${clientId}` } };
		const now = Math.floor(Date.now() / 1000);
		const assertion = await new SignJWT({ jti: randomUUID() })
			.setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
			.setIssuer(clientId)
			.setSubject(clientId)
			.setAudience(audience || idp.tokenEndpoint)
			.setIssuedAt(now)
			.setNotBefore(now)
			.setExpirationTime(now + Number(ttlSeconds))
			.sign(await importJWK(key, 'RS256'));
		return { status: 200, body: { assertion } };
	}

	return async function handleAdmin(req, res, url) {
		const route = `${req.method} ${url.pathname.replace(/^\/__rig/, '')}`;
		const body = req.method === 'POST' ? await readJson(req) : {};
		switch (route) {
			case 'GET /config':
				return sendJson(res, { body: rigJson() });
			case 'GET /stats':
				return sendJson(res, { body: state.stats() });
			case 'POST /reset':
				state.reset();
				return sendJson(res, { body: { reset: true } });
			case 'GET /settings':
				return sendJson(res, { body: state.settings });
			case 'POST /settings':
				for (const key of Object.keys(state.settings)) {
					if (body[key] !== undefined) state.settings[key] = body[key];
				}
				return sendJson(res, { body: state.settings });
			case 'POST /next-access-token-lifetimes':
				state.nextAccessTokenLifetimes = (body.seconds ?? []).map(Number);
				return sendJson(res, { body: { nextAccessTokenLifetimes: state.nextAccessTokenLifetimes } });
			case 'POST /fail-next-token':
				state.failNext = body;
				return sendJson(res, { body: { armed: true } });
			case 'POST /tamper-discovery':
				state.discoveryFault = body;
				return sendJson(res, { body: { armed: true } });
			case 'POST /answer-next':
				state.answerNext = body;
				return sendJson(res, { body: { armed: true } });
			case 'POST /mint-assertion':
				return sendJson(res, await mintAssertion(body));
			case 'POST /device/approve':
				return sendJson(res, await idp.approveDevice(body.userCode, body.username));
			case 'POST /device/deny':
				return sendJson(res, await idp.approveDevice(body.userCode, undefined, true));
			case 'POST /revoke-refresh-tokens':
				return sendJson(res, { body: { revoked: idp.revokeRefreshTokens(body.username) } });
			default:
				return sendJson(res, { status: 404, body: { error: `unknown admin route ${route}` } });
		}
	};
}
