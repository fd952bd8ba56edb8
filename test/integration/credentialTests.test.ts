/**
 * The credential dialogs' Test buttons, against the rig: each says what works or the cause and
 * the fix, and never echoes a secret.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { PublicClientApplication } from '@azure/msal-node';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ILoadOptionsFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { acquireDelegatedToken, prepareDelegatedApp } from '../../nodes/core/delegated';
import { searchAccounts } from '../../nodes/n8n/accountSearch';
import { clientCredentialsTest } from '../../nodes/n8n/clientCredentialsAdapter';
import { deviceCodeTest } from '../../nodes/n8n/deviceCodeAdapter';
import { startRig, type Rig } from '../rig/rig';
import { secretClientCredentialData } from '../rig/credentialData';

jest.setTimeout(60_000);

type TestFunction = (
	this: ICredentialTestFunctions,
	credential: { id: string; name: string; type: string; data: ICredentialDataDecryptedObject },
) => Promise<INodeCredentialTestResult>;

// The test functions use nothing of n8n's test context.
const run = (fn: TestFunction, type: string, data: ICredentialDataDecryptedObject) =>
	fn.call({} as ICredentialTestFunctions, { id: 'c1', name: 'test', type, data });

describe('credential Test buttons', () => {
	let rig: Rig;
	let app: ICredentialDataDecryptedObject;

	beforeAll(async () => {
		rig = await startRig();
		app = secretClientCredentialData(rig) as ICredentialDataDecryptedObject;
	});
	afterAll(async () => rig?.stop());

	it('client credentials: a fresh token is requested and reported', async () => {
		await rig.reset();
		const result = await run(clientCredentialsTest, 'msalClientCredentialsApi', app);
		expect(result).toMatchObject({
			status: 'OK',
			message: expect.stringContaining(`Token obtained for ${rig.api.scope}`),
		});
		expect((await rig.stats()).grants.client_credentials).toBe(1);
	});

	it('client credentials: a wrong secret is explained without echoing it', async () => {
		const result = await run(clientCredentialsTest, 'msalClientCredentialsApi', {
			...app,
			clientSecret: 'wrong-secret-value',
		});
		expect(result.status).toBe('Error');
		expect(result.message).toContain('AADSTS7000215: The client secret is wrong.');
		expect(result.message).toContain('Certificates & secrets');
		expect(result.message).not.toContain('wrong-secret-value');
	});

	it('client credentials: a malformed tenant is refused before any request', async () => {
		await rig.reset();
		const result = await run(clientCredentialsTest, 'msalClientCredentialsApi', {
			...app,
			cloud: 'global',
			tenant: 'common',
		});
		expect(result.status).toBe('Error');
		expect(result.message).toContain('Tenant "common" cannot be used');
		expect((await rig.stats()).requests.token ?? 0).toBe(0);
	});

	it('device code: says nobody signed in yet, then who is signed in once someone did, with no request', async () => {
		const data: ICredentialDataDecryptedObject = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.public.clientId,
			scopes: rig.api.delegatedScopes[0],
		};
		const empty = await run(deviceCodeTest, 'msalDeviceCodeApi', data);
		expect(empty).toMatchObject({ status: 'Error', message: expect.stringContaining('nobody has signed in') });

		const settings = {
			cloud: 'custom' as const,
			authorityUrl: rig.authority,
			clientId: rig.clients.public.clientId,
			scopes: rig.api.delegatedScopes[0],
		};
		const signedIn = await acquireDelegatedToken(
			prepareDelegatedApp(settings, 'deviceCode', ['organizations']),
			settings,
			undefined,
			{},
			async (msal: PublicClientApplication, scopes) => {
				const result = await msal.acquireTokenByDeviceCode({
					scopes,
					deviceCodeCallback: (prompt) => void rig.approveDeviceCode(prompt.userCode, 'alice@contoso.test'),
				});
				if (!result) throw new Error('no result');
				return result;
			},
		);
		await rig.reset();
		const result = await run(deviceCodeTest, 'msalDeviceCodeApi', { ...data, tokenCache: signedIn.cacheToStore ?? '' });
		expect(result).toMatchObject({ status: 'OK', message: expect.stringContaining('Signed in as alice@contoso.test') });
		expect(Object.values((await rig.stats()).requests).reduce((a, b) => a + b, 0)).toBe(0);

		// Allowed Accounts by username, and no tenant ID to bind them (a custom authority here): a warning.
		const signedInData = { ...data, tokenCache: signedIn.cacheToStore ?? '' };
		const byName = await run(deviceCodeTest, 'msalDeviceCodeApi', {
			...signedInData,
			allowedAccounts: 'alice@contoso.test',
		});
		expect(byName.status).toBe('OK');
		expect(byName.message).toContain(
			'Warning: Allowed Accounts names alice@contoso.test by username, and the tenant is not a tenant ID',
		);
		const byId = await run(deviceCodeTest, 'msalDeviceCodeApi', {
			...signedInData,
			allowedAccounts: signedIn.token.account?.homeAccountId ?? '',
		});
		expect(byId.message).not.toContain('Warning');

		// The nodes' account picker lists the same person from the cache, by home account ID, with no request.
		const picker = (authentication: string, filter?: string) =>
			searchAccounts.call(
				{
					getNodeParameter: () => authentication,
					getCredentials: async () => ({ ...data, tokenCache: signedIn.cacheToStore ?? '' }),
				} as unknown as ILoadOptionsFunctions,
				filter,
			);
		const listed = await picker('deviceCode');
		expect(listed.results).toEqual([
			{ name: expect.stringContaining('alice@contoso.test'), value: signedIn.token.account?.homeAccountId },
		]);
		expect((await picker('deviceCode', 'bob')).results).toEqual([]);
		expect((await picker('clientCredentials')).results).toEqual([]);
		expect(Object.values((await rig.stats()).requests).reduce((a, b) => a + b, 0)).toBe(0);
	});
});
