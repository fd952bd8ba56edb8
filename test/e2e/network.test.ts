/**
 * Outbound traffic and the credential's domain restriction, end to end in a real n8n:
 * - n8n's proxy variables (HTTPS_PROXY, NO_PROXY) carry the identity-provider and API traffic
 *   through a CONNECT proxy on loopback (n8n's rules proxy loopback too: no built-in exception),
 *   except plain http to loopback, which goes direct so the bearer never crosses a proxy in clear;
 * - n8n's SSRF protection (N8N_SSRF_*) applies to the identity provider and to Call API, to On
 *   Behalf Of, and to the discovery and key-set requests of token validation (Validate Token; the
 *   Protected Webhook Trigger shares the code);
 * - "Allowed HTTP Request Domains" keeps n8n's meaning (All / Specific Domains / None) on both
 *   paths: Call API and n8n's HTTP Request node with the credential.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createN8n, type N8nInstance } from '../rig/n8n';
import { startConnectProxy, type ConnectProxy } from '../rig/connect-proxy';
import { startRig, type Rig } from '../rig/rig';
import { secretClientCredentialData } from '../rig/credentialData';
import { userToken } from '../rig/userToken';
import { packagedBuild } from './support/packagedBuild';
import {
	acquireToken,
	callApi,
	chain,
	httpWithPredefinedCredential,
	jsonItems,
	manualTrigger,
} from './support/workflows';

type Ref = { id: string; name: string };
type Mode = 'all' | 'domains' | 'none';

describe('outbound traffic and domain restriction in real n8n', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	let proxy: ConnectProxy;
	let idpTarget: string;
	let apiTarget: string;
	const wf: Record<string, string> = {};
	/** A plain-http API on loopback: the Authorization header of every request it received. */
	let httpApi: Server;
	let httpApiUrl: string;
	let httpApiReceived: Array<string | undefined> = [];

	beforeAll(async () => {
		rig = await startRig();
		proxy = await startConnectProxy();
		httpApi = createServer((req, res) => {
			httpApiReceived.push(req.headers.authorization);
			res.writeHead(200, { 'content-type': 'application/json' }).end('{"plain":true}');
		});
		await new Promise<void>((resolve) => httpApi.listen(0, '127.0.0.1', resolve));
		httpApiUrl = `http://127.0.0.1:${(httpApi.address() as AddressInfo).port}/me`;
		idpTarget = new URL(rig.authorityHost).host;
		apiTarget = new URL(rig.api.baseUrl).host;
		n8n = await createN8n({ packageTarball: packagedBuild(), env: rig.childEnv() });
		// The long-lived server runs with HTTP_PROXY (after the install, which must not use it): only
		// plain http is affected, and only the http-loopback check below makes such a request.
		n8n.env.HTTP_PROXY = proxy.url;
		const port = new URL(rig.api.baseUrl).port;
		const credential = async (name: string, extra: Record<string, unknown>): Promise<Ref> => {
			const [id] = await n8n.importCredentials([
				{ name, type: 'msalClientCredentialsApi', data: secretClientCredentialData(rig, extra) },
			]);
			return { id, name };
		};
		const creds: Record<Mode, Ref> = {
			all: await credential('all', {}),
			domains: await credential('specific', { allowedHttpRequestDomains: 'domains', allowedDomains: 'localhost' }),
			none: await credential('none', { allowedHttpRequestDomains: 'none' }),
		};
		const loopbackHttp = await credential('loopback-http', {
			allowedHttpRequestDomains: 'domains',
			allowedDomains: '127.0.0.1',
		});
		// The API's own host (the token's resource) and another name for the same server.
		const targets = [{ url: `${rig.api.baseUrl}/me` }, { url: `https://localhost:${port}/me` }];
		const callerToken = await userToken(rig, rig.n8nApi.scope);
		const workflows: Array<[string, object]> = [
			[
				'validate',
				chain('validate', [
					manualTrigger(),
					{
						...acquireToken(
							creds.all,
							{ tokenFor: 'onBehalfOf', userAssertion: callerToken, scopes: rig.api.delegatedScopes[0] },
							'On Behalf Of',
						),
						continueOnFail: true,
					},
					acquireToken(
						creds.all,
						{ operation: 'validateToken', incomingToken: `Bearer ${callerToken}` },
						'Validate Token',
					),
				]),
			],
			[
				'proxied',
				chain('proxied', [
					manualTrigger(),
					acquireToken(creds.all, { options: { forceRefresh: true } }),
					callApi(creds.all, { url: `${rig.api.baseUrl}/me` }),
				]),
			],
			['httpLoopback', chain('httpLoopback', [manualTrigger(), callApi(loopbackHttp, { url: httpApiUrl })])],
		];
		for (const mode of ['all', 'domains', 'none'] as Mode[]) {
			workflows.push([
				`callApi-${mode}`,
				chain(`callApi-${mode}`, [
					manualTrigger(),
					jsonItems(targets),
					{ ...callApi(creds[mode], { url: '={{ $json.url }}' }), continueOnFail: true },
				]),
			]);
			workflows.push([
				`http-${mode}`,
				chain(`http-${mode}`, [
					manualTrigger(),
					jsonItems(targets),
					{ ...httpWithPredefinedCredential('={{ $json.url }}', creds[mode]), continueOnFail: true },
				]),
			]);
		}
		const ids = await n8n.importWorkflows(workflows.map(([, w]) => w));
		workflows.forEach(([name], index) => (wf[name] = ids[index]));
	});

	afterAll(async () => {
		await n8n?.dispose();
		await proxy?.close();
		await new Promise((resolve) => httpApi?.close(resolve));
		await rig?.stop();
	});

	it('HTTPS_PROXY: the token request and the API call both go through the proxy', async () => {
		await rig.reset();
		await rig.resetApi();
		proxy.reset();
		const run = await n8n.executeInNewProcess(wf.proxied, { HTTPS_PROXY: proxy.url });
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Call API')[0].json).toMatchObject({ appid: rig.clients.secret.clientId });
		const tunnels = proxy.tunnels();
		expect(tunnels[idpTarget]).toBeGreaterThanOrEqual(1);
		expect(tunnels[apiTarget]).toBeGreaterThanOrEqual(1);
		expect((await rig.stats()).grants.client_credentials).toBe(1);
	});

	it('HTTP_PROXY and an http API on loopback: the bearer goes to the API directly, never through the proxy', async () => {
		proxy.reset();
		httpApiReceived = [];
		const run = await n8n.execute(wf.httpLoopback);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Call API')[0].json).toEqual({ plain: true });
		expect(httpApiReceived).toHaveLength(1);
		expect(httpApiReceived[0]).toMatch(/^Bearer ey/);
		expect(proxy.bearersSeen()).toBe(0);
		expect(proxy.tunnels()).toEqual({});
	});

	it('NO_PROXY covering the hosts: nothing goes through the proxy', async () => {
		await rig.reset();
		proxy.reset();
		const run = await n8n.executeInNewProcess(wf.proxied, { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
		expect(run.status).toBe('success');
		expect(proxy.tunnels()[idpTarget]).toBeUndefined();
		expect(proxy.tunnels()[apiTarget]).toBeUndefined();
		expect((await rig.stats()).grants.client_credentials).toBe(1);
	});

	it("n8n's SSRF protection refuses the identity provider and the API on a blocked address; nothing is sent", async () => {
		await rig.reset();
		await rig.resetApi();
		const run = await n8n.executeInNewProcess(wf.proxied, { N8N_SSRF_PROTECTION_ENABLED: 'true' });
		expect(run.status).toBe('error');
		expect(run.error?.message).toContain("n8n's SSRF protection refused 127.0.0.1");
		expect((await rig.stats()).tokenRequests).toHaveLength(0);
		expect(await rig.apiRequests()).toHaveLength(0);
	});

	it("n8n's SSRF protection refuses On Behalf Of and token validation's discovery and key-set requests; none reaches the rig", async () => {
		await rig.reset();
		const run = await n8n.executeInNewProcess(wf.validate, { N8N_SSRF_PROTECTION_ENABLED: 'true' });
		expect(String(run.nodeOutput('On Behalf Of')[0].json.error)).toContain("n8n's SSRF protection refused 127.0.0.1");
		expect(run.status).toBe('error');
		expect(run.error?.message).toContain("n8n's SSRF protection refused 127.0.0.1");
		const stats = await rig.stats();
		expect(stats.tokenRequests).toHaveLength(0);
		expect(stats.requests).toMatchObject({ discovery: 0, jwks: 0, token: 0 });
	});

	it("n8n's SSRF protection with the address allowed: token and API call go through", async () => {
		await rig.reset();
		await rig.resetApi();
		const run = await n8n.executeInNewProcess(wf.proxied, {
			N8N_SSRF_PROTECTION_ENABLED: 'true',
			N8N_SSRF_ALLOWED_IP_RANGES: '127.0.0.1/32',
		});
		expect(run.status).toBe('success');
		expect(await rig.apiRequests()).toHaveLength(1);
	});

	/** What each item of a domain-mode workflow ended with: 'sent' or the error message. */
	const outcomes = async (id: string, node: string) => {
		await rig.resetApi();
		const run = await n8n.execute(id);
		expect(run.status).toBe('success');
		const items = run.nodeOutput(node);
		expect(items).toHaveLength(2);
		return {
			items: items.map((item) => {
				const error = item.json.error as string | { message?: string; description?: string } | undefined;
				if (error === undefined) return 'sent';
				// n8n's HTTP Request node puts an object there, ours the message.
				return typeof error === 'object' ? `${error.message ?? ''} ${error.description ?? ''}` : String(error);
			}),
			received: (await rig.apiRequests()).map((call) => String(call.headers.host).split(':')[0]),
		};
	};

	describe.each([
		['Call API', 'callApi', 'Call API'],
		["n8n's HTTP Request node", 'http', 'HTTP Request'],
	])('Allowed HTTP Request Domains on the %s path', (_path, prefix, node) => {
		it("All: the token goes to its API's host only", async () => {
			const { items, received } = await outcomes(wf[`${prefix}-all`], node);
			expect(items[0]).toBe('sent');
			expect(items[1]).toMatch(/Refused to send the access token .* to localhost/);
			expect(received).toEqual(['127.0.0.1']);
		});

		it('Specific Domains: only the listed domains, not even the API host the scope names', async () => {
			const { items, received } = await outcomes(wf[`${prefix}-domains`], node);
			expect(items[0]).toMatch(/127\.0\.0\.1|not allowed|Allowed Domains/);
			expect(items[1]).toBe('sent');
			expect(received).toEqual(['localhost']);
		});

		it('None: nothing is sent', async () => {
			const { items, received } = await outcomes(wf[`${prefix}-none`], node);
			expect(items[0]).not.toBe('sent');
			expect(items[1]).not.toBe('sent');
			expect(received).toEqual([]);
		});
	});
});
