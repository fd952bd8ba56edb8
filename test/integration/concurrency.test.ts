/**
 * Concurrent acquisitions in one n8n process, as when n8n's HTTP Request node sends many items at
 * once: each item read the credential before any of them saved a cache, so all bring the same
 * (stale) stored cache. One request to the identity provider must serve them all, and the
 * delegated refresh token rotated by the first must not be lost.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { PublicClientApplication } from '@azure/msal-node';
import { acquireAppToken, type ClientCredentialsSettings } from '../../nodes/core/clientCredentials';
import {
	acquireDelegatedToken,
	prepareDelegatedApp,
	type DelegatedSettings,
	type SignInFlow,
} from '../../nodes/core/delegated';
import { startRig, type Rig } from '../rig/rig';

jest.setTimeout(60_000);

const refreshTokensOf = (stored: string): string[] =>
	Object.values(JSON.parse(stored).msal.RefreshToken as Record<string, { secret: string }>).map((t) => t.secret);

describe('concurrent acquisitions from the same stored cache', () => {
	let rig: Rig;
	beforeAll(async () => {
		rig = await startRig();
	});
	afterAll(async () => {
		await rig?.setAccessTokenTtl(3600);
		await rig?.stop();
	});

	it('app tokens: 20 items that all read an empty credential make one token request', async () => {
		const settings: ClientCredentialsSettings = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.certificate.clientId,
			authentication: {
				method: 'certificate',
				privateKey: rig.clients.certificate.privateKeyPem,
				certificate: rig.clients.certificate.certificatePem,
				sendX5c: false,
			},
			scopes: rig.api.scope,
		};
		await rig.reset();
		const outcomes = await Promise.all(Array.from({ length: 20 }, () => acquireAppToken(settings, undefined, {})));
		expect((await rig.stats()).grants.client_credentials).toBe(1);
		expect(new Set(outcomes.map((o) => o.token.accessToken)).size).toBe(1);
		expect(outcomes.filter((o) => o.cacheToStore !== undefined).length).toBeGreaterThanOrEqual(1);
	});

	it('delegated: 20 renewals from the same expired cache make one refresh-token request and keep the rotated refresh token', async () => {
		const settings: DelegatedSettings = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.public.clientId,
			scopes: rig.api.delegatedScopes[0],
		};
		const prepared = () => prepareDelegatedApp(settings, 'concurrency', ['organizations']);
		const deviceCode: SignInFlow = async (app: PublicClientApplication, scopes) => {
			const result = await app.acquireTokenByDeviceCode({
				scopes,
				deviceCodeCallback: (p) => void rig.approveDeviceCode(p.userCode, 'bob@contoso.test'),
			});
			if (!result) throw new Error('no result');
			return result;
		};
		await rig.setAccessTokenTtl(5); // issued inside MSAL's renewal window: the next use renews
		const signedIn = await acquireDelegatedToken(prepared(), settings, undefined, {}, deviceCode);
		await rig.setAccessTokenTtl(3600);
		const stale = signedIn.cacheToStore as string;
		const noSignIn: SignInFlow = async () => {
			throw new Error('no sign-in expected');
		};
		await rig.reset();
		const outcomes = await Promise.all(
			Array.from({ length: 20 }, () => acquireDelegatedToken(prepared(), settings, stale, {}, noSignIn)),
		);
		expect((await rig.stats()).grants.refresh_token).toBe(1);
		const written = outcomes.map((o) => o.cacheToStore).filter((c): c is string => c !== undefined);
		expect(written).toHaveLength(1);
		expect(refreshTokensOf(written[0])).not.toEqual(refreshTokensOf(stale));
	});
});
