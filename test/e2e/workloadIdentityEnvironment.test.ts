/**
 * Workload identity in real n8n: the n8n process has AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_FEDERATED_TOKEN_FILE, as AKS's workload identity webhook sets them, and the
 * administrator's N8N_MSAL_AMBIENT_IDENTITY_ENABLED and N8N_MSAL_TOKEN_FILE_PATHS. A platform
 * token goes only to Microsoft's sign-in host: n8n reaches login.microsoftonline.com through
 * HTTPS_PROXY, a CONNECT proxy that routes that name to the rig (whose certificate covers it).
 * The file is rewritten between executions.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routesToRig, startConnectProxy, type ConnectProxy } from '../rig/connect-proxy';
import { createN8n, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from './support/packagedBuild';
import { acquireToken, chain, manualTrigger, type WorkflowNode } from './support/workflows';

type Ref = { id: string; name: string };

describe('workload identity from the environment in real n8n', () => {
	let rig: Rig;
	let proxy: ConnectProxy;
	let n8n: N8nInstance;
	let dir: string;
	let tokenFile: string;
	const wf: Record<string, string> = {};
	const microsoftTarget = 'login.microsoftonline.com:443';
	const assertion = async (options: { audience?: string; ttlSeconds?: number } = {}) =>
		await rig.mintClientAssertion(rig.clients.federated.clientId, {
			audience: rig.microsoftCloud.tokenEndpoint,
			ttlSeconds: 600,
			...options,
		});
	const requestsSent = async () => Object.values((await rig.stats()).requests).reduce((a, b) => a + b, 0);

	beforeAll(async () => {
		rig = await startRig();
		proxy = await startConnectProxy({ routes: routesToRig(rig) });
		dir = mkdtempSync(join(tmpdir(), 'workload-identity-e2e-'));
		const allowed = join(dir, 'tokens');
		const elsewhere = join(dir, 'elsewhere');
		mkdirSync(allowed);
		mkdirSync(elsewhere);
		tokenFile = join(dir, 'azure-identity-token');
		writeFileSync(tokenFile, await assertion());
		writeFileSync(join(allowed, 'token'), await assertion());
		writeFileSync(join(elsewhere, 'token'), await assertion());
		writeFileSync(join(elsewhere, 'unreadable'), await assertion());
		chmodSync(join(elsewhere, 'unreadable'), 0o000);
		n8n = await createN8n({
			packageTarball: packagedBuild(),
			env: {
				...rig.childEnv(),
				AZURE_TENANT_ID: rig.tenantId,
				AZURE_CLIENT_ID: rig.clients.federated.clientId,
				AZURE_FEDERATED_TOKEN_FILE: tokenFile,
				N8N_MSAL_AMBIENT_IDENTITY_ENABLED: 'true',
				N8N_MSAL_TOKEN_FILE_PATHS: allowed,
				HTTPS_PROXY: proxy.url,
				NO_PROXY: '127.0.0.1,localhost',
			},
		});
		const app = { cloud: 'global', tenant: rig.tenantId, clientId: rig.clients.federated.clientId };
		const fromFile = (path: string, extra: Record<string, unknown> = {}) => ({
			...app,
			clientAuthentication: 'assertion',
			assertionSource: 'tokenFile',
			assertionFilePath: path,
			scopes: rig.api.scope,
			...extra,
		});
		const definitions: Array<[string, Record<string, unknown>]> = [
			['fromEnvironment', { cloud: 'global', clientAuthentication: 'workloadIdentity', scopes: rig.api.scope }],
			['tokenFileField', fromFile(join(allowed, 'token'))],
			['customAuthority', fromFile('', { cloud: 'custom', authorityUrl: rig.authority })],
			[
				'customWorkload',
				{
					cloud: 'custom',
					authorityUrl: rig.authorityHost,
					clientAuthentication: 'workloadIdentity',
					scopes: rig.api.scope,
				},
			],
			['outsideExisting', fromFile(join(elsewhere, 'token'))],
			['outsideMissing', fromFile(join(elsewhere, 'missing'))],
			['outsideUnreadable', fromFile(join(elsewhere, 'unreadable'))],
		];
		const ids = await n8n.importCredentials(
			definitions.map(([name, data]) => ({ name, type: 'msalClientCredentialsApi', data })),
		);
		const cred: Record<string, Ref> = {};
		definitions.forEach(([name], index) => (cred[name] = { id: ids[index], name }));
		const tolerant = (ref: Ref, name: string): WorkflowNode => ({
			...acquireToken(ref, { options: { forceRefresh: true } }, name),
			continueOnFail: true,
		});
		const workflows: Array<[string, object]> = [
			['get', chain('get', [manualTrigger(), acquireToken(cred.fromEnvironment)])],
			[
				'forced',
				chain('forced', [manualTrigger(), acquireToken(cred.fromEnvironment, { options: { forceRefresh: true } })]),
			],
			['tokenFileField', chain('tokenFileField', [manualTrigger(), tolerant(cred.tokenFileField, 'Acquire Token')])],
			[
				'customAuthority',
				chain('customAuthority', [
					manualTrigger(),
					tolerant(cred.customAuthority, 'Token File'),
					tolerant(cred.customWorkload, 'Workload Identity'),
				]),
			],
			[
				'outside',
				chain('outside', [
					manualTrigger(),
					tolerant(cred.outsideExisting, 'Existing'),
					tolerant(cred.outsideMissing, 'Missing'),
					tolerant(cred.outsideUnreadable, 'Unreadable'),
				]),
			],
			[
				'both',
				chain('both', [
					manualTrigger(),
					tolerant(cred.fromEnvironment, 'Workload Identity'),
					tolerant(cred.tokenFileField, 'Token File'),
				]),
			],
		];
		const workflowIds = await n8n.importWorkflows(workflows.map(([, w]) => w));
		workflows.forEach(([name], index) => (wf[name] = workflowIds[index]));
	});

	afterAll(async () => {
		await n8n?.dispose();
		await proxy?.close();
		await rig?.stop();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it("gets the token as the app and tenant named by the environment at Microsoft's host, then from the cache; a rewritten file serves the renewal", async () => {
		await rig.reset();
		proxy.reset();
		const first = await n8n.execute(wf.get);
		expect(first.status).toBe('success');
		expect(first.nodeOutput('Acquire Token')[0].json).toMatchObject({ tenantId: rig.tenantId, fromCache: false });
		const requests = (await rig.stats()).tokenRequests;
		expect(requests).toHaveLength(1);
		expect(requests[0]).toMatchObject({
			host: rig.microsoftCloud.host,
			tenant: rig.tenantId,
			clientId: rig.clients.federated.clientId,
		});
		expect(proxy.tunnels()[microsoftTarget]).toBeGreaterThanOrEqual(1);

		const second = await n8n.execute(wf.get);
		expect(second.nodeOutput('Acquire Token')[0].json).toMatchObject({ fromCache: true });
		expect((await rig.stats()).tokenRequests).toHaveLength(1);

		// The platform rotates the file: an assertion the provider refuses fails the renewal, a valid one serves it.
		writeFileSync(tokenFile, await assertion({ audience: 'https://elsewhere.example' }));
		expect((await n8n.execute(wf.forced)).status).toBe('error');
		writeFileSync(tokenFile, await assertion());
		const renewed = await n8n.execute(wf.forced);
		expect(renewed.status).toBe('success');
		expect(renewed.nodeOutput('Acquire Token')[0].json).toMatchObject({ tenantId: rig.tenantId, fromCache: false });
	});

	it('Token File Path in a folder of N8N_MSAL_TOKEN_FILE_PATHS works', async () => {
		await rig.reset();
		const run = await n8n.execute(wf.tokenFileField);
		expect(run.nodeOutput('Acquire Token')[0].json).toMatchObject({ tenantId: rig.tenantId, fromCache: false });
		expect((await rig.stats()).tokenRequests[0]).toMatchObject({ host: rig.microsoftCloud.host });
	});

	it('a custom authority with a platform token is refused; the authority receives nothing', async () => {
		await rig.reset();
		proxy.reset();
		const run = await n8n.execute(wf.customAuthority);
		for (const node of ['Token File', 'Workload Identity']) {
			const { json } = run.nodeOutput(node)[0];
			expect(json.error).toMatch(/never to a custom authority\. Refused before any request\./);
			expect(json.description).toMatch(/Set Cloud to Global.*\(field: Cloud\)$/);
		}
		expect(await requestsSent()).toBe(0);
		expect(proxy.tunnels()[microsoftTarget]).toBeUndefined();
	});

	it('a path outside N8N_MSAL_TOKEN_FILE_PATHS: the same error, byte for byte, for an existing, a missing and an unreadable file', async () => {
		await rig.reset();
		const run = await n8n.execute(wf.outside);
		const shown = ['Existing', 'Missing', 'Unreadable'].map((node) => {
			const { json } = run.nodeOutput(node)[0];
			return JSON.stringify([json.error, json.description]);
		});
		expect(new Set(shown).size).toBe(1);
		const [error, description] = JSON.parse(shown[0]) as [string, string];
		expect(error).toBe('The token file in Token File Path cannot be used.');
		expect(description).toMatch(/N8N_MSAL_TOKEN_FILE_PATHS.*\(field: Token File Path\)$/);
		expect(shown[0]).not.toContain(dir);
		expect(await requestsSent()).toBe(0);
	});

	it('with N8N_MSAL_AMBIENT_IDENTITY_ENABLED off, every node says so and nothing is read or sent', async () => {
		await rig.reset();
		proxy.reset();
		const run = await n8n.executeInNewProcess(wf.both, { N8N_MSAL_AMBIENT_IDENTITY_ENABLED: 'false' });
		for (const [node, what] of [
			['Workload Identity', 'Workload Identity From Environment'],
			['Token File', 'A Federated Client Assertion from a token file'],
		]) {
			const { json } = run.nodeOutput(node)[0];
			expect(json.error).toBe(
				`${what} is off on this n8n: it lends the n8n host's own Azure identity to anyone who may create a credential, so it is off until an administrator sets N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true.`,
			);
		}
		expect(await requestsSent()).toBe(0);
		expect(proxy.tunnels()[microsoftTarget]).toBeUndefined();
	});
});
