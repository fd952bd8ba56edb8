/**
 * Workload identity federation from a token file, with real MSAL against the rig: the file is read
 * only when a new token is needed, a rewritten file is used at the next renewal, and a missing file
 * gets an error naming its path.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireAppToken, type ClientCredentialsSettings } from '../../nodes/core/clientCredentials';
import { InvalidInputError } from '../../nodes/core/errors';
import { startRig, type Rig } from '../rig/rig';

jest.setTimeout(60_000);

describe('federated client assertion from a token file', () => {
	let rig: Rig;
	let dir: string;
	let settings: (path: string) => ClientCredentialsSettings;

	beforeAll(async () => {
		rig = await startRig();
		dir = mkdtempSync(join(tmpdir(), 'federated-token-'));
		settings = (tokenFilePath) => ({
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.federated.clientId,
			authentication: { method: 'assertionFile', tokenFilePath },
			scopes: rig.api.scope,
		});
	});

	afterAll(async () => {
		rmSync(dir, { recursive: true, force: true });
		await rig.stop();
	});

	it('uses the cache silently, and uses a rewritten file at the next renewal', async () => {
		const file = join(dir, 'token');
		writeFileSync(file, (await rig.mintClientAssertion(rig.clients.federated.clientId)) + '\n');
		await rig.reset();
		const first = await acquireAppToken(settings(file), undefined, {});
		expect(first.token.accessToken).toBeTruthy();
		expect((await rig.stats()).requests).toMatchObject({ token: 1 });

		// Cached: no request is made (MSAL still asks for the assertion, so the file is read).
		const second = await acquireAppToken(settings(file), first.cacheToStore, {});
		expect(second.token.accessToken).toBe(first.token.accessToken);
		expect((await rig.stats()).requests).toMatchObject({ token: 1 });

		// The platform rewrites the file with an assertion the provider refuses: the renewal uses it.
		writeFileSync(
			file,
			await rig.mintClientAssertion(rig.clients.federated.clientId, { audience: 'https://elsewhere.example' }),
		);
		await expect(acquireAppToken(settings(file), first.cacheToStore, { forceRefresh: true })).rejects.toThrow();

		// Rewritten again with a valid one: the next renewal uses the new assertion.
		writeFileSync(file, await rig.mintClientAssertion(rig.clients.federated.clientId, { ttlSeconds: 900 }));
		const renewed = await acquireAppToken(settings(file), first.cacheToStore, { forceRefresh: true });
		expect(renewed.token.accessToken).toBeTruthy();
		expect(renewed.token.accessToken).not.toBe(first.token.accessToken);
	});

	it('a missing file gets an error naming the path', async () => {
		const missing = join(dir, 'no-such-token');
		const error = await acquireAppToken(settings(missing), undefined, { forceRefresh: true }).then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(InvalidInputError);
		expect((error as Error).message).toContain(missing);
	});

	it('an empty path falls back to AZURE_FEDERATED_TOKEN_FILE, and names it when unset', async () => {
		const file = join(dir, 'from-env');
		writeFileSync(file, await rig.mintClientAssertion(rig.clients.federated.clientId, { ttlSeconds: 700 }));
		const saved = process.env.AZURE_FEDERATED_TOKEN_FILE;
		try {
			process.env.AZURE_FEDERATED_TOKEN_FILE = file;
			const outcome = await acquireAppToken(settings(''), undefined, { forceRefresh: true });
			expect(outcome.token.accessToken).toBeTruthy();
			delete process.env.AZURE_FEDERATED_TOKEN_FILE;
			await expect(acquireAppToken(settings(' '), undefined, {})).rejects.toThrow('AZURE_FEDERATED_TOKEN_FILE');
		} finally {
			if (saved === undefined) delete process.env.AZURE_FEDERATED_TOKEN_FILE;
			else process.env.AZURE_FEDERATED_TOKEN_FILE = saved;
		}
	});
});
