/**
 * Workload identity federation from a token file, with real MSAL against the rig as Entra's
 * global sign-in host: the file is read only when a new token is needed, a rewritten file is used
 * at the next renewal; a file is read only from AZURE_FEDERATED_TOKEN_FILE or a folder of
 * N8N_MSAL_TOKEN_FILE_PATHS under n8n's file-access settings, and every file that cannot be used
 * gets the same error, which says nothing of the file.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireAppToken, type ClientCredentialsSettings } from '../../nodes/core/clientCredentials';
import { InvalidInputError, MsalNodeError } from '../../nodes/core/errors';
import { routeMicrosoftHostToRig, startRig, type Rig } from '../rig/rig';

jest.setTimeout(60_000);

const VARIABLES = [
	'AZURE_FEDERATED_TOKEN_FILE',
	'N8N_MSAL_AMBIENT_IDENTITY_ENABLED',
	'N8N_MSAL_AMBIENT_IDENTITY_RESOURCES',
	'N8N_MSAL_TOKEN_FILE_PATHS',
	'N8N_RESTRICT_FILE_ACCESS_TO',
	'N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES',
	'N8N_USER_FOLDER',
] as const;

const failureOf = async (promise: Promise<unknown>): Promise<MsalNodeError> => {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(InvalidInputError);
	return error as MsalNodeError;
};

describe('federated client assertion from a token file', () => {
	let rig: Rig;
	let root: string;
	let allowed: string;
	let elsewhere: string;
	let assertion: (ttlSeconds?: number) => Promise<string>;
	const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
	const settings = (tokenFilePath: string, cloud: 'global' | 'custom' = 'global'): ClientCredentialsSettings => ({
		cloud,
		tenant: rig.tenantId,
		authorityUrl: cloud === 'custom' ? rig.authority : undefined,
		clientId: rig.clients.federated.clientId,
		authentication: { method: 'assertionFile', tokenFilePath },
		scopes: rig.api.scope,
	});
	const requestsSent = async () => Object.values((await rig.stats()).requests).reduce((a, b) => a + b, 0);

	beforeAll(async () => {
		rig = await startRig();
		await routeMicrosoftHostToRig(rig);
		root = mkdtempSync(join(tmpdir(), 'federated-token-'));
		allowed = join(root, 'tokens');
		elsewhere = join(root, 'elsewhere');
		mkdirSync(allowed);
		mkdirSync(elsewhere);
		assertion = async (ttlSeconds = 600) =>
			await rig.mintClientAssertion(rig.clients.federated.clientId, {
				audience: rig.microsoftCloud.tokenEndpoint,
				ttlSeconds,
			});
	});

	beforeEach(() => {
		for (const name of VARIABLES) delete process.env[name];
		process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED = 'true';
		process.env.N8N_MSAL_TOKEN_FILE_PATHS = `${join(root, 'other')};${allowed}`;
	});

	afterEach(() => {
		for (const name of VARIABLES) {
			if (saved[name] === undefined) delete process.env[name];
			else process.env[name] = saved[name];
		}
	});

	afterAll(async () => {
		rmSync(root, { recursive: true, force: true });
		await rig.stop();
	});

	it('uses the cache silently, and uses a rewritten file at the next renewal', async () => {
		const file = join(allowed, 'token');
		writeFileSync(file, (await assertion()) + '\n');
		await rig.reset();
		const first = await acquireAppToken(settings(file), undefined, {});
		expect(first.token.accessToken).toBeTruthy();
		expect((await rig.stats()).requests).toMatchObject({ token: 1 });
		expect((await rig.stats()).tokenRequests[0]).toMatchObject({ host: rig.microsoftCloud.host, tenant: rig.tenantId });

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
		writeFileSync(file, await assertion(900));
		const renewed = await acquireAppToken(settings(file), first.cacheToStore, { forceRefresh: true });
		expect(renewed.token.accessToken).toBeTruthy();
		expect(renewed.token.accessToken).not.toBe(first.token.accessToken);
	});

	it('every file that cannot be used gets one error, which names the field and the fix and nothing of the file', async () => {
		const valid = await assertion();
		const outsideExisting = join(elsewhere, 'token');
		writeFileSync(outsideExisting, valid);
		const outsideUnreadable = join(elsewhere, 'unreadable');
		writeFileSync(outsideUnreadable, valid);
		chmodSync(outsideUnreadable, 0o000);
		const notJwt = join(allowed, 'not-a-jwt');
		writeFileSync(notJwt, 'not a token');
		const unreadable = join(allowed, 'unreadable');
		// Tests may run as root, who reads any file: a folder cannot be read as a file by anyone.
		mkdirSync(unreadable);
		const escaping = join(allowed, 'link-out');
		symlinkSync(outsideExisting, escaping);
		const gitFolder = join(allowed, '.git');
		mkdirSync(gitFolder);
		writeFileSync(join(gitFolder, 'token'), valid);
		const cases: Array<[string, string, Record<string, string>?]> = [
			['outside the allowed folders, existing (a valid token)', outsideExisting],
			['outside the allowed folders, missing', join(elsewhere, 'missing')],
			['outside the allowed folders, unreadable', outsideUnreadable],
			['outside through ..', join(allowed, '..', 'elsewhere', 'token')],
			['inside, missing', join(allowed, 'missing')],
			['inside, unreadable', unreadable],
			['inside, not a JWT', notJwt],
			['inside, a symbolic link to a file outside', escaping],
			["inside, in a .git folder (n8n's N8N_BLOCK_FILE_PATTERNS)", join(gitFolder, 'token')],
			[
				"inside, but outside n8n's N8N_RESTRICT_FILE_ACCESS_TO",
				join(allowed, 'restricted'),
				{ N8N_RESTRICT_FILE_ACCESS_TO: elsewhere },
			],
			[
				"inside n8n's own folder (N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES)",
				join(allowed, '.n8n', 'config'),
				{ N8N_USER_FOLDER: allowed },
			],
		];
		writeFileSync(join(allowed, 'restricted'), valid);
		mkdirSync(join(allowed, '.n8n'));
		writeFileSync(join(allowed, '.n8n', 'config'), valid);
		await rig.reset();
		const seen = new Set<string>();
		for (const [, path, env] of cases) {
			Object.assign(process.env, env ?? {});
			try {
				const error = await failureOf(acquireAppToken(settings(path), undefined, { forceRefresh: true }));
				expect(error.field).toBe('Token File Path');
				expect(`${error.message} ${error.fix}`).not.toContain(root);
				seen.add(JSON.stringify([error.message, error.fix]));
			} finally {
				for (const name of Object.keys(env ?? {})) delete process.env[name];
			}
		}
		expect([...seen]).toHaveLength(1);
		const [message, fix] = JSON.parse([...seen][0]) as [string, string];
		expect(message).toBe('The token file in Token File Path cannot be used.');
		expect(fix).toMatch(/AZURE_FEDERATED_TOKEN_FILE.*N8N_MSAL_TOKEN_FILE_PATHS.*N8N_RESTRICT_FILE_ACCESS_TO/);
		expect(await requestsSent()).toBe(0);
		// The same file, once the folder is allowed and n8n's settings let it through, works.
		process.env.N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES = 'false';
		process.env.N8N_USER_FOLDER = allowed;
		expect(
			(await acquireAppToken(settings(join(allowed, '.n8n', 'config')), undefined, {})).token.accessToken,
		).toBeTruthy();
	});

	it('an empty path is AZURE_FEDERATED_TOKEN_FILE, wherever the platform put it, and names it when unset', async () => {
		const file = join(elsewhere, 'from-env');
		writeFileSync(file, await assertion(700));
		process.env.AZURE_FEDERATED_TOKEN_FILE = file;
		// N8N_RESTRICT_FILE_ACCESS_TO lists the folders of n8n's file nodes, not the platform's token.
		process.env.N8N_RESTRICT_FILE_ACCESS_TO = allowed;
		const outcome = await acquireAppToken(settings(''), undefined, { forceRefresh: true });
		expect(outcome.token.accessToken).toBeTruthy();
		// The same path typed into the field is the platform's path too.
		expect((await acquireAppToken(settings(file), undefined, { forceRefresh: true })).token.accessToken).toBeTruthy();
		delete process.env.AZURE_FEDERATED_TOKEN_FILE;
		await expect(acquireAppToken(settings(' '), undefined, {})).rejects.toThrow('AZURE_FEDERATED_TOKEN_FILE');
	});

	it('off until the administrator turns it on, and never sent to a custom authority: refused before anything is read or sent', async () => {
		const file = join(allowed, 'token');
		writeFileSync(file, await assertion());
		await rig.reset();
		delete process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED;
		const off = await failureOf(acquireAppToken(settings(file), undefined, { forceRefresh: true }));
		expect(off.message).toMatch(/^A Federated Client Assertion from a token file is off on this n8n/);
		expect(off.message).toContain('N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true');
		expect(off.field).toBe('Assertion Source');
		process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED = 'true';
		const custom = await failureOf(acquireAppToken(settings(file, 'custom'), undefined, { forceRefresh: true }));
		expect(custom.field).toBe('Cloud');
		expect(custom.message).toContain(
			"goes only to Microsoft Entra ID's sign-in host of the chosen cloud (login.microsoftonline.com, login.microsoftonline.us or login.chinacloudapi.cn), never to a custom authority. Refused before any request.",
		);
		expect(await requestsSent()).toBe(0);
	});

	it("the administrator's resource list applies to the host's workload identity", async () => {
		const file = join(allowed, 'token');
		writeFileSync(file, await assertion());
		await rig.reset();
		process.env.N8N_MSAL_AMBIENT_IDENTITY_RESOURCES = 'https://vault.azure.net';
		const refused = await failureOf(acquireAppToken(settings(file), undefined, { forceRefresh: true }));
		expect(refused.message).toContain('N8N_MSAL_AMBIENT_IDENTITY_RESOURCES');
		expect(await requestsSent()).toBe(0);
		process.env.N8N_MSAL_AMBIENT_IDENTITY_RESOURCES = `https://vault.azure.net,${rig.api.resource}`;
		expect((await acquireAppToken(settings(file), undefined, { forceRefresh: true })).token.accessToken).toBeTruthy();
	});
});
