/**
 * Tenant Override with real MSAL against the rig's three tenants: one cache holds a token per
 * tenant, each renews on its own, and Allowed Tenants decides which tenants an item may name.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { acquireAppToken, type ClientCredentialsSettings } from '../../nodes/core/clientCredentials';
import { IdentityProviderError, InvalidInputError } from '../../nodes/core/errors';
import { startRig, type Rig } from '../rig/rig';

jest.setTimeout(60_000);

const tidOf = (accessToken: string): unknown =>
	(JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { tid?: unknown }).tid;

describe('Tenant Override (client credentials)', () => {
	let rig: Rig;
	let settings: (allowedTenants?: string) => ClientCredentialsSettings;

	beforeAll(async () => {
		rig = await startRig();
		settings = (allowedTenants) => ({
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.secret.clientId,
			authentication: { method: 'secret', clientSecret: rig.clients.secret.clientSecret },
			scopes: rig.api.scope,
			allowedTenants,
		});
	});

	afterAll(async () => {
		await rig.stop();
	});

	const tokenRequestsByTenant = async (): Promise<Record<string, number>> => {
		const counts: Record<string, number> = {};
		for (const record of (await rig.stats()).tokenRequests)
			counts[record.tenant ?? '?'] = (counts[record.tenant ?? '?'] ?? 0) + 1;
		return counts;
	};

	it('keeps a token per tenant in one cache, each from its own tenant and renewed on its own', async () => {
		await rig.reset();
		const allowed = settings('tenant2, tenant3');
		const own = await acquireAppToken(allowed, undefined, {});
		const second = await acquireAppToken(allowed, own.cacheToStore, { tenant: 'tenant2' });
		const third = await acquireAppToken(allowed, second.cacheToStore ?? own.cacheToStore, { tenant: 'TENANT3' });
		expect(tidOf(own.token.accessToken)).toBe(rig.tenantId);
		expect(second.token.tenantId).toBe(rig.otherTenants.tenant2.tenantId);
		expect(tidOf(second.token.accessToken)).toBe(rig.otherTenants.tenant2.tenantId);
		expect(third.token.tenantId).toBe(rig.otherTenants.tenant3.tenantId);
		expect(await tokenRequestsByTenant()).toEqual({ tenant1: 1, tenant2: 1, tenant3: 1 });

		// The one cache serves all three tenants silently.
		const cache = third.cacheToStore;
		expect(cache).toBeDefined();
		for (const tenant of [undefined, 'tenant2', 'tenant3']) {
			const again = await acquireAppToken(allowed, cache, { tenant });
			expect(again.token.fromCache).toBe(true);
		}
		expect(await tokenRequestsByTenant()).toEqual({ tenant1: 1, tenant2: 1, tenant3: 1 });

		// The protected API accepts each tenant's token.
		for (const token of [own.token, second.token, third.token]) {
			const response = await fetch(`${rig.api.baseUrl}/me`, {
				headers: { authorization: `Bearer ${token.accessToken}` },
			});
			expect(response.status).not.toBe(401);
		}

		// A forced renewal of tenant2 renews only tenant2; the others stay cached.
		const renewed = await acquireAppToken(allowed, cache, { tenant: 'tenant2', forceRefresh: true });
		expect(renewed.token.fromCache).toBe(false);
		expect(renewed.token.tenantId).toBe(rig.otherTenants.tenant2.tenantId);
		expect(await tokenRequestsByTenant()).toEqual({ tenant1: 1, tenant2: 2, tenant3: 1 });
		const afterRenewal = renewed.cacheToStore;
		expect((await acquireAppToken(allowed, afterRenewal, { tenant: 'tenant3' })).token.fromCache).toBe(true);
		expect((await acquireAppToken(allowed, afterRenewal, {})).token.fromCache).toBe(true);
		expect(await tokenRequestsByTenant()).toEqual({ tenant1: 1, tenant2: 2, tenant3: 1 });
	});

	it('renews the token of a tenant that nears expiry, and only that one', async () => {
		await rig.reset();
		const allowed = settings('tenant2, tenant3');
		await rig.setAccessTokenTtl(3600);
		// Forced: this process's MSAL application may still hold tokens from the test above.
		let cache = (await acquireAppToken(allowed, undefined, { tenant: 'tenant3', forceRefresh: true })).cacheToStore;
		// tenant2's token is issued inside MSAL's 5-minute renewal window: every use renews it.
		await rig.setAccessTokenTtl(200);
		try {
			cache = (await acquireAppToken(allowed, cache, { tenant: 'tenant2', forceRefresh: true })).cacheToStore ?? cache;
			const renewed = await acquireAppToken(allowed, cache, { tenant: 'tenant2' });
			expect(renewed.token.fromCache).toBe(false);
			const stillCached = await acquireAppToken(allowed, renewed.cacheToStore ?? cache, { tenant: 'tenant3' });
			expect(stillCached.token.fromCache).toBe(true);
			expect(await tokenRequestsByTenant()).toEqual({ tenant2: 2, tenant3: 1 });
		} finally {
			await rig.setAccessTokenTtl(3600);
		}
	});

	it('refuses an override with empty Allowed Tenants, or a tenant not listed, before any request', async () => {
		await rig.reset();
		for (const [allowedTenants, message] of [
			[undefined, /Allowed Tenants is empty/],
			['tenant3', /not in the credential's Allowed Tenants/],
		] as const) {
			const failure = acquireAppToken(settings(allowedTenants), undefined, { tenant: 'tenant2' });
			await expect(failure).rejects.toThrow(InvalidInputError);
			await expect(failure).rejects.toMatchObject({ field: 'Allowed Tenants', message });
		}
		await expect(acquireAppToken(settings('*'), undefined, { tenant: 'common' })).rejects.toMatchObject({
			field: 'Tenant Override',
		});
		expect(await tokenRequestsByTenant()).toEqual({});
		// `*` allows any tenant; the credential's own tenant needs no listing.
		expect((await acquireAppToken(settings('*'), undefined, { tenant: 'tenant3' })).token.tenantId).toBe(
			rig.otherTenants.tenant3.tenantId,
		);
		expect((await acquireAppToken(settings(''), undefined, { tenant: rig.tenant })).token.tenantId).toBe(rig.tenantId);
	});

	it('names the tenant and its admin-consent URL when the app is not consented there', async () => {
		const failure = acquireAppToken(settings('unconsented'), undefined, { tenant: 'unconsented' });
		await expect(failure).rejects.toThrow(IdentityProviderError);
		await expect(failure).rejects.toMatchObject({
			aadstsCode: '700016',
			message: expect.stringContaining('(tenant unconsented)'),
			fix: expect.stringContaining(
				`${rig.otherTenants.unconsented.authority}/adminconsent?client_id=${rig.clients.secret.clientId}`,
			),
		});
	});

	it.each([
		[7000229, 'invalid_client', 'AADSTS7000229: The client application is missing service principal in the tenant.'],
		[65001, 'invalid_grant', 'AADSTS65001: The user or administrator has not consented to use the application.'],
	])('AADSTS%s in an override tenant names it and links its admin consent', async (code, error, description) => {
		await rig.failNextTokenRequest({ status: 400, error, error_description: description, error_codes: [code] });
		const failure = acquireAppToken(settings('tenant2'), undefined, { tenant: 'tenant2', forceRefresh: true });
		await expect(failure).rejects.toMatchObject({
			aadstsCode: String(code),
			message: expect.stringContaining('(tenant tenant2)'),
			fix: expect.stringContaining(
				`The app is not consented in tenant tenant2: an administrator of that tenant grants consent at ${rig.otherTenants.tenant2.authority}/adminconsent?client_id=${rig.clients.secret.clientId}`,
			),
		});
	});
});
