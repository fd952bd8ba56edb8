/**
 * A host with no managed identity: none of MSAL's source variables is set, so MSAL falls back to
 * IMDS, which does not answer. AZURE_POD_IDENTITY_AUTHORITY_HOST points IMDS at a closed loopback
 * port, so the test does not depend on 169.254.169.254 being unroutable here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo } from 'node:net';
import { IdentityProviderUnreachableError } from '../../nodes/core/errors';
import { acquireManagedIdentityToken } from '../../nodes/core/managedIdentity/managedIdentity';

const VARIABLES = [
	'IDENTITY_ENDPOINT',
	'IDENTITY_HEADER',
	'IDENTITY_SERVER_THUMBPRINT',
	'IMDS_ENDPOINT',
	'MSI_ENDPOINT',
	'MSI_SECRET',
	'AZURE_POD_IDENTITY_AUTHORITY_HOST',
	'N8N_MSAL_AMBIENT_IDENTITY_ENABLED',
];

async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
	const { port } = server.address() as AddressInfo;
	await new Promise((closed) => server.close(closed));
	return port;
}

describe('managed identity on a host without one', () => {
	const saved: Record<string, string | undefined> = {};
	beforeAll(async () => {
		for (const name of VARIABLES) {
			saved[name] = process.env[name];
			delete process.env[name];
		}
		process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = `http://127.0.0.1:${await closedPort()}`;
		process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED = 'true';
	});
	afterAll(() => {
		for (const name of VARIABLES) {
			if (saved[name] === undefined) delete process.env[name];
			else process.env[name] = saved[name];
		}
	});

	it('says no managed identity was found, what was looked for, and what to do', async () => {
		const error = await acquireManagedIdentityToken(
			{ identityType: 'system', identityId: '', scopes: 'https://graph.microsoft.com/.default' },
			{},
		).then(
			() => undefined,
			(e: unknown) => e as IdentityProviderUnreachableError,
		);
		expect(error).toBeInstanceOf(IdentityProviderUnreachableError);
		expect(error!.message).toMatch(/^No managed identity found on this host/);
		for (const variable of [
			'IDENTITY_ENDPOINT',
			'IDENTITY_HEADER',
			'IMDS_ENDPOINT',
			'MSI_ENDPOINT',
			'AZURE_POD_IDENTITY_AUTHORITY_HOST',
			'169.254.169.254',
		])
			expect(error!.message).toContain(variable);
		expect(error!.message).toMatch(/refused the connection/);
		expect(error!.fix).toMatch(/Client Credentials/);
	});
});
