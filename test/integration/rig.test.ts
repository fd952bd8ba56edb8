/*
 * Proves the test rig behaves like Entra ID for REAL MSAL Node (no mocks): MSAL
 * discovers the tenant, authenticates each kind of client, caches, refreshes and runs
 * the device-code flow; the protected API accepts what the rig issues.
 * The rig's CA is trusted in-process by startRig() (see rig.ts), so a plain
 * `npx jest test/integration/rig.test.ts` works.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
	AuthenticationResult,
	CryptoProvider,
	ConfidentialClientApplication,
	PublicClientApplication,
} from '@azure/msal-node';
import { Rig, startRig } from '../rig/rig';

jest.setTimeout(60000);

let rig: Rig;

beforeAll(async () => {
	rig = await startRig();
});

afterAll(async () => {
	await rig?.stop();
});

beforeEach(async () => {
	await rig.reset();
	await rig.setAccessTokenTtl(3600);
});

const auth = () => ({ authority: rig.authority, knownAuthorities: [rig.knownAuthority] });

async function callApi(path: string, token: string): Promise<{ status: number; body: any; headers: Headers }> {
	const response = await fetch(`${rig.api.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
	const text = await response.text();
	return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

function claimsOf(jwt: string): Record<string, any> {
	return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

describe('client credentials', () => {
	it('secret client: token accepted by the API with its roles, second call from MSAL cache', async () => {
		const app = new ConfidentialClientApplication({
			auth: { ...auth(), clientId: rig.clients.secret.clientId, clientSecret: rig.clients.secret.clientSecret },
		});
		const first = (await app.acquireTokenByClientCredential({ scopes: [rig.api.scope] })) as AuthenticationResult;
		expect(first.accessToken).toBeTruthy();
		expect(first.scopes).toEqual([rig.api.scope]);

		const claims = claimsOf(first.accessToken);
		expect(claims).toMatchObject({
			aud: rig.api.resource,
			iss: rig.issuer,
			tid: rig.tenantId,
			appid: rig.clients.secret.clientId,
			azp: rig.clients.secret.clientId,
			roles: ['Data.Read.All'],
			idtyp: 'app',
		});
		expect(claims.exp - claims.iat).toBe(3600);

		const me = await callApi('/me', first.accessToken);
		expect(me.status).toBe(200);
		expect(me.body.roles).toEqual(['Data.Read.All']);
		expect(me.headers.get('request-id')).toBeTruthy();

		let stats = await rig.stats();
		expect(stats.requests.discovery).toBe(1);
		expect(stats.grants.client_credentials).toBe(1);
		expect(stats.tokenRequests[0]).toMatchObject({
			grant: 'client_credentials',
			clientId: rig.clients.secret.clientId,
			scope: rig.api.scope,
			clientAuth: 'secret',
			status: 200,
		});

		const second = (await app.acquireTokenByClientCredential({ scopes: [rig.api.scope] })) as AuthenticationResult;
		expect(second.fromCache).toBe(true);
		expect(second.accessToken).toBe(first.accessToken);
		stats = await rig.stats();
		expect(stats.requests.token).toBe(1);

		const recorded = await rig.apiRequests();
		const last = recorded[recorded.length - 1];
		expect(last).toMatchObject({ method: 'GET', path: '/me', status: 200 });
		expect(last.headers.authorization).toMatchObject({ valid: true, roles: ['Data.Read.All'] });
	});

	it('certificate client signs its assertion with PS256 and x5t#S256', async () => {
		const cert = rig.clients.certificate;
		const app = new ConfidentialClientApplication({
			auth: {
				...auth(),
				clientId: cert.clientId,
				clientCertificate: {
					thumbprintSha256: cert.thumbprintSha256,
					privateKey: cert.privateKeyPem,
					x5c: cert.certificatePem,
				},
			},
		});
		const result = (await app.acquireTokenByClientCredential({ scopes: [rig.api.scope] })) as AuthenticationResult;
		expect(claimsOf(result.accessToken).roles).toEqual(['Data.Read.All', 'Data.Write.All']);
		expect((await callApi('/me', result.accessToken)).status).toBe(200);

		const [request] = (await rig.stats()).tokenRequests;
		expect(request.clientAuth).toBe('assertion');
		expect(request.assertionHeader).toMatchObject({ alg: 'PS256' });
		expect(request.assertionHeader?.['x5t#S256']).toBeTruthy();
		expect(request.assertionHeader?.kid).toBeUndefined();
	});

	it('federated client with an assertion minted by the rig', async () => {
		const clientId = rig.clients.federated.clientId;
		const app = new ConfidentialClientApplication({
			auth: { ...auth(), clientId, clientAssertion: () => rig.mintClientAssertion(clientId) },
		});
		const result = (await app.acquireTokenByClientCredential({ scopes: [rig.api.scope] })) as AuthenticationResult;
		expect(claimsOf(result.accessToken).appid).toBe(clientId);
		expect((await callApi('/me', result.accessToken)).status).toBe(200);
	});

	it('the same client assertion can be sent twice (Entra tolerates it)', async () => {
		const clientId = rig.clients.federated.clientId;
		const assertion = await rig.mintClientAssertion(clientId);
		for (let i = 0; i < 2; i += 1) {
			const app = new ConfidentialClientApplication({ auth: { ...auth(), clientId, clientAssertion: assertion } });
			await expect(app.acquireTokenByClientCredential({ scopes: [rig.api.scope] })).resolves.toBeTruthy();
		}
		expect((await rig.stats()).grants.client_credentials).toBe(2);
	});

	it('wrong secret fails with AADSTS7000215', async () => {
		const app = new ConfidentialClientApplication({
			auth: { ...auth(), clientId: rig.clients.secret.clientId, clientSecret: 'not-the-secret' },
		});
		await expect(app.acquireTokenByClientCredential({ scopes: [rig.api.scope] })).rejects.toMatchObject({
			errorCode: 'invalid_client',
			message: expect.stringContaining('AADSTS7000215'),
		});
	});

	it('unknown client, unknown scope and the fail-next hook answer like Entra', async () => {
		const unknown = new ConfidentialClientApplication({
			auth: { ...auth(), clientId: '99999999-9999-4999-8999-999999999999', clientSecret: 'x' },
		});
		await expect(unknown.acquireTokenByClientCredential({ scopes: [rig.api.scope] })).rejects.toMatchObject({
			errorCode: 'unauthorized_client',
			message: expect.stringContaining('AADSTS700016'),
		});

		const app = new ConfidentialClientApplication({
			auth: { ...auth(), clientId: rig.clients.secret.clientId, clientSecret: rig.clients.secret.clientSecret },
		});
		await expect(
			app.acquireTokenByClientCredential({ scopes: [`${rig.api.resource}/Data.Read`] }),
		).rejects.toMatchObject({ errorCode: 'invalid_scope', message: expect.stringContaining('AADSTS1002012') });

		await rig.failNextTokenRequest({
			status: 401,
			error: 'invalid_client',
			error_description: 'AADSTS7000222: The provided client secret keys for app are expired.',
			error_codes: [7000222],
		});
		await expect(app.acquireTokenByClientCredential({ scopes: [rig.api.scope] })).rejects.toMatchObject({
			message: expect.stringContaining('AADSTS7000222'),
		});
		// The hook fires once.
		await expect(app.acquireTokenByClientCredential({ scopes: [rig.api.scope] })).resolves.toBeTruthy();
	});

	it('unknown tenant is AADSTS90002', async () => {
		const response = await fetch(`${rig.authorityHost}/nosuchtenant/v2.0/.well-known/openid-configuration`);
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
		const app = new ConfidentialClientApplication({
			auth: {
				authority: `${rig.authorityHost}/nosuchtenant`,
				knownAuthorities: [rig.knownAuthority],
				clientId: rig.clients.secret.clientId,
				clientSecret: rig.clients.secret.clientSecret,
			},
		});
		await expect(app.acquireTokenByClientCredential({ scopes: [rig.api.scope] })).rejects.toBeTruthy();
	});

	it('a short access-token lifetime makes MSAL ask again', async () => {
		await rig.setAccessTokenTtl(5);
		const app = new ConfidentialClientApplication({
			auth: { ...auth(), clientId: rig.clients.secret.clientId, clientSecret: rig.clients.secret.clientSecret },
		});
		const first = (await app.acquireTokenByClientCredential({ scopes: [rig.api.scope] })) as AuthenticationResult;
		const claims = claimsOf(first.accessToken);
		expect(claims.exp - claims.iat).toBe(5);
		await app.acquireTokenByClientCredential({ scopes: [rig.api.scope] });
		expect((await rig.stats()).grants.client_credentials).toBe(2);
	});
});

describe('delegated', () => {
	const publicApp = () => new PublicClientApplication({ auth: { ...auth(), clientId: rig.clients.public.clientId } });

	it('device code approved by the scripted person, then refresh via acquireTokenSilent(forceRefresh)', async () => {
		const app = publicApp();
		const alice = rig.users.find((u) => u.username === 'alice@contoso.test')!;
		const scopes = [`${rig.api.resource}/Data.Read`];
		let message = '';
		const result = (await app.acquireTokenByDeviceCode({
			scopes,
			deviceCodeCallback: (response) => {
				message = response.message;
				void rig.approveDeviceCode(response.userCode, alice.username);
			},
		})) as AuthenticationResult;
		expect(message).toContain('enter the code');
		expect(result.account).toMatchObject({
			username: alice.username,
			localAccountId: alice.oid,
			homeAccountId: `${alice.oid}.${rig.tenantId}`,
			tenantId: rig.tenantId,
		});
		expect(result.idTokenClaims).toMatchObject({
			oid: alice.oid,
			tid: rig.tenantId,
			preferred_username: alice.username,
		});
		expect(claimsOf(result.accessToken)).toMatchObject({
			scp: expect.stringContaining('Data.Read'),
			oid: alice.oid,
			aud: rig.api.resource,
		});
		const me = await callApi('/me', result.accessToken);
		expect(me.status).toBe(200);
		expect(me.body.preferred_username).toBe(alice.username);
		expect((await rig.stats()).grants.device_code).toBeGreaterThanOrEqual(1);

		await rig.reset();
		const silent = await app.acquireTokenSilent({ account: result.account!, scopes });
		expect(silent.fromCache).toBe(true);
		const refreshed = await app.acquireTokenSilent({ account: result.account!, scopes, forceRefresh: true });
		expect(refreshed.fromCache).toBe(false);
		expect(refreshed.accessToken).not.toBe(result.accessToken);
		const stats = await rig.stats();
		expect(stats.grants.refresh_token).toBe(1);
		expect(stats.tokenRequests).toHaveLength(1);
		expect((await callApi('/me', refreshed.accessToken)).status).toBe(200);

		// Revoked refresh tokens make the next refresh fail like Entra (invalid_grant).
		expect(await rig.revokeRefreshTokens(alice.username)).toBeGreaterThanOrEqual(1);
		await expect(
			app.acquireTokenSilent({ account: result.account!, scopes, forceRefresh: true }),
		).rejects.toMatchObject({ errorCode: 'invalid_grant' });
	});

	it('device code denied by the person fails the MSAL call', async () => {
		const app = publicApp();
		await expect(
			app.acquireTokenByDeviceCode({
				scopes: [`${rig.api.resource}/Data.Read`],
				deviceCodeCallback: (response) => {
					void rig.denyDeviceCode(response.userCode);
				},
			}),
		).rejects.toBeTruthy();
	});
});

describe('authorization code + PKCE, password grant, claims challenge', () => {
	const redirectUri = 'http://localhost:5678/rest/oauth2-credential/callback';

	it('auth code with PKCE through the scripted sign-in form, for the public client', async () => {
		const app = new PublicClientApplication({ auth: { ...auth(), clientId: rig.clients.public.clientId } });
		const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
		const scopes = [`${rig.api.resource}/Data.Read`];
		const url = await app.getAuthCodeUrl({
			scopes,
			redirectUri,
			codeChallenge: challenge,
			codeChallengeMethod: 'S256',
			state: 'xyz',
		});
		const bob = rig.users.find((u) => u.username === 'bob@contoso.test')!;
		const back = await rig.signIn(url, bob);
		expect(back.origin + back.pathname).toBe(redirectUri);
		expect(back.searchParams.get('state')).toBe('xyz');
		const result = await app.acquireTokenByCode({
			code: back.searchParams.get('code')!,
			scopes,
			redirectUri,
			codeVerifier: verifier,
		});
		expect(result.account).toMatchObject({ username: bob.username, homeAccountId: `${bob.oid}.${rig.tenantId}` });
		expect(claimsOf(result.accessToken).scp).toBe('Data.Read');
		expect((await callApi('/me', result.accessToken)).body.oid).toBe(bob.oid);

		// Entra issues refresh tokens without prompt=consent: silent refresh works.
		await rig.reset();
		await app.acquireTokenSilent({ account: result.account!, scopes, forceRefresh: true });
		expect((await rig.stats()).grants.refresh_token).toBe(1);
	});

	it('auth code for the confidential secret client, signed in by login_hint', async () => {
		const app = new ConfidentialClientApplication({
			auth: { ...auth(), clientId: rig.clients.secret.clientId, clientSecret: rig.clients.secret.clientSecret },
		});
		const scopes = [`${rig.api.resource}/Data.Read`, `${rig.api.resource}/Data.Write`];
		const url = await app.getAuthCodeUrl({ scopes, redirectUri, loginHint: 'alice@contoso.test' });
		const back = await rig.signIn(url);
		const result = await app.acquireTokenByCode({ code: back.searchParams.get('code')!, scopes, redirectUri });
		expect(claimsOf(result.accessToken).scp).toBe('Data.Read Data.Write');
		expect(result.account?.username).toBe('alice@contoso.test');
	});

	it('password grant (plain HTTP; MSAL Node 7 has no ROPC API)', async () => {
		const response = await fetch(rig.tokenEndpoint, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'password',
				client_id: rig.clients.public.clientId,
				username: 'alice@contoso.test',
				password: 'Alice-Passw0rd!',
				scope: `${rig.api.resource}/Data.Read openid profile offline_access`,
				client_info: '1',
			}),
		});
		const body = (await response.json()) as Record<string, string>;
		expect(response.status).toBe(200);
		expect(body).toMatchObject({
			token_type: 'Bearer',
			scope: `${rig.api.resource}/Data.Read openid profile offline_access`,
		});
		expect(body.refresh_token).toBeTruthy();
		expect(JSON.parse(Buffer.from(body.client_info, 'base64url').toString())).toMatchObject({ utid: rig.tenantId });
		expect((await callApi('/me', body.access_token)).body.preferred_username).toBe('alice@contoso.test');

		const wrong = await fetch(rig.tokenEndpoint, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'password',
				client_id: rig.clients.public.clientId,
				username: 'alice@contoso.test',
				password: 'nope',
				scope: `${rig.api.resource}/Data.Read`,
			}),
		});
		expect(wrong.status).toBe(400);
		expect(await wrong.json()).toMatchObject({ error: 'invalid_grant', error_codes: [50126] });
	});

	it('claims challenge from /cae is satisfied by a token requested with those claims', async () => {
		const app = new ConfidentialClientApplication({
			auth: { ...auth(), clientId: rig.clients.secret.clientId, clientSecret: rig.clients.secret.clientSecret },
		});
		const first = (await app.acquireTokenByClientCredential({ scopes: [rig.api.scope] }))!;
		const challenged = await callApi('/cae?key=k1', first.accessToken);
		expect(challenged.status).toBe(401);
		const header = challenged.headers.get('www-authenticate')!;
		expect(header).toContain('error="insufficient_claims"');
		const claims = Buffer.from(/claims="([^"]+)"/.exec(header)![1], 'base64').toString('utf8');

		const second = (await app.acquireTokenByClientCredential({ scopes: [rig.api.scope], claims }))!;
		expect(second.fromCache).toBe(false);
		expect((await callApi('/cae?key=k1', second.accessToken)).status).toBe(200);
		const requests = (await rig.stats()).tokenRequests;
		expect(requests[requests.length - 1].claims).toContain('nbf');
	});
});

describe('protected API routes', () => {
	let token: string;
	beforeAll(async () => {
		const app = new ConfidentialClientApplication({
			auth: { ...auth(), clientId: rig.clients.secret.clientId, clientSecret: rig.clients.secret.clientSecret },
		});
		token = (await app.acquireTokenByClientCredential({ scopes: [rig.api.scope] }))!.accessToken;
	});
	const get = (path: string, init: RequestInit = {}) =>
		fetch(`${rig.api.baseUrl}${path}`, {
			...init,
			headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
		});

	it('rejects missing, forged and wrong-audience tokens with 401 invalid_token', async () => {
		const none = await fetch(`${rig.api.baseUrl}/me`);
		expect(none.status).toBe(401);
		expect(none.headers.get('www-authenticate')).toContain('error="invalid_token"');
		const [h, p] = token.split('.');
		const forged = await fetch(`${rig.api.baseUrl}/me`, { headers: { authorization: `Bearer ${h}.${p}.AAAA` } });
		expect(forged.status).toBe(401);
	});

	it('pages Graph and ARM style, echoes, throttles, fails on demand, serves bytes', async () => {
		await rig.resetApi();
		const page1 = (await (await get('/items?total=5&pageSize=2')).json()) as any;
		expect(page1.value).toHaveLength(2);
		const page3 = (await (
			await fetch(
				(
					(await (
						await fetch(page1['@odata.nextLink'], { headers: { authorization: `Bearer ${token}` } })
					).json()) as any
				)['@odata.nextLink'],
				{ headers: { authorization: `Bearer ${token}` } },
			)
		).json()) as any;
		expect(page3.value.map((v: any) => v.index)).toEqual([4]);
		expect(page3['@odata.nextLink']).toBeUndefined();
		const arm = (await (await get('/arm/items?total=3&pageSize=2')).json()) as any;
		expect(arm.nextLink).toContain('/arm/items');

		const echo = (await (
			await get('/echo?a=1', {
				method: 'POST',
				body: 'hello',
				headers: { 'content-type': 'text/plain', 'client-request-id': 'c-1' },
			})
		).json()) as any;
		expect(echo).toMatchObject({ method: 'POST', query: { a: '1' }, bodyText: 'hello', contentType: 'text/plain' });
		expect(echo.headers.authorization).toBeUndefined();

		const t1 = await get('/throttle?key=t&times=1&retryAfter=2');
		expect(t1.status).toBe(429);
		expect(t1.headers.get('retry-after')).toBe('2');
		expect((await get('/throttle?key=t&times=1&retryAfter=2')).status).toBe(200);
		expect((await get('/unavailable?status=504')).status).toBe(504);

		const error = await get('/error?status=403&code=Authorization_RequestDenied', {
			headers: { 'client-request-id': 'abc' },
		});
		expect(error.status).toBe(403);
		expect(error.headers.get('client-request-id')).toBe('abc');
		expect(((await error.json()) as any).error).toMatchObject({
			code: 'Authorization_RequestDenied',
			innerError: { 'request-id': expect.any(String) },
		});

		const binary = await get('/binary?size=1000');
		expect(binary.headers.get('content-type')).toBe('application/octet-stream');
		expect(binary.headers.get('content-disposition')).toContain('filename=');
		const bytes = Buffer.from(await binary.arrayBuffer());
		expect(bytes).toHaveLength(1000);
		const upload = (await (
			await get('/upload', { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } })
		).json()) as any;
		expect(upload).toMatchObject({ size: 1000, contentType: 'application/octet-stream' });

		const recorded = await rig.apiRequests();
		expect(recorded.find((r) => r.path === '/upload')?.bodySha256).toBe(upload.sha256);
		expect(recorded.find((r) => r.path === '/throttle')?.status).toBe(429);
	});

	it('answers 403 when the token lacks the route permission', async () => {
		await rig.setApiRouteAuth('/upload', { roles: ['Data.Write.All'], scopes: ['Data.Write'] });
		expect((await get('/upload', { method: 'POST', body: 'x' })).status).toBe(403);
		await rig.resetApi();
		expect((await get('/upload', { method: 'POST', body: 'x' })).status).toBe(200);
	});
});
