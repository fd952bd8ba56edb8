/**
 * Client Authentication "Workload Identity From Environment", with real MSAL against the rig as
 * Entra's global sign-in host: tenant and client ID come from AZURE_TENANT_ID / AZURE_CLIENT_ID,
 * the assertion from the file named by AZURE_FEDERATED_TOKEN_FILE. It lends the host's identity:
 * off until the administrator turns it on, and never sent to a custom authority.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ICredentialTestFunctions } from 'n8n-workflow';
import { InvalidInputError } from '../../nodes/core/errors';
import { clientCredentialsAcquirer, clientCredentialsTest } from '../../nodes/n8n/clientCredentialsAdapter';
import { routeMicrosoftHostToRig, startRig, type Rig } from '../rig/rig';

jest.setTimeout(60_000);

const VARIABLES = [
	'AZURE_TENANT_ID',
	'AZURE_CLIENT_ID',
	'AZURE_FEDERATED_TOKEN_FILE',
	'N8N_MSAL_AMBIENT_IDENTITY_ENABLED',
] as const;

describe('workload identity from the environment', () => {
	let rig: Rig;
	let dir: string;
	let file: string;
	const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

	beforeAll(async () => {
		rig = await startRig();
		await routeMicrosoftHostToRig(rig);
		dir = mkdtempSync(join(tmpdir(), 'workload-identity-'));
		file = join(dir, 'azure-identity-token');
		writeFileSync(
			file,
			await rig.mintClientAssertion(rig.clients.federated.clientId, { audience: rig.microsoftCloud.tokenEndpoint }),
		);
	});

	const platform = () => {
		process.env.AZURE_TENANT_ID = rig.tenantId;
		process.env.AZURE_CLIENT_ID = rig.clients.federated.clientId;
		process.env.AZURE_FEDERATED_TOKEN_FILE = file;
		process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED = 'true';
	};

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

	// The credential names neither tenant nor client ID.
	const credential = (extra: Record<string, string> = {}) => ({
		cloud: 'global',
		tenant: '',
		clientId: '',
		clientAuthentication: 'workloadIdentity',
		scopes: rig.api.scope,
		...extra,
	});
	const testButton = (data: Record<string, string>) =>
		clientCredentialsTest.call({} as ICredentialTestFunctions, {
			id: 'c1',
			name: 'wi',
			type: 'msalClientCredentialsApi',
			data,
		});

	it("takes tenant, client ID and token file from the environment, and signs in at the Microsoft cloud's host", async () => {
		platform();
		await rig.reset();
		const { token } = await clientCredentialsAcquirer(credential(), undefined, { forceRefresh: true });
		expect(token.tenantId).toBe(rig.tenantId);
		const payload = JSON.parse(Buffer.from(token.accessToken.split('.')[1], 'base64url').toString()) as {
			azp?: string;
		};
		expect(payload.azp).toBe(rig.clients.federated.clientId);
		const [request] = (await rig.stats()).tokenRequests;
		expect(request).toMatchObject({
			host: rig.microsoftCloud.host,
			tenant: rig.tenantId,
			clientId: rig.clients.federated.clientId,
			clientAuth: 'assertion',
		});
	});

	it('names the missing variable, before any request', async () => {
		platform();
		delete process.env.AZURE_TENANT_ID;
		await rig.reset();
		const failure = clientCredentialsAcquirer(credential(), undefined, {});
		await expect(failure).rejects.toThrow(InvalidInputError);
		await expect(failure).rejects.toThrow('AZURE_TENANT_ID is not set in the n8n process.');
		process.env.AZURE_TENANT_ID = rig.tenantId;
		delete process.env.AZURE_CLIENT_ID;
		await expect(clientCredentialsAcquirer(credential(), undefined, {})).rejects.toThrow(
			'AZURE_CLIENT_ID is not set in the n8n process.',
		);
		expect((await rig.stats()).tokenRequests).toHaveLength(0);
	});

	it('off until the administrator turns it on: acquisition and Test refuse, naming the variable; nothing is sent', async () => {
		platform();
		delete process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED;
		await rig.reset();
		const error = await clientCredentialsAcquirer(credential(), undefined, { forceRefresh: true }).then(
			() => undefined,
			(e: unknown) => e as InvalidInputError,
		);
		expect(error).toBeInstanceOf(InvalidInputError);
		expect(error?.message).toMatch(/^Workload Identity From Environment is off on this n8n: it lends the n8n host's/);
		expect(error?.message).toContain('N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true');
		expect(error?.field).toBe('Client Authentication');
		const result = await testButton(credential());
		expect(result.status).toBe('Error');
		expect(result.message).toContain('N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true');
		expect(Object.values((await rig.stats()).requests).reduce((a, b) => a + b, 0)).toBe(0);
	});

	it('a custom authority is refused before any request: the platform token goes only to Microsoft', async () => {
		platform();
		await rig.reset();
		const custom = credential({ cloud: 'custom', authorityUrl: rig.authority });
		const error = await clientCredentialsAcquirer(custom, undefined, { forceRefresh: true }).then(
			() => undefined,
			(e: unknown) => e as InvalidInputError,
		);
		expect(error).toBeInstanceOf(InvalidInputError);
		expect(error?.field).toBe('Cloud');
		expect(error?.message).toContain('never to a custom authority');
		expect(error?.fix).toMatch(/Cloud.*Authority URL.*Client Authentication/);
		expect((await testButton(custom)).status).toBe('Error');
		expect(Object.values((await rig.stats()).requests).reduce((a, b) => a + b, 0)).toBe(0);
	});
});
