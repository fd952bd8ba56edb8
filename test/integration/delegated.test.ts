/**
 * The delegated core with real MSAL against the rig: silent first, the refresh token next,
 * the sign-in flow last; accounts listed and signed out in the cache stored by the credential.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { PublicClientApplication } from '@azure/msal-node';
import {
	acquireDelegatedToken,
	listAccounts,
	prepareDelegatedApp,
	signOut,
	type DelegatedSettings,
	type SignInFlow,
} from '../../nodes/core/delegated';
import { startRig, type Rig } from '../rig/rig';

jest.setTimeout(60_000);

describe('delegated acquisition against the identity provider', () => {
	let rig: Rig;
	let settings: DelegatedSettings;
	let stored: string | undefined;
	const signIns: string[] = [];

	/** A scripted person approving the device code as `username`. */
	const deviceCodeAs =
		(username: string): SignInFlow =>
		async (app: PublicClientApplication, scopes) => {
			signIns.push(username);
			const result = await app.acquireTokenByDeviceCode({
				scopes,
				deviceCodeCallback: (prompt) => void rig.approveDeviceCode(prompt.userCode, username),
			});
			if (!result) throw new Error('no result');
			return result;
		};
	const noSignIn: SignInFlow = async () => {
		throw new Error('a sign-in was not expected');
	};
	const prepared = () => prepareDelegatedApp(settings, 'deviceCode', ['organizations']);

	beforeAll(async () => {
		rig = await startRig();
		settings = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.public.clientId,
			scopes: rig.api.delegatedScopes[0],
		};
	});
	afterAll(async () => {
		await rig.setAccessTokenTtl(3600);
		await rig.stop();
	});

	it('signs in once, then serves from the cache without any request', async () => {
		await rig.reset();
		const first = await acquireDelegatedToken(prepared(), settings, undefined, {}, deviceCodeAs('alice@contoso.test'));
		expect(first.token.account?.username).toBe('alice@contoso.test');
		expect(first.cacheToStore).toContain('"RefreshToken"');
		stored = first.cacheToStore;
		expect((await rig.stats()).grants.device_code).toBe(1);

		await rig.reset();
		const second = await acquireDelegatedToken(prepared(), settings, stored, {}, noSignIn);
		expect(second.token.fromCache).toBe(true);
		expect(second.cacheToStore).toBeUndefined();
		expect((await rig.stats()).requests.token).toBe(0);
	});

	it('renews an expiring access token with exactly one refresh-token request and keeps the rotated refresh token', async () => {
		await rig.setAccessTokenTtl(5);
		const forced = await acquireDelegatedToken(prepared(), settings, stored, { forceRefresh: true }, noSignIn);
		stored = forced.cacheToStore;
		await rig.setAccessTokenTtl(3600);
		await rig.reset();
		const refreshTokenBefore = Object.values(
			JSON.parse(stored as string).msal.RefreshToken as Record<string, { secret: string }>,
		)[0].secret;
		const renewed = await acquireDelegatedToken(prepared(), settings, stored, {}, noSignIn);
		expect((await rig.stats()).grants.refresh_token).toBe(1);
		expect(renewed.token.fromCache).toBe(false);
		const refreshTokenAfter = Object.values(
			JSON.parse(renewed.cacheToStore as string).msal.RefreshToken as Record<string, { secret: string }>,
		)[0].secret;
		expect(refreshTokenAfter).not.toBe(refreshTokenBefore);
		stored = renewed.cacheToStore;
	});

	it('gets a token for a second scope silently from the same refresh token', async () => {
		await rig.reset();
		const other = await acquireDelegatedToken(
			prepared(),
			settings,
			stored,
			{ scopes: rig.api.delegatedScopes[1] },
			noSignIn,
		);
		expect(other.token.scopes).toContain(rig.api.delegatedScopes[1]);
		expect((await rig.stats()).grants).toMatchObject({ refresh_token: 1, device_code: 0 });
		stored = other.cacheToStore;
	});

	it('signs in again when the refresh token was revoked', async () => {
		await rig.revokeRefreshTokens('alice@contoso.test');
		await rig.reset();
		const before = signIns.length;
		const again = await acquireDelegatedToken(
			prepared(),
			settings,
			stored,
			{ forceRefresh: true },
			deviceCodeAs('alice@contoso.test'),
		);
		expect(signIns.length).toBe(before + 1);
		expect((await rig.stats()).grants).toMatchObject({ refresh_token: 1, device_code: 1 });
		stored = again.cacheToStore;
	});

	it('keeps two accounts apart, picks the chosen one, and signs out exactly one', async () => {
		const bob = await acquireDelegatedToken(
			prepared(),
			settings,
			stored,
			{ account: 'bob@contoso.test' },
			deviceCodeAs('bob@contoso.test'),
		);
		stored = bob.cacheToStore;
		const { accounts } = await listAccounts(prepared(), stored);
		expect(accounts.map((a) => a.username).sort()).toEqual(['alice@contoso.test', 'bob@contoso.test']);
		expect(JSON.stringify(accounts)).not.toMatch(/secret|refresh/i);

		await expect(acquireDelegatedToken(prepared(), settings, stored, {}, noSignIn)).rejects.toThrow(
			'2 signed-in accounts',
		);
		const asAlice = await acquireDelegatedToken(
			prepared(),
			settings,
			stored,
			{ account: 'alice@contoso.test' },
			noSignIn,
		);
		expect(asAlice.token.account?.username).toBe('alice@contoso.test');

		const out = await signOut(prepared(), stored, { account: 'bob@contoso.test' });
		expect(out.removed.map((a) => a.username)).toEqual(['bob@contoso.test']);
		stored = out.cacheToStore;
		expect((await listAccounts(prepared(), stored)).accounts.map((a) => a.username)).toEqual(['alice@contoso.test']);
		expect(stored).not.toContain('bob@contoso.test');
	});

	it('a record copied through export/import keeps its own cache when the original signs out', async () => {
		const original = await acquireDelegatedToken(
			prepared(),
			settings,
			stored,
			{ forceRefresh: true, record: 'A' },
			noSignIn,
		);
		const copy = original.cacheToStore as string;
		const signedOut = await signOut(prepared(), copy, { all: true }, 'A');
		expect(signedOut.removed.map((a) => a.username)).toEqual(['alice@contoso.test']);

		await rig.reset();
		// Same lineage, older revision than the original's cache in memory: still the copy's own.
		const fromCopy = await acquireDelegatedToken(prepared(), settings, copy, { record: 'B' }, noSignIn);
		expect(fromCopy.token.account?.username).toBe('alice@contoso.test');
		expect(fromCopy.token.fromCache).toBe(true);
		expect((await rig.stats()).requests.token).toBe(0);
		await expect(
			acquireDelegatedToken(prepared(), settings, signedOut.cacheToStore, { record: 'A' }, noSignIn),
		).rejects.toThrow('a sign-in was not expected');
	});
});
