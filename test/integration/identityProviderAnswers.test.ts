/**
 * What the identity provider, its key set and the managed identity endpoint answer is trusted
 * for nothing beyond its own request, with real MSAL against the rig:
 * - no redirect is followed on a request that carries a secret (token, On Behalf Of) or fetches
 *   keys (discovery, JWKS): a plain-http listener the 307 points at receives nothing;
 * - an answer is read up to 1 MB, streamed: 50 MB and 200 MB answers end in a clear error, the
 *   rig's socket is closed long before the end, and this process's memory stays bounded.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { acquireAppToken, type ClientCredentialsSettings } from '../../nodes/core/clientCredentials';
import { acquireOnBehalfOf } from '../../nodes/core/entraApi/onBehalfOf';
import { SigningKeySet } from '../../nodes/core/entraApi/signingKeys';
import { validateAccessToken } from '../../nodes/core/entraApi/validateToken';
import { ManagedIdentityEndpointClient } from '../../nodes/core/managedIdentity/endpointClient';
import { startRig, type Rig } from '../rig/rig';
import { userToken } from '../rig/userToken';
import { failure } from './support/failure';

jest.setTimeout(120_000);

const MB = 1024 * 1024;

/** The highest heap + array-buffer use above the start while `work` runs, sampled every 5 ms. */
async function peakMemoryGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growthBytes: number }> {
	const used = () => {
		const usage = process.memoryUsage();
		return usage.heapUsed + usage.arrayBuffers;
	};
	const start = used();
	let peak = start;
	const timer = setInterval(() => (peak = Math.max(peak, used())), 5);
	try {
		const result = await work();
		peak = Math.max(peak, used());
		return { result, growthBytes: peak - start };
	} finally {
		clearInterval(timer);
	}
}

describe('identity-provider answers: no redirect followed, bodies read up to 1 MB', () => {
	let rig: Rig;
	let settings: ClientCredentialsSettings;
	let listener: Server;
	let listenerUrl: string;
	const received: Array<{ method?: string; url?: string; body: string }> = [];
	let idpHost: string;

	beforeAll(async () => {
		rig = await startRig();
		idpHost = new URL(rig.authority).host;
		settings = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.secret.clientId,
			authentication: { method: 'secret', clientSecret: rig.clients.secret.clientSecret },
			scopes: rig.api.scope,
		};
		// "Another host" on plain http: whatever reaches it would be a leak.
		listener = createServer((req: IncomingMessage, res) => {
			let body = '';
			req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
			req.on('end', () => {
				received.push({ method: req.method, url: req.url, body });
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end('{"access_token":"stolen","token_type":"Bearer","expires_in":3600}');
			});
		});
		await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
		listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/steal`;
	});

	afterAll(async () => {
		listener?.closeAllConnections();
		await new Promise((done) => listener?.close(done));
		await rig?.resetManagedIdentity();
		await rig?.stop();
	});

	describe('redirects', () => {
		it('a token endpoint answering 307 to a plain-http listener: the listener receives nothing, the error names 307 and the host', async () => {
			received.length = 0;
			await rig.reset();
			await rig.answerNext({ route: 'token', redirect: { status: 307, location: listenerUrl } });
			const error = await failure(acquireAppToken(settings, undefined, { forceRefresh: true }));
			expect(received).toEqual([]);
			expect(error.message).toContain(`${idpHost} answered POST /tenant1/oauth2/v2.0/token with HTTP 307`);
			expect(error.message).toContain(`a redirect to ${new URL(listenerUrl).origin}`);
			expect(error.message).toContain('nothing was sent to the redirect target');
			expect(error.message).not.toContain(rig.clients.secret.clientSecret);
			expect((await rig.stats()).faultAnswers).toEqual([{ route: 'token', status: 307, location: listenerUrl }]);
		});

		it('an On Behalf Of request (secret and the caller token) answered 308 is not re-sent either', async () => {
			received.length = 0;
			const alice = await userToken(rig, rig.n8nApi.scope);
			await rig.answerNext({ route: 'token', redirect: { status: 308, location: listenerUrl } });
			const error = await failure(
				acquireOnBehalfOf(
					{ ...settings, clientId: rig.n8nApi.clientId },
					{ assertion: alice, scopes: rig.api.delegatedScopes[0], forceRefresh: true },
				),
			);
			expect(received).toEqual([]);
			expect(error.message).toContain('HTTP 308');
		});

		it.each(['discovery', 'jwks'] as const)(
			'a %s answer that redirects: the key set is not fetched from the target, validation cannot proceed',
			async (route) => {
				received.length = 0;
				await rig.reset();
				const alice = await userToken(rig, rig.n8nApi.scope);
				await rig.answerNext({ route, redirect: { status: 302, location: listenerUrl } });
				const error = await failure(
					validateAccessToken(alice, new SigningKeySet(rig.authority), { clientId: rig.n8nApi.clientId }),
				);
				expect(received).toEqual([]);
				expect(error.message).toMatch(new RegExp(`^${idpHost} answered GET /\\S+ with HTTP 302, a redirect to`));
			},
		);
	});

	describe('answer size', () => {
		it.each([50, 200])(
			'a %i MB token-endpoint answer: a clear error after 1 MB, the rest never sent, memory bounded',
			async (size) => {
				await rig.reset();
				await rig.answerNext({ route: 'token', bytes: size * MB });
				const { result: error, growthBytes } = await peakMemoryGrowth(() =>
					failure(acquireAppToken(settings, undefined, { forceRefresh: true })),
				);
				expect(error.message).toContain(
					`${idpHost} answered POST /tenant1/oauth2/v2.0/token with more than 1 MB; it was not read further.`,
				);
				const [answer] = (await rig.stats()).faultAnswers;
				expect(answer).toMatchObject({ route: 'token', bytes: size * MB, completed: false });
				// The socket took what the client read (1 MB) plus the kernel's and TLS's buffers.
				expect(answer.bytesWritten).toBeLessThan(24 * MB);
				expect(growthBytes).toBeLessThan(48 * MB);
			},
		);

		it('a 50 MB key set: validation fails with a clear error (the webhook answers 503), memory bounded', async () => {
			await rig.reset();
			const alice = await userToken(rig, rig.n8nApi.scope);
			await rig.answerNext({ route: 'jwks', bytes: 50 * MB });
			const { result: error, growthBytes } = await peakMemoryGrowth(() =>
				failure(validateAccessToken(alice, new SigningKeySet(rig.authority), { clientId: rig.n8nApi.clientId })),
			);
			expect(error.message).toBe(
				`${idpHost} answered GET /tenant1/discovery/v2.0/keys with more than 1 MB; it was not read further. An identity provider answers a few kilobytes: check that the URL points at the identity provider and not at another server.`,
			);
			const [answer] = (await rig.stats()).faultAnswers;
			expect(answer).toMatchObject({ route: 'jwks', completed: false });
			expect(answer.bytesWritten).toBeLessThan(24 * MB);
			expect(growthBytes).toBeLessThan(48 * MB);
		});

		it('a 50 MB managed identity answer: a clear error, the rest never sent', async () => {
			await rig.resetManagedIdentity();
			await rig.managedIdentitySettings({ answerBytes: 50 * MB });
			const { appService } = rig.managedIdentity;
			const client = new ManagedIdentityEndpointClient();
			const url = `${appService.endpoint}?api-version=2019-08-01&resource=${encodeURIComponent(rig.api.resource)}`;
			const { result: error, growthBytes } = await peakMemoryGrowth(() =>
				failure(client.sendGetRequestAsync(url, { headers: { 'X-IDENTITY-HEADER': appService.header } })),
			);
			const host = new URL(appService.endpoint).host;
			expect(error.message).toContain(
				`The managed identity endpoint (${host}) answered HTTP 200 with more than 1 MB; it was not read further.`,
			);
			expect(client.lastFailure).toMatchObject({ host, status: 200 });
			const [request] = await rig.managedIdentityRequests();
			expect(request.streamed).toMatchObject({ completed: false });
			expect(request.streamed!.bytesWritten).toBeLessThan(24 * MB);
			expect(growthBytes).toBeLessThan(48 * MB);
		});
	});
});
