/**
 * The managed identity cases, run against one of the rig's endpoints. MSAL picks the source once
 * per process from the environment, so each source has its own test file (jest gives each file
 * its own module registry and globals) and sets the environment before the first acquisition.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ICredentialTestFunctions } from 'n8n-workflow';
import { IdentityProviderError, InvalidInputError, MsalNodeError } from '../../../nodes/core/errors';
import {
	acquireManagedIdentityToken,
	type ManagedIdentitySettings,
} from '../../../nodes/core/managedIdentity/managedIdentity';
import { managedIdentityTest } from '../../../nodes/n8n/managedIdentityAdapter';
import { startRig, type Rig } from '../../rig/rig';

jest.setTimeout(60_000);

const MSAL_SOURCE_VARIABLES = [
	'IDENTITY_ENDPOINT',
	'IDENTITY_HEADER',
	'IDENTITY_SERVER_THUMBPRINT',
	'IMDS_ENDPOINT',
	'MSI_ENDPOINT',
	'MSI_SECRET',
	'AZURE_POD_IDENTITY_AUTHORITY_HOST',
];
const ADMIN_VARIABLES = ['N8N_MSAL_AMBIENT_IDENTITY_ENABLED', 'N8N_MSAL_AMBIENT_IDENTITY_RESOURCES'];

export function describeManagedIdentitySource(source: 'appService' | 'imds', sourceName: string): void {
	describe(`managed identity from the ${sourceName} endpoint`, () => {
		let rig: Rig;
		const saved: Record<string, string | undefined> = {};
		const settings = (overrides: Partial<ManagedIdentitySettings> = {}): ManagedIdentitySettings => ({
			identityType: 'system',
			identityId: '',
			scopes: rig.api.scope,
			...overrides,
		});
		const requests = async () => (await rig.managedIdentityRequests()).filter((r) => r.source === source);
		const callApi = async (accessToken: string) =>
			await fetch(`${rig.api.baseUrl}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
		const failure = async (promise: Promise<unknown>) => {
			const error = await promise.then(
				() => undefined,
				(e: unknown) => e,
			);
			expect(error).toBeInstanceOf(MsalNodeError);
			const { message, fix } = error as MsalNodeError;
			expect(`${message} ${fix}`).not.toContain(rig.managedIdentity.neverQuoted);
			expect(`${message} ${fix}`).not.toContain('<script>');
			return error as MsalNodeError;
		};

		beforeAll(async () => {
			rig = await startRig();
			for (const name of [...MSAL_SOURCE_VARIABLES, ...ADMIN_VARIABLES]) {
				saved[name] = process.env[name];
				delete process.env[name];
			}
			Object.assign(process.env, rig.managedIdentity[source].env, { N8N_MSAL_AMBIENT_IDENTITY_ENABLED: 'true' });
		});
		afterAll(async () => {
			for (const name of [...MSAL_SOURCE_VARIABLES, ...ADMIN_VARIABLES]) {
				if (saved[name] === undefined) delete process.env[name];
				else process.env[name] = saved[name];
			}
			await rig?.stop();
		});

		it('system-assigned: one endpoint request, a token the API accepts, then MSAL’s cache (no request)', async () => {
			await rig.resetManagedIdentity();
			const first = await acquireManagedIdentityToken(settings(), {});
			expect(first.token).toMatchObject({ fromCache: false, scopes: [rig.api.scope], tenantId: rig.tenantId });
			expect(first.cacheToStore).toBeUndefined();
			const sent = await requests();
			expect(sent).toHaveLength(1);
			expect(sent[0]).toMatchObject({ status: 200, identity: 'system', query: { resource: rig.api.resource } });
			expect(sent[0].query.client_id ?? sent[0].query.object_id ?? sent[0].query.mi_res_id).toBeUndefined();
			const me = await callApi(first.token.accessToken);
			expect(me.status).toBe(200);
			expect(await me.json()).toMatchObject({ appid: rig.managedIdentity.identities.system.clientId });

			const second = await acquireManagedIdentityToken(settings(), {});
			expect(second.token.fromCache).toBe(true);
			expect(second.token.accessToken).toBe(first.token.accessToken);
			expect(await requests()).toHaveLength(1);
		});

		it('off until the administrator turns it on: acquisition and Test refuse, naming the variable; the endpoint gets nothing', async () => {
			await rig.resetManagedIdentity();
			const test = () =>
				managedIdentityTest.call({} as ICredentialTestFunctions, {
					id: 'c0',
					name: 'mi',
					type: 'msalManagedIdentityApi',
					data: { identityType: 'system', scopes: rig.api.scope },
				});
			for (const value of [undefined, 'false', 'yes']) {
				if (value === undefined) delete process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED;
				else process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED = value;
				try {
					const error = await failure(acquireManagedIdentityToken(settings(), { forceRefresh: true }));
					expect(error).toBeInstanceOf(InvalidInputError);
					expect(error.message).toMatch(
						/^Managed identity is off on this n8n: it lends the n8n host's own Azure identity/,
					);
					expect(error.message).toContain('N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true');
					const result = await test();
					expect(result.status).toBe('Error');
					expect(result.message).toContain('N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true');
				} finally {
					process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED = 'true';
				}
			}
			expect(await requests()).toHaveLength(0);
			// n8n's reading of a boolean variable: "1" and any case of "true" turn it on.
			for (const value of ['1', 'TRUE']) {
				process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED = value;
				expect((await test()).status).toBe('OK');
			}
			process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED = 'true';
		});

		it("the administrator's resource list: another resource is refused before any request, from the credential or the node", async () => {
			await rig.resetManagedIdentity();
			process.env.N8N_MSAL_AMBIENT_IDENTITY_RESOURCES = 'https://graph.microsoft.com,https://vault.azure.net';
			try {
				const fromCredential = await failure(acquireManagedIdentityToken(settings(), { forceRefresh: true }));
				expect(fromCredential).toBeInstanceOf(InvalidInputError);
				expect(fromCredential.field).toBe('Scopes (credential)');
				expect(fromCredential.message).toContain(
					`may not be used for "${rig.api.resource.toLowerCase()}" (from Scopes (credential)): the administrator allows only https://graph.microsoft.com, https://vault.azure.net (N8N_MSAL_AMBIENT_IDENTITY_RESOURCES)`,
				);
				const fromNode = await failure(
					acquireManagedIdentityToken(settings({ scopes: 'https://graph.microsoft.com/.default' }), {
						scopes: rig.api.scope,
					}),
				);
				expect(fromNode.field).toBe('Scopes');
				expect(await requests()).toHaveLength(0);
				process.env.N8N_MSAL_AMBIENT_IDENTITY_RESOURCES = `https://graph.microsoft.com, ${rig.api.resource}/`;
				const allowed = await acquireManagedIdentityToken(settings(), { forceRefresh: true });
				expect(allowed.token.scopes).toEqual([rig.api.scope]);
				expect(await requests()).toHaveLength(1);
			} finally {
				delete process.env.N8N_MSAL_AMBIENT_IDENTITY_RESOURCES;
			}
		});

		it('many items at once with an empty cache share one endpoint request', async () => {
			await rig.resetManagedIdentity();
			const user = rig.managedIdentity.identities.user;
			const tokens = await Promise.all(
				Array.from({ length: 20 }, () =>
					acquireManagedIdentityToken(settings({ identityType: 'userObjectId', identityId: user.objectId }), {}),
				),
			);
			expect(new Set(tokens.map((t) => t.token.accessToken)).size).toBe(1);
			expect(await requests()).toHaveLength(1);
		});

		const userAssignedCases: Array<
			['userClientId' | 'userResourceId' | 'userObjectId', 'clientId' | 'resourceId' | 'objectId', string]
		> = [
			['userClientId', 'clientId', 'client_id'],
			['userResourceId', 'resourceId', source === 'imds' ? 'msi_res_id' : 'mi_res_id'],
			['userObjectId', 'objectId', 'object_id'],
		];
		it.each(userAssignedCases)(
			'user-assigned by %s: the ID goes as %s and the token is the identity’s',
			async (type, idKey, param) => {
				await rig.resetManagedIdentity();
				const user = rig.managedIdentity.identities.user;
				const { token } = await acquireManagedIdentityToken(settings({ identityType: type, identityId: user[idKey] }), {
					forceRefresh: true,
				});
				const [sent] = await requests();
				expect(sent.query[param]).toBe(user[idKey]);
				expect(sent.identity).toBe('user');
				expect(await (await callApi(token.accessToken)).json()).toMatchObject({ appid: user.clientId });
			},
		);

		it('forceRefresh asks the endpoint again', async () => {
			await rig.resetManagedIdentity();
			await acquireManagedIdentityToken(settings(), { forceRefresh: true });
			expect(await requests()).toHaveLength(1);
		});

		it('a user-assigned identity not attached to the host: the error names the ID field and the fix', async () => {
			await rig.resetManagedIdentity();
			const error = await failure(
				acquireManagedIdentityToken(
					settings({ identityType: 'userClientId', identityId: '0badc0de-0000-4000-8000-000000000000' }),
					{},
				),
			);
			expect(error).toBeInstanceOf(IdentityProviderError);
			expect(error.field).toBe('Client ID');
			expect(error.message).toMatch(/HTTP 400.*not attached/);
			expect(error.fix).toMatch(/Identity → User assigned/);
		});

		it('no system-assigned identity on the host: the error says to turn it on', async () => {
			await rig.managedIdentitySettings({ systemAssigned: false });
			try {
				const error = await failure(acquireManagedIdentityToken(settings(), { forceRefresh: true }));
				expect(error.field).toBe('Identity Type');
				expect(error.fix).toMatch(/System assigned → On/);
			} finally {
				await rig.resetManagedIdentity();
			}
		});

		it('a resource Entra does not know: the error names Scopes', async () => {
			const error = await failure(
				acquireManagedIdentityToken(settings(), { scopes: 'https://unknown.example/.default' }),
			);
			expect(error.field).toBe('Scopes');
		});

		it('bad input is refused before any request', async () => {
			await rig.resetManagedIdentity();
			const notGuid = await failure(
				acquireManagedIdentityToken(settings({ identityType: 'userClientId', identityId: 'my-identity' }), {}),
			);
			expect(notGuid).toBeInstanceOf(InvalidInputError);
			expect(notGuid.field).toBe('Client ID');
			const notResourceId = await failure(
				acquireManagedIdentityToken(settings({ identityType: 'userResourceId', identityId: 'my-identity' }), {}),
			);
			expect(notResourceId.field).toBe('Resource ID');
			const badScope = await failure(
				acquireManagedIdentityToken(settings({ scopes: `${rig.api.baseUrl}/Data.Read` }), {}),
			);
			expect(badScope.field).toBe('Scopes (credential)');
			expect(await requests()).toHaveLength(0);
		});

		it('the Test button names the source and the identity the token belongs to', async () => {
			const result = await managedIdentityTest.call({} as ICredentialTestFunctions, {
				id: 'c1',
				name: 'mi',
				type: 'msalManagedIdentityApi',
				data: { identityType: 'system', scopes: rig.api.scope },
			});
			expect(result.status).toBe('OK');
			expect(result.message).toContain(`source: ${sourceName}`);
			expect(result.message).toContain(`client ID ${rig.managedIdentity.identities.system.clientId}`);

			const refused = await managedIdentityTest.call({} as ICredentialTestFunctions, {
				id: 'c2',
				name: 'mi',
				type: 'msalManagedIdentityApi',
				data: {
					identityType: 'userObjectId',
					userAssignedObjectId: '0badc0de-0000-4000-8000-000000000000',
					scopes: rig.api.scope,
				},
			});
			expect(refused.status).toBe('Error');
			expect(refused.message).toMatch(/Object ID/);
			expect(refused.message).not.toContain(rig.managedIdentity.neverQuoted);
		});
	});
}
