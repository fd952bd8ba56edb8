/**
 * Client Authentication "Workload Identity From Environment", with real MSAL against the rig: tenant
 * and client ID come from AZURE_TENANT_ID / AZURE_CLIENT_ID, the assertion from the file named by
 * AZURE_FEDERATED_TOKEN_FILE; a missing variable gets an error naming it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../nodes/core/errors';
import { clientCredentialsAcquirer } from '../../nodes/n8n/clientCredentialsAdapter';
import { startRig, type Rig } from '../rig/rig';

jest.setTimeout(60_000);

const VARIABLES = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE'] as const;

describe('workload identity from the environment', () => {
	let rig: Rig;
	let dir: string;
	const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

	beforeAll(async () => {
		rig = await startRig();
		dir = mkdtempSync(join(tmpdir(), 'workload-identity-'));
	});

	afterEach(() => {
		for (const name of VARIABLES) {
			if (saved[name] === undefined) delete process.env[name];
			else process.env[name] = saved[name];
		}
	});

	afterAll(async () => {
		rmSync(dir, { recursive: true, force: true });
		await rig.stop();
	});

	// The credential names neither tenant nor client ID; the custom authority gives only the host.
	const credential = () => ({
		cloud: 'custom',
		authorityUrl: rig.authorityHost,
		tenant: '',
		clientId: '',
		clientAuthentication: 'workloadIdentity',
		scopes: rig.api.scope,
	});

	it('takes tenant, client ID and token file from the environment', async () => {
		const file = join(dir, 'azure-identity-token');
		writeFileSync(file, await rig.mintClientAssertion(rig.clients.federated.clientId));
		process.env.AZURE_TENANT_ID = rig.tenant;
		process.env.AZURE_CLIENT_ID = rig.clients.federated.clientId;
		process.env.AZURE_FEDERATED_TOKEN_FILE = file;
		await rig.reset();
		const { token } = await clientCredentialsAcquirer(credential(), undefined, { forceRefresh: true });
		expect(token.tenantId).toBe(rig.tenantId);
		const payload = JSON.parse(Buffer.from(token.accessToken.split('.')[1], 'base64url').toString()) as {
			azp?: string;
		};
		expect(payload.azp).toBe(rig.clients.federated.clientId);
		const [request] = (await rig.stats()).tokenRequests;
		expect(request).toMatchObject({
			tenant: rig.tenant,
			clientId: rig.clients.federated.clientId,
			clientAuth: 'assertion',
		});
	});

	it('names the missing variable, before any request', async () => {
		process.env.AZURE_CLIENT_ID = rig.clients.federated.clientId;
		delete process.env.AZURE_TENANT_ID;
		await rig.reset();
		const failure = clientCredentialsAcquirer(credential(), undefined, {});
		await expect(failure).rejects.toThrow(InvalidInputError);
		await expect(failure).rejects.toThrow('AZURE_TENANT_ID is not set in the n8n process.');
		process.env.AZURE_TENANT_ID = rig.tenant;
		delete process.env.AZURE_CLIENT_ID;
		await expect(clientCredentialsAcquirer(credential(), undefined, {})).rejects.toThrow(
			'AZURE_CLIENT_ID is not set in the n8n process.',
		);
		expect((await rig.stats()).tokenRequests).toHaveLength(0);
	});
});
