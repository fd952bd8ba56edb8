// Managed identity endpoints on loopback (plain http, as on Azure), issuing real JWTs signed with
// the identity provider's key, so the protected API accepts them:
//
// App Service / Container Apps (MSAL: IDENTITY_ENDPOINT + IDENTITY_HEADER)
//   GET <appService.endpoint>?api-version=2019-08-01&resource=R[&client_id|mi_res_id|object_id=ID]
//   header X-IDENTITY-HEADER must equal appService.header          (401 otherwise)
//   → {access_token, expires_on, resource, token_type, client_id}
// IMDS (MSAL: AZURE_POD_IDENTITY_AUTHORITY_HOST=<imds.authorityHost>)
//   GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=R[&client_id|msi_res_id|object_id=ID]
//   header Metadata: true                                          (400 otherwise)
//   → {access_token, client_id, expires_in, expires_on, ext_expires_in, not_before, resource, token_type}
//
// Identities: `system` (the host's system-assigned identity), `user` (a user-assigned identity
// attached to the host), `noAccess` (attached, but granted no app role on the API: the API
// answers 403). Any other ID is "not attached": 400 {error: invalid_request}. An unknown resource:
// 400 {error: invalid_resource}. Error bodies carry the marker ENDPOINT-TEXT-NEVER-QUOTED, which no
// error of the package may repeat.
//
// Admin (on the App Service server): GET /__mi/requests, POST /__mi/reset,
//   POST /__mi/settings {"systemAssigned": false, "accessTokenTtlSeconds": 3600, "answerBytes": 0,
//                        "nextAccessTokenLifetimes": [301]}  (the next tokens' lifetimes, in order)
//   (answerBytes > 0: every token answer is a streamed JSON body of that many bytes; the request's
//   record gets `streamed`, what the socket took)
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { importJWK, SignJWT } from 'jose';
import { readJson, sendJson, streamLargeJson } from './http-util.mjs';

export const NEVER_QUOTED = 'ENDPOINT-TEXT-NEVER-QUOTED';
const APP_SERVICE_PATH = '/msi/token';
const IMDS_PATH = '/metadata/identity/oauth2/token';

// `resourceRoles`: roles by audience (an RBAC role on an Azure resource, e.g. Azure OpenAI), in
// place of `roles` for tokens of that resource.
function identity(name, digit, roles, resourceRoles = {}) {
	const guid = (letter) => `${digit.repeat(8)}-${letter.repeat(4)}-4000-8000-${digit.repeat(12)}`;
	return {
		name,
		clientId: guid('a'),
		objectId: guid('b'),
		resourceId: `/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rig/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
		roles,
		resourceRoles,
	};
}

export async function createManagedIdentityEndpoints({ issuer, tenantId, signingJwk, resources, resourceRoles }) {
	const key = await importJWK(signingJwk, 'RS256');
	const identities = {
		system: identity('system', '5', ['Data.Read.All'], resourceRoles),
		user: identity('user', '6', ['Data.Read.All'], resourceRoles),
		noAccess: identity('no-access', '7', []),
	};
	const header = `rig-identity-header-${randomUUID()}`;
	let requests = [];
	let settings = { systemAssigned: true, accessTokenTtlSeconds: 3600 };

	const knownResource = (resource) =>
		resources.find((r) => r === resource || `${r}/` === resource || r === `${resource}/`);

	function findIdentity(query, resourceIdParam) {
		const clientId = query.get('client_id');
		const resourceId = query.get(resourceIdParam);
		const objectId = query.get('object_id');
		const given = [clientId, resourceId, objectId].filter((v) => v !== null);
		if (given.length > 1) return { error: 'more than one identity parameter' };
		const attached = [identities.user, identities.noAccess];
		if (clientId !== null) return { identity: attached.find((i) => i.clientId === clientId) };
		if (resourceId !== null)
			return { identity: attached.find((i) => i.resourceId.toLowerCase() === resourceId.toLowerCase()) };
		if (objectId !== null) return { identity: attached.find((i) => i.objectId === objectId) };
		return { identity: settings.systemAssigned ? identities.system : undefined };
	}

	const refuse = (res, status, error) =>
		sendJson(res, {
			status,
			body: { error, error_description: `${NEVER_QUOTED} <script>alert(1)</script>\nforged log line` },
		});

	async function issue(resource, who) {
		const roles = who.resourceRoles[resource] ?? who.roles;
		const now = Math.floor(Date.now() / 1000);
		const exp = now + (settings.nextAccessTokenLifetimes?.shift() ?? settings.accessTokenTtlSeconds);
		const accessToken = await new SignJWT({
			appid: who.clientId,
			oid: who.objectId,
			tid: tenantId,
			idtyp: 'app',
			xms_mirid: who.resourceId,
			...(roles.length ? { roles } : {}),
		})
			.setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid, typ: 'JWT' })
			.setIssuer(issuer)
			.setAudience(resource)
			.setSubject(who.objectId)
			.setJti(randomUUID())
			.setIssuedAt(now)
			.setNotBefore(now)
			.setExpirationTime(exp)
			.sign(key);
		return { accessToken, exp, now };
	}

	async function serveToken(source, req, res, url) {
		const record = { source, method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams) };
		requests.push(record);
		const answer = (status, error) => {
			record.status = status;
			refuse(res, status, error);
		};
		if (source === 'appService') {
			if (url.pathname !== APP_SERVICE_PATH) return answer(404, 'not_found');
			if (req.headers['x-identity-header'] !== header) return answer(401, 'unauthorized');
			if (url.searchParams.get('api-version') !== '2019-08-01') return answer(400, 'invalid_request');
		} else {
			// MSAL canonicalises the endpoint with a trailing slash; IMDS answers both.
			if (url.pathname.replace(/\/$/, '') !== IMDS_PATH) return answer(404, 'not_found');
			if (req.headers.metadata !== 'true') return answer(400, 'invalid_request');
			if (url.searchParams.get('api-version') !== '2018-02-01') return answer(400, 'invalid_request');
		}
		const resource = url.searchParams.get('resource') || '';
		if (!knownResource(resource)) return answer(400, 'invalid_resource');
		const found = findIdentity(url.searchParams, source === 'imds' ? 'msi_res_id' : 'mi_res_id');
		if (!found.identity) return answer(400, 'invalid_request');
		const who = found.identity;
		if (settings.answerBytes > 0) {
			record.status = 200;
			record.streamed = {};
			return streamLargeJson(res, { bytes: settings.answerBytes }, record.streamed);
		}
		const { accessToken, exp, now } = await issue(knownResource(resource), who);
		record.status = 200;
		record.identity = who.name;
		const body =
			source === 'appService'
				? {
						access_token: accessToken,
						expires_on: String(exp),
						resource,
						token_type: 'Bearer',
						client_id: who.clientId,
					}
				: {
						access_token: accessToken,
						client_id: who.clientId,
						expires_in: String(exp - now),
						expires_on: String(exp),
						ext_expires_in: String(exp - now),
						not_before: String(now),
						resource,
						token_type: 'Bearer',
					};
		sendJson(res, { body });
	}

	async function admin(req, res, url) {
		if (url.pathname === '/__mi/requests') return sendJson(res, { body: requests });
		if (url.pathname === '/__mi/reset' && req.method === 'POST') {
			requests = [];
			settings = { systemAssigned: true, accessTokenTtlSeconds: 3600 };
			return sendJson(res, { body: { ok: true } });
		}
		if (url.pathname === '/__mi/settings' && req.method === 'POST') {
			settings = { ...settings, ...(await readJson(req)) };
			return sendJson(res, { body: settings });
		}
		return sendJson(res, { status: 404, body: { error: 'not_found' } });
	}

	const serve = (source) =>
		createServer((req, res) => {
			const url = new URL(req.url, 'http://127.0.0.1');
			const work = source === 'appService' && url.pathname.startsWith('/__mi/') ? admin : serveToken.bind(null, source);
			Promise.resolve(work(req, res, url)).catch((error) => {
				process.stderr.write(`rig managed identity: ${req.method} ${req.url} failed: ${error.stack || error}\n`);
				if (!res.headersSent) sendJson(res, { status: 500, body: { error: 'rig_internal_error' } });
				else res.end();
			});
		});
	const appServiceServer = serve('appService');
	const imdsServer = serve('imds');
	const listen = (server) => new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server.address().port)));
	const [appServicePort, imdsPort] = await Promise.all([listen(appServiceServer), listen(imdsServer)]);
	const publicIdentity = ({ name, clientId, objectId, resourceId, roles, resourceRoles }) => ({
		name,
		clientId,
		objectId,
		resourceId,
		roles,
		resourceRoles,
	});
	return {
		json: {
			appService: {
				endpoint: `http://127.0.0.1:${appServicePort}${APP_SERVICE_PATH}`,
				header,
				env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${appServicePort}${APP_SERVICE_PATH}`, IDENTITY_HEADER: header },
			},
			imds: {
				authorityHost: `http://127.0.0.1:${imdsPort}`,
				env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${imdsPort}` },
			},
			identities: Object.fromEntries(Object.entries(identities).map(([k, v]) => [k, publicIdentity(v)])),
			adminUrl: `http://127.0.0.1:${appServicePort}/__mi`,
			neverQuoted: NEVER_QUOTED,
		},
		close() {
			for (const server of [appServiceServer, imdsServer]) {
				server.closeAllConnections?.();
				server.close();
			}
		},
	};
}
