/**
 * n8n as an Entra-protected API, against the rig: token validation with the authority's keys
 * (discovered once, cached), and On-Behalf-Of tokens to a downstream API with real MSAL.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { ClientCredentialsSettings } from '../../nodes/core/clientCredentials';
import {
	acquireOnBehalfOf,
	ConsentRequiredError,
	OboInteractionRequiredError,
} from '../../nodes/core/entraApi/onBehalfOf';
import { SigningKeySet } from '../../nodes/core/entraApi/signingKeys';
import {
	bearerTokenOf,
	TokenRejectedError,
	validateAccessToken,
	type TokenValidationSettings,
} from '../../nodes/core/entraApi/validateToken';
import { startRig, type Rig } from '../rig/rig';
import { appToken, idTokenForApi, userToken } from '../rig/userToken';

jest.setTimeout(60_000);

async function rejection(promise: Promise<unknown>): Promise<TokenRejectedError> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof TokenRejectedError) return error;
		throw error;
	}
	throw new Error('expected a rejection');
}

/** Same header and payload as `token`, re-signed with a key the authority never published. */
function forge(token: string, changes: Record<string, unknown> = {}): string {
	const [header, payload] = token.split('.');
	const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ...changes };
	const body = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
	const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
	return `${body}.${sign('sha256', Buffer.from(body), privateKey).toString('base64url')}`;
}

describe('n8n as an Entra-protected API', () => {
	let rig: Rig;
	let keys: SigningKeySet;
	let settings: TokenValidationSettings;
	let alice: string;

	beforeAll(async () => {
		rig = await startRig();
		keys = new SigningKeySet(rig.authority);
		settings = { clientId: rig.n8nApi.clientId, requiredScopes: ['access_as_user'], cloud: 'custom' };
		alice = await userToken(rig, rig.n8nApi.scope);
	});
	afterAll(async () => {
		await rig?.stop();
	});

	describe('Validate Token', () => {
		it("accepts a person's token for the API and returns the caller's claims, not the token", async () => {
			const claims = await validateAccessToken(bearerTokenOf(`Bearer ${alice}`), keys, settings);
			expect(claims).toMatchObject({
				oid: rig.users[0].oid,
				tid: rig.tenantId,
				preferred_username: rig.users[0].username,
				name: rig.users[0].name,
				scp: expect.arrayContaining(['access_as_user']),
				azp: rig.clients.public.clientId,
				callerType: 'user',
				aud: rig.n8nApi.resource,
			});
			expect(JSON.stringify(claims)).not.toContain(alice.split('.')[2]);
		});

		it('fetches discovery and keys once, then validates 1,000 tokens with no request', async () => {
			const fresh = new SigningKeySet(rig.authority);
			await validateAccessToken(alice, fresh, settings);
			expect(fresh.fetches).toBe(2);
			await rig.reset();
			for (let i = 0; i < 1000; i++) await validateAccessToken(alice, fresh, settings);
			expect(fresh.fetches).toBe(2);
			const stats = await rig.stats();
			expect(stats.requests.jwks ?? 0).toBe(0);
			expect(stats.requests.discovery ?? 0).toBe(0);
		});

		it('refuses a forged token (401 invalid_token) and an unknown kid fetches the keys at most once per interval', async () => {
			const fresh = new SigningKeySet(rig.authority, { minRefreshIntervalMs: 60_000 });
			await validateAccessToken(alice, fresh, settings);
			const forged = await rejection(validateAccessToken(forge(alice), fresh, settings));
			expect(forged.status).toBe(401);
			expect(forged.wwwAuthenticate).toMatch(
				/^Bearer error="invalid_token", error_description="The token signature is invalid\."/,
			);
			const [, payload, signature] = forge(alice).split('.');
			const unknownKid = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'rotated-1' })).toString('base64url')}.${payload}.${signature}`;
			for (let i = 0; i < 20; i++) {
				const error = await rejection(validateAccessToken(unknownKid, fresh, settings));
				expect(error.description).toContain('a key the authority does not publish');
			}
			expect(fresh.fetches).toBe(2);
			const eager = new SigningKeySet(rig.authority, { minRefreshIntervalMs: 0 });
			await validateAccessToken(alice, eager, settings);
			await rejection(validateAccessToken(unknownKid, eager, settings));
			expect(eager.fetches).toBe(3);
		});

		it('refuses an expired token, another audience, another tenant and a missing scope', async () => {
			await rig.setAccessTokenTtl(1);
			const shortLived = await userToken(rig, rig.n8nApi.scope);
			await rig.setAccessTokenTtl(3600);
			await new Promise((done) => setTimeout(done, 2100));
			const expired = await rejection(validateAccessToken(shortLived, keys, { ...settings, clockSkewSeconds: 0 }));
			expect(expired.description).toMatch(/expired/);

			const forDownstream = await userToken(rig, rig.api.delegatedScopes[0]);
			const audience = await rejection(validateAccessToken(forDownstream, keys, settings));
			expect(audience.description).toMatch(/audience/);

			const otherIssuer = await rejection(
				validateAccessToken(alice, keys, { ...settings, allowedTenants: ['00000000-0000-4000-8000-000000000001'] }),
			);
			expect(otherIssuer.description).toMatch(/tenant/);

			const scope = await rejection(validateAccessToken(alice, keys, { ...settings, requiredScopes: ['Admin.All'] }));
			expect(scope.status).toBe(403);
			expect(scope.wwwAuthenticate).toContain('error="insufficient_scope"');
			expect(scope.wwwAuthenticate).toContain('scope="Admin.All"');
		});

		it("accepts an app's token by its app role, and refuses it without the role", async () => {
			const app = await appToken(rig, rig.n8nApi.resource);
			const roleSettings = { ...settings, requiredRoles: ['Data.Read.All'] };
			const claims = await validateAccessToken(app, keys, roleSettings);
			expect(claims).toMatchObject({ callerType: 'app', roles: ['Data.Read.All'], azp: rig.clients.secret.clientId });
			const refused = await rejection(validateAccessToken(app, keys, settings));
			expect(refused.status).toBe(403);
		});

		it('an app-only token without roles (any app of the tenant can get one) is a 403, unless explicitly accepted', async () => {
			const noRoles = await appToken(rig, rig.n8nApi.resource, rig.clients.noRoles);
			const nothingRequired = { clientId: rig.n8nApi.clientId, cloud: 'custom' as const };
			const refused = await rejection(validateAccessToken(noRoles, keys, nothingRequired));
			expect(refused.status).toBe(403);
			expect(refused.wwwAuthenticate).toMatch(
				/^Bearer error="insufficient_scope", error_description="The token carries no permission/,
			);
			const accepted = await validateAccessToken(noRoles, keys, {
				...nothingRequired,
				acceptTokensWithoutPermissions: true,
			});
			expect(accepted).toMatchObject({ callerType: 'app', azp: rig.clients.noRoles.clientId });
			expect(accepted.roles).toBeUndefined();
			// A token with a permission passes with nothing required, as before.
			await expect(validateAccessToken(alice, keys, nothingRequired)).resolves.toMatchObject({ callerType: 'user' });
		});

		it("an ID token issued to the API's client ID is refused (401 invalid_token), even with the option on", async () => {
			const nothingRequired = {
				clientId: rig.n8nApi.clientId,
				cloud: 'custom' as const,
				acceptTokensWithoutPermissions: true,
			};
			for (const [idToken, reason] of [
				[await idTokenForApi(rig, { nonce: 'n-1' }), /ID token \(it carries "nonce"\)/],
				[await idTokenForApi(rig), /names no client app \(azp or appid\)/],
			] as const) {
				expect(JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString()).aud).toBe(rig.n8nApi.clientId);
				const refused = await rejection(validateAccessToken(idToken, keys, nothingRequired));
				expect(refused.status).toBe(401);
				expect(refused.wwwAuthenticate).toMatch(/^Bearer error="invalid_token"/);
				expect(refused.description).toMatch(reason);
			}
		});

		it('Allowed Client Apps: only the listed apps (azp) may call; another gets a 403', async () => {
			const allowed = { ...settings, allowedClientApps: [rig.clients.public.clientId.toUpperCase()] };
			await expect(validateAccessToken(alice, keys, allowed)).resolves.toMatchObject({
				azp: rig.clients.public.clientId,
			});
			const other = await rejection(
				validateAccessToken(alice, keys, { ...settings, allowedClientApps: [rig.clients.certificate.clientId] }),
			);
			expect(other.status).toBe(403);
			expect(other.description).toBe(
				`The client app ${rig.clients.public.clientId} is not among the Allowed Client Apps of this API.`,
			);
		});

		it('a missing or malformed Authorization header is a 401', () => {
			expect(() => bearerTokenOf(undefined)).toThrow(TokenRejectedError);
			expect(() => bearerTokenOf('Basic dXNlcjpwYXNz')).toThrow(/Bearer/);
		});
	});

	describe('On Behalf Of', () => {
		let oboSettings: ClientCredentialsSettings;
		beforeAll(() => {
			oboSettings = {
				cloud: 'custom',
				authorityUrl: rig.authority,
				clientId: rig.n8nApi.clientId,
				authentication: { method: 'secret', clientSecret: rig.clients.secret.clientSecret },
				scopes: rig.api.scope,
			};
		});

		it('gets a downstream token as the caller, and the same caller token makes no second request', async () => {
			await rig.reset();
			const first = await acquireOnBehalfOf(oboSettings, {
				assertion: `Bearer ${alice}`,
				scopes: rig.api.delegatedScopes[0],
			});
			expect(first.fromCache).toBe(false);
			const payload = JSON.parse(Buffer.from(first.accessToken.split('.')[1], 'base64url').toString());
			expect(payload).toMatchObject({ sub: rig.users[0].oid, oid: rig.users[0].oid, aud: rig.api.resource });
			expect(payload.scp).toContain('Data.Read');

			const response = await fetch(`${rig.api.baseUrl}/me`, {
				headers: { authorization: `Bearer ${first.accessToken}` },
			});
			expect(response.status).toBeLessThan(400);

			const statsAfterFirst = await rig.stats();
			const grants = statsAfterFirst.tokenRequests.map((r) => r.grant);
			expect(grants).toEqual(['urn:ietf:params:oauth:grant-type:jwt-bearer']);

			const second = await acquireOnBehalfOf(oboSettings, { assertion: alice, scopes: rig.api.delegatedScopes[0] });
			expect(second.fromCache).toBe(true);
			expect(second.accessToken).toBe(first.accessToken);
			expect((await rig.stats()).tokenRequests).toHaveLength(1);
		});

		it("another caller's token gets that caller's own downstream token", async () => {
			const bob = await userToken(rig, rig.n8nApi.scope, rig.users[1].username);
			const token = await acquireOnBehalfOf(oboSettings, { assertion: bob, scopes: rig.api.delegatedScopes[0] });
			const payload = JSON.parse(Buffer.from(token.accessToken.split('.')[1], 'base64url').toString());
			expect(payload.oid).toBe(rig.users[1].oid);
		});

		it('a missing consent names the admin-consent URL', async () => {
			const error = await acquireOnBehalfOf(oboSettings, {
				assertion: alice,
				scopes: (rig as unknown as { consentApi: { delegatedScopes: string[] } }).consentApi.delegatedScopes[0],
			}).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(ConsentRequiredError);
			expect((error as ConsentRequiredError).fix).toContain(
				`${rig.authority}/v2.0/adminconsent?client_id=${rig.n8nApi.clientId}`,
			);
		});

		it('interaction_required with claims becomes a WWW-Authenticate challenge for the caller', async () => {
			const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
			const carol = await userToken(rig, rig.n8nApi.scope, rig.users[1].username);
			await rig.failNextTokenRequest({
				error: 'interaction_required',
				error_codes: [50076],
				error_description:
					'AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.',
				claims,
				suberror: 'basic_action',
			});
			const error = await acquireOnBehalfOf(oboSettings, {
				assertion: carol,
				scopes: rig.api.delegatedScopes[0],
				forceRefresh: true,
			}).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(OboInteractionRequiredError);
			const challenge = (error as OboInteractionRequiredError).wwwAuthenticate;
			expect(challenge).toContain('error="insufficient_claims"');
			expect(challenge).toContain(`claims="${Buffer.from(claims).toString('base64')}"`);
		});

		it("an app's token or a forged token cannot be exchanged", async () => {
			const app = await appToken(rig, rig.n8nApi.resource);
			await expect(
				acquireOnBehalfOf(oboSettings, { assertion: app, scopes: rig.api.delegatedScopes[0] }),
			).rejects.toThrow(/AADSTS50013/);
			await expect(
				acquireOnBehalfOf(oboSettings, { assertion: forge(alice), scopes: rig.api.delegatedScopes[0] }),
			).rejects.toThrow(/AADSTS50013/);
		});
	});
});
