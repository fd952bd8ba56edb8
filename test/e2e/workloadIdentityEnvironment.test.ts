/**
 * Workload Identity From Environment in real n8n: the credential names neither tenant nor client
 * ID; the n8n process has AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE, as
 * AKS's workload identity webhook sets them. The file is rewritten between executions.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createN8n, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from './support/packagedBuild';
import { acquireToken, chain, manualTrigger } from './support/workflows';

describe('workload identity from the environment in real n8n', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	let dir: string;
	let tokenFile: string;
	const wf: Record<string, string> = {};

	beforeAll(async () => {
		rig = await startRig();
		dir = mkdtempSync(join(tmpdir(), 'workload-identity-e2e-'));
		tokenFile = join(dir, 'azure-identity-token');
		writeFileSync(tokenFile, await rig.mintClientAssertion(rig.clients.federated.clientId, { ttlSeconds: 600 }));
		n8n = await createN8n({
			packageTarball: packagedBuild(),
			env: {
				...rig.childEnv(),
				AZURE_TENANT_ID: rig.tenant,
				AZURE_CLIENT_ID: rig.clients.federated.clientId,
				AZURE_FEDERATED_TOKEN_FILE: tokenFile,
			},
		});
		const [id] = await n8n.importCredentials([
			{
				name: 'fromEnvironment',
				type: 'msalClientCredentialsApi',
				data: {
					cloud: 'custom',
					authorityUrl: rig.authorityHost,
					clientAuthentication: 'workloadIdentity',
					scopes: rig.api.scope,
				},
			},
		]);
		const cred = { id, name: 'fromEnvironment' };
		[wf.get, wf.forced] = await n8n.importWorkflows([
			chain('get', [manualTrigger(), acquireToken(cred)]),
			chain('forced', [manualTrigger(), acquireToken(cred, { options: { forceRefresh: true } })]),
		]);
	});

	afterAll(async () => {
		await n8n?.dispose();
		await rig?.stop();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it('gets the token as the app and tenant named by the environment, then from the cache; a rewritten file serves the renewal', async () => {
		await rig.reset();
		const first = await n8n.execute(wf.get);
		expect(first.status).toBe('success');
		expect(first.nodeOutput('Acquire Token')[0].json).toMatchObject({ tenantId: rig.tenantId, fromCache: false });
		const requests = (await rig.stats()).tokenRequests;
		expect(requests).toHaveLength(1);
		expect(requests[0]).toMatchObject({ tenant: rig.tenant, clientId: rig.clients.federated.clientId });

		const second = await n8n.execute(wf.get);
		expect(second.nodeOutput('Acquire Token')[0].json).toMatchObject({ fromCache: true });
		expect((await rig.stats()).tokenRequests).toHaveLength(1);

		// The platform rotates the file: an assertion the provider refuses fails the renewal, a valid one serves it.
		writeFileSync(
			tokenFile,
			await rig.mintClientAssertion(rig.clients.federated.clientId, { audience: 'https://elsewhere.example' }),
		);
		expect((await n8n.execute(wf.forced)).status).toBe('error');
		writeFileSync(tokenFile, await rig.mintClientAssertion(rig.clients.federated.clientId, { ttlSeconds: 600 }));
		const renewed = await n8n.execute(wf.forced);
		expect(renewed.status).toBe('success');
		expect(renewed.nodeOutput('Acquire Token')[0].json).toMatchObject({ tenantId: rig.tenantId, fromCache: false });
	});
});
