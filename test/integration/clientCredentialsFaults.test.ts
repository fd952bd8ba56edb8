/**
 * Faults of the client-credentials flow with real MSAL against the rig: each ends in an error
 * that names the cause and the fix, and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireAppToken, type ClientCredentialsSettings } from '../../nodes/core/clientCredentials';
import { IdentityProviderError, IdentityProviderUnreachableError, type MsalNodeError } from '../../nodes/core/errors';
import { MsalNetworkClient } from '../../nodes/core/networkClient';
import { startRig, type Rig } from '../rig/rig';
import { failure } from './support/failure';

jest.setTimeout(60_000);

describe('client credentials faults', () => {
	let rig: Rig;
	let settings: ClientCredentialsSettings;
	let untrusted: HttpsServer;
	let silent: TcpServer;
	let closedPort: number;
	const openSockets = new Set<{ destroy(): void }>();

	beforeAll(async () => {
		rig = await startRig();
		settings = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.secret.clientId,
			authentication: { method: 'secret', clientSecret: rig.clients.secret.clientSecret },
			scopes: rig.api.scope,
		};
		// An HTTPS server whose certificate no one trusts, and a TCP server that never answers.
		const dir = mkdtempSync(join(tmpdir(), 'untrusted-'));
		execFileSync(
			'openssl',
			[
				'req',
				'-x509',
				'-newkey',
				'rsa:2048',
				'-nodes',
				'-keyout',
				join(dir, 'k.pem'),
				'-out',
				join(dir, 'c.pem'),
				'-days',
				'1',
				'-subj',
				'/CN=127.0.0.1',
			],
			{ stdio: 'ignore' },
		);
		untrusted = createHttpsServer(
			{ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) },
			(_req, res) => res.end('{}'),
		);
		silent = createTcpServer((socket) => openSockets.add(socket));
		const probe = createTcpServer();
		await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
		closedPort = (probe.address() as { port: number }).port;
		await new Promise((r) => probe.close(r));
		await Promise.all([
			new Promise<void>((r) => untrusted.listen(0, '127.0.0.1', r)),
			new Promise<void>((r) => silent.listen(0, '127.0.0.1', r)),
		]);
	});

	afterAll(async () => {
		untrusted?.closeAllConnections();
		untrusted?.close();
		for (const socket of openSockets) socket.destroy();
		silent?.close();
		await rig?.stop();
	});

	it.each([
		['an unknown client ID', () => ({ clientId: '99999999-9999-4999-8999-999999999999' }), 'AADSTS700016', 'Client ID'],
		[
			'an unknown tenant',
			() => ({ authorityUrl: rig.authority.replace('tenant1', 'no-such-tenant') }),
			'AADSTS90002',
			'Tenant',
		],
		[
			'a scope of an API that does not exist',
			() => ({ scopes: 'https://127.0.0.1:1/.default' }),
			'AADSTS500011',
			'Scopes',
		],
	])('%s is explained with its AADSTS code and the field', async (_name, change, code, field) => {
		const error = await failure<MsalNodeError>(
			acquireAppToken({ ...settings, ...change() } as ClientCredentialsSettings, undefined, {}),
		);
		expect(error).toBeInstanceOf(IdentityProviderError);
		expect(error.message).toContain(code);
		expect(error.field === field || error.message.includes(field.toLowerCase())).toBe(true);
	});

	it('an expired secret (AADSTS7000222) says to create a new one', async () => {
		await rig.failNextTokenRequest({
			status: 401,
			error: 'invalid_client',
			error_description: 'AADSTS7000222: The provided client secret keys are expired.',
			error_codes: [7000222],
		});
		const error = await failure<MsalNodeError>(acquireAppToken(settings, undefined, { forceRefresh: true }));
		expect(error.message).toBe('AADSTS7000222: The client secret has expired.');
		expect(error.fix).toContain('Create a new client secret');
		expect(error.field).toBe('Client Secret');
	});

	it('an invalid scope (AADSTS70011) is explained', async () => {
		await rig.failNextTokenRequest({
			status: 400,
			error: 'invalid_scope',
			error_description: 'AADSTS70011: The provided value for the input parameter scope is not valid.',
			error_codes: [70011],
		});
		const error = await failure<MsalNodeError>(acquireAppToken(settings, undefined, { forceRefresh: true }));
		expect(error.message).toContain('AADSTS70011: The requested scope is invalid.');
		expect(error.field).toBe('Scopes');
	});

	it.each([
		['DNS', () => 'https://no-such-host.invalid/tenant1', 'could not be resolved (DNS: ENOTFOUND)'],
		['TLS', () => `https://127.0.0.1:${(untrusted.address() as { port: number }).port}/tenant1`, 'is not trusted'],
		['a refused connection', () => `https://127.0.0.1:${closedPort}/tenant1`, 'refused the connection'],
	])(
		'an unreachable identity provider (%s) shows the real cause, not endpoints_resolution_error',
		async (_name, authorityUrl, cause) => {
			const error = await failure<MsalNodeError>(
				acquireAppToken({ ...settings, authorityUrl: authorityUrl() }, undefined, {}),
			);
			expect(error).toBeInstanceOf(IdentityProviderUnreachableError);
			expect(error.message).toContain(cause);
			expect(error.message).not.toContain('endpoints_resolution_error');
		},
	);

	it('OpenID metadata stored in a record that points off the authority host is ignored (discovery runs instead)', async () => {
		// A fresh application (a new assertion makes a new pool key) built from a record whose stored
		// metadata sends the token endpoint to another host.
		const assertion = await rig.mintClientAssertion(rig.clients.federated.clientId, { ttlSeconds: 600 });
		const federated: ClientCredentialsSettings = {
			...settings,
			clientId: rig.clients.federated.clientId,
			authentication: { method: 'assertion', clientAssertion: assertion },
		};
		const genuine = JSON.parse(
			(await acquireAppToken(federated, undefined, { forceRefresh: true })).cacheToStore as string,
		);
		const metadata = JSON.parse(genuine.authorityMetadata);
		const tampered = JSON.stringify({
			...genuine,
			authorityMetadata: JSON.stringify({ ...metadata, token_endpoint: `${rig.api.baseUrl}/steal/token` }),
			msal: {},
		});
		const other: ClientCredentialsSettings = {
			...federated,
			authentication: {
				method: 'assertion',
				clientAssertion: await rig.mintClientAssertion(rig.clients.federated.clientId, { ttlSeconds: 601 }),
			},
		};
		await rig.reset();
		await rig.resetApi();
		const outcome = await acquireAppToken(other, tampered, {});
		expect(outcome.token.accessToken).toBeTruthy();
		expect(await rig.apiRequests()).toHaveLength(0);
		expect((await rig.stats()).requests).toMatchObject({ discovery: 1, token: 1 });
		expect(JSON.parse(outcome.cacheToStore as string).authorityMetadata).toBe(genuine.authorityMetadata);
	});

	it('a provider that never answers ends in a timeout, not a hang', async () => {
		const network = new MsalNetworkClient(500);
		const port = (silent.address() as { port: number }).port;
		await expect(
			network.sendGetRequestAsync(`https://127.0.0.1:${port}/tenant1/v2.0/.well-known/openid-configuration`),
		).rejects.toThrow('within 1 s (timeout)');
		expect(network.lastFailure).toContain('timeout');
	});
});
