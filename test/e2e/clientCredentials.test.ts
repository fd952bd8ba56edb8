/**
 * The foundation, end to end: a real n8n executes workflows with the packed package against
 * the rig's identity provider and protected API, on one long-lived `n8n start`. The checks of
 * what survives from one execution to the next run in a new `n8n execute` process
 * (executeInNewProcess), so it went through n8n's credential store (the process, and any
 * in-memory cache, is gone): the second execution, 100 items and the HTTP Request node from a
 * cold process, and Acquire Token reading what the HTTP Request node saved.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createN8n, n8nOlderThan, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from './support/packagedBuild';
import {
	acquireToken,
	callApi,
	chain,
	httpWithPredefinedCredential,
	httpWithTokenFromInput,
	itemsNode,
	manualTrigger,
} from './support/workflows';

type Ref = { id: string; name: string };

describe('client credentials in real n8n', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	const cred: Record<string, Ref> = {};
	const wf: Record<string, string> = {};
	let assertion: string;

	const tokenRequests = async () => (await rig.stats()).grants.client_credentials ?? 0;
	const idpRequests = async () => Object.values((await rig.stats()).requests).reduce((a, b) => a + b, 0);
	const storedCache = async (ref: Ref) => String((await n8n.exportCredential(ref.id)).data.tokenCache ?? '');

	beforeAll(async () => {
		rig = await startRig();
		n8n = await createN8n({ packageTarball: packagedBuild(), env: rig.childEnv() });
		assertion = await rig.mintClientAssertion(rig.clients.federated.clientId, { ttlSeconds: 3600 });
		const common = { cloud: 'custom', authorityUrl: rig.authority, scopes: rig.api.scope };
		const secret = {
			...common,
			clientId: rig.clients.secret.clientId,
			clientAuthentication: 'secret',
			clientSecret: rig.clients.secret.clientSecret,
		};
		const definitions: Array<[string, Record<string, unknown>]> = [
			['main', secret],
			['hundred', secret],
			['httpNode', secret],
			['corrupt', { ...secret, tokenCache: '{"format":"n8n-nodes-msal/token-cache@1","owner":"x", broken' }],
			['corruptHttpNode', { ...secret, tokenCache: '{"format":"n8n-nodes-msal/token-cache@1","owner":"x", broken' }],
			['wrongSecret', { ...secret, clientSecret: 'not-the-secret' }],
			[
				'certificate',
				{
					...common,
					clientId: rig.clients.certificate.clientId,
					clientAuthentication: 'certificate',
					privateKey: rig.clients.certificate.privateKeyPem,
					publicCertificate: rig.clients.certificate.certificatePem,
				},
			],
			[
				'federated',
				{
					...common,
					clientId: rig.clients.federated.clientId,
					clientAuthentication: 'assertion',
					clientAssertionToken: assertion,
				},
			],
			// A credential's scope is a boundary (nodes/core/resourceBoundary.ts).
			['graphOnly', { ...secret, scopes: 'https://graph.microsoft.com/.default' }],
			[
				'vaultAllowed',
				{ ...secret, scopes: 'https://graph.microsoft.com/.default', allowedResources: 'https://vault.azure.net' },
			],
			['noTokenOutput', { ...secret, allowTokenOutput: false }],
			[
				// The certificate under 0.1.0's field name, which the credential type no longer declares.
				'oldCertificateField',
				{
					...common,
					clientId: rig.clients.certificate.clientId,
					clientAuthentication: 'certificate',
					privateKey: rig.clients.certificate.privateKeyPem,
					certificate: rig.clients.certificate.certificatePem,
				},
			],
		];
		const ids = await n8n.importCredentials(
			definitions.map(([name, data]) => ({ name, type: 'msalClientCredentialsApi', data })),
		);
		definitions.forEach(([name], index) => (cred[name] = { id: ids[index], name }));

		const me = `${rig.api.baseUrl}/me`;
		const workflows: Array<[string, object]> = [
			['main', chain('main', [manualTrigger(), acquireToken(cred.main), httpWithTokenFromInput(me)])],
			[
				'mainForced',
				chain('mainForced', [manualTrigger(), acquireToken(cred.main, { options: { forceRefresh: true } })]),
			],
			['hundred', chain('hundred', [manualTrigger(), itemsNode(100), acquireToken(cred.hundred)])],
			[
				'httpNode',
				chain('httpNode', [manualTrigger(), itemsNode(20), httpWithPredefinedCredential(me, cred.httpNode)]),
			],
			[
				'httpNodeElsewhere',
				chain('httpNodeElsewhere', [
					manualTrigger(),
					httpWithPredefinedCredential(`https://localhost:${new URL(rig.api.baseUrl).port}/me`, cred.main),
				]),
			],
			['httpNodeThenAcquire', chain('httpNodeThenAcquire', [manualTrigger(), acquireToken(cred.httpNode)])],
			['corrupt', chain('corrupt', [manualTrigger(), acquireToken(cred.corrupt)])],
			[
				'corruptHttpNode',
				chain('corruptHttpNode', [manualTrigger(), httpWithPredefinedCredential(me, cred.corruptHttpNode)]),
			],
			['wrongSecret', chain('wrongSecret', [manualTrigger(), acquireToken(cred.wrongSecret)])],
			[
				'wrongSecretContinue',
				chain('wrongSecretContinue', [manualTrigger(), { ...acquireToken(cred.wrongSecret), continueOnFail: true }]),
			],
			[
				'badScope',
				chain('badScope', [manualTrigger(), acquireToken(cred.main, { scopes: `${rig.api.baseUrl}/Data.Read` })]),
			],
			[
				'certificate',
				chain('certificate', [manualTrigger(), acquireToken(cred.certificate), httpWithTokenFromInput(me)]),
			],
			['federated', chain('federated', [manualTrigger(), acquireToken(cred.federated), httpWithTokenFromInput(me)])],
			[
				'vaultRefused',
				chain('vaultRefused', [
					manualTrigger(),
					acquireToken(cred.graphOnly, { scopes: 'https://vault.azure.net/.default' }),
				]),
			],
			[
				'vaultFromUrl',
				chain('vaultFromUrl', [
					manualTrigger(),
					callApi(cred.graphOnly, { url: 'https://contoso.vault.azure.net/secrets/db-password?api-version=7.4' }),
				]),
			],
			[
				'vaultAllowed',
				chain('vaultAllowed', [
					manualTrigger(),
					acquireToken(cred.vaultAllowed, { scopes: 'https://vault.azure.net/.default' }),
				]),
			],
			['noTokenOutput', chain('noTokenOutput', [manualTrigger(), acquireToken(cred.noTokenOutput)])],
			[
				'noTokenOutputCallApi',
				chain('noTokenOutputCallApi', [manualTrigger(), callApi(cred.noTokenOutput, { url: me })]),
			],
			[
				'noTokenOutputHttpNode',
				chain('noTokenOutputHttpNode', [manualTrigger(), httpWithPredefinedCredential(me, cred.noTokenOutput)]),
			],
			['oldCertificateField', chain('oldCertificateField', [manualTrigger(), acquireToken(cred.oldCertificateField)])],
		];
		const workflowIds = await n8n.importWorkflows(workflows.map(([, w]) => w));
		workflows.forEach(([name], index) => (wf[name] = workflowIds[index]));
	});

	afterAll(async () => {
		await rig?.setAccessTokenTtl(3600);
		await n8n?.dispose();
		await rig?.stop();
	});

	it('first execution: exactly one token request, and the API accepts the token', async () => {
		await rig.reset();
		await rig.resetApi();
		const run = await n8n.execute(wf.main);
		expect(run.status).toBe('success');
		expect(await tokenRequests()).toBe(1);
		const [token] = run.nodeOutput('Acquire Token');
		expect(token.json).toMatchObject({
			tokenType: 'Bearer',
			fromCache: false,
			scopes: [rig.api.scope],
			tenantId: rig.tenantId,
		});
		expect(token.json).not.toHaveProperty('refreshToken');
		const [api] = await rig.apiRequests();
		expect(api.headers.authorization).toMatchObject({ valid: true, roles: ['Data.Read.All'] });
		expect(run.nodeOutput('Call API')[0].json).toMatchObject({ appid: rig.clients.secret.clientId });
		expect(await storedCache(cred.main)).toContain('"AccessToken"');
	});

	it('second execution, in a new n8n process: no request at all to the identity provider', async () => {
		await rig.reset();
		const run = await n8n.executeInNewProcess(wf.main);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Acquire Token')[0].json.fromCache).toBe(true);
		expect(await idpRequests()).toBe(0);
	});

	it('an n8n restart changes nothing: still no request', async () => {
		await n8n.startServer();
		await n8n.stopServer();
		await rig.reset();
		const run = await n8n.execute(wf.main);
		expect(run.status).toBe('success');
		expect(await idpRequests()).toBe(0);
	});

	it('an expired access token is renewed before the API call (one request) and the new cache is saved', async () => {
		await rig.setAccessTokenTtl(5); // inside MSAL's 5-minute renewal window as soon as it is issued
		await n8n.execute(wf.mainForced);
		await rig.setAccessTokenTtl(3600);
		const before = JSON.parse(await storedCache(cred.main));
		await rig.reset();
		await rig.resetApi();
		const run = await n8n.execute(wf.main);
		expect(run.status).toBe('success');
		expect(await tokenRequests()).toBe(1);
		expect((await rig.apiRequests())[0].headers.authorization).toMatchObject({ valid: true });
		const after = JSON.parse(await storedCache(cred.main));
		expect(after.revision).toBeGreaterThan(before.revision);
		const expiries = (c: { msal: { AccessToken: Record<string, { expires_on: string }> } }) =>
			Object.values(c.msal.AccessToken).map((t) => Number(t.expires_on));
		expect(Math.max(...expiries(after))).toBeGreaterThan(Date.now() / 1000 + 3000);
		expect(Math.max(...expiries(before))).toBeLessThan(Date.now() / 1000 + 60);
	});

	it('100 items in one execution make one token request', async () => {
		await rig.reset();
		const run = await n8n.executeInNewProcess(wf.hundred);
		expect(run.status).toBe('success');
		const output = run.nodeOutput('Acquire Token');
		expect(output).toHaveLength(100);
		expect(output.map((item) => item.pairedItem)).toEqual(Array.from({ length: 100 }, (_, item) => ({ item })));
		expect(new Set(output.map((item) => item.json.accessToken)).size).toBe(1);
		expect(await tokenRequests()).toBe(1);
	});

	it.each(['certificate', 'federated'] as const)(
		'%s authentication obtains a token the protected API accepts',
		async (name) => {
			await rig.reset();
			await rig.resetApi();
			const run = await n8n.execute(wf[name]);
			expect(run.status).toBe('success');
			const [request] = (await rig.stats()).tokenRequests;
			expect(request).toMatchObject({
				grant: 'client_credentials',
				clientAuth: 'assertion',
				clientId: rig.clients[name].clientId,
			});
			if (name === 'certificate')
				expect(request.assertionHeader).toMatchObject({ alg: 'PS256', 'x5t#S256': expect.any(String) });
			expect((await rig.apiRequests())[0].headers.authorization).toMatchObject({
				valid: true,
				roles: expect.arrayContaining(['Data.Read.All']),
			});
		},
	);

	it("n8n's HTTP Request node uses the credential for 20 items with one token request, and Acquire Token then reads the cache it saved", async () => {
		await rig.reset();
		await rig.resetApi();
		const viaHttpNode = await n8n.executeInNewProcess(wf.httpNode);
		expect(viaHttpNode.status).toBe('success');
		expect(viaHttpNode.nodeOutput('HTTP Request')).toHaveLength(20);
		expect(viaHttpNode.nodeOutput('HTTP Request')[0].json).toMatchObject({ appid: rig.clients.secret.clientId });
		const calls = await rig.apiRequests();
		expect(calls).toHaveLength(20);
		expect(calls.every((call) => (call.headers.authorization as { valid?: boolean }).valid === true)).toBe(true);
		expect(await tokenRequests()).toBe(1);
		// Before n8n 2.34 the HTTP Request node saves nothing (nodes/n8n/olderN8nWrites.ts): Acquire Token then renews and saves.
		const saves = !n8nOlderThan(n8n.n8nVersion, '2.34.0');
		expect(await storedCache(cred.httpNode)).toEqual(saves ? expect.stringContaining('"AccessToken"') : '');
		const viaAcquire = await n8n.executeInNewProcess(wf.httpNodeThenAcquire);
		expect(viaAcquire.nodeOutput('Acquire Token')[0].json.fromCache).toBe(saves);
		expect(await tokenRequests()).toBe(saves ? 1 : 2);
	});

	it("n8n's HTTP Request node does not send the token to a host outside the token's API", async () => {
		await rig.resetApi();
		const run = await n8n.execute(wf.httpNodeElsewhere);
		expect(run.status).toBe('error');
		expect(run.error?.message).toContain('Refused to send the access token');
		expect(run.error?.message).toContain('localhost');
		expect(await rig.apiRequests()).toHaveLength(0);
	});

	it('a corrupt cache in the credential is discarded with a warning, then replaced by a fresh one', async () => {
		await rig.reset();
		const run = await n8n.execute(wf.corrupt);
		expect(run.status).toBe('success');
		expect(await tokenRequests()).toBe(1);
		expect(run.cli.stdout + run.cli.stderr).toContain('token cache stored in the credential was discarded');
		expect(JSON.parse(await storedCache(cred.corrupt))).toMatchObject({
			format: 'n8n-nodes-msal/token-cache@1',
			revision: 1,
		});
	});

	it("the credential's own warnings reach n8n's log when only n8n's HTTP Request node uses it (none of the package's nodes is loaded)", async () => {
		const run = await n8n.execute(wf.corruptHttpNode);
		expect(run.status).toBe('success');
		expect(run.cli.stdout + run.cli.stderr).toContain(
			'[n8n-nodes-msal] The token cache stored in the credential was discarded',
		);
	});

	it('a wrong secret fails with the AADSTS code explained and the fix, and writes nothing', async () => {
		const run = await n8n.execute(wf.wrongSecret);
		expect(run.status).toBe('error');
		expect(run.error?.message).toContain('AADSTS7000215: The client secret is wrong.');
		expect(run.error?.description).toContain('Certificates & secrets');
		expect(await storedCache(cred.wrongSecret)).toBe('');
		const continued = await n8n.execute(wf.wrongSecretContinue);
		expect(continued.status).toBe('success');
		expect(continued.nodeOutput('Acquire Token')[0]).toMatchObject({
			json: { error: expect.stringContaining('AADSTS7000215') },
			pairedItem: { item: 0 },
		});
	});

	it('a delegated scope for an app token is refused before any request, naming the field', async () => {
		await rig.reset();
		const run = await n8n.execute(wf.badScope);
		expect(run.status).toBe('error');
		expect(run.error?.message).toContain('is not valid for an app token');
		expect(run.error?.description).toContain(`Use "${rig.api.baseUrl}/.default"`);
		expect(run.error?.description).toContain('(field: Scopes)');
		expect(await idpRequests()).toBe(0);
	});

	describe("a credential's scope is a boundary", () => {
		const audienceOf = (jwt: unknown) =>
			(JSON.parse(Buffer.from(String(jwt).split('.')[1], 'base64url').toString()) as { aud?: unknown }).aud;

		it("a Graph credential asked for Key Vault by the node's Scope is refused, naming Allowed Resources, with no request", async () => {
			await rig.reset();
			const run = await n8n.execute(wf.vaultRefused);
			expect(run.status).toBe('error');
			expect(run.error?.message).toContain(
				"Refused to request a token for https://vault.azure.net (the node's Scope): this credential is limited to https://graph.microsoft.com",
			);
			expect(run.error?.description).toContain("add it to the credential's Allowed Resources");
			expect(run.error?.description).toContain('(field: Allowed Resources)');
			expect(await idpRequests()).toBe(0);
			expect(await storedCache(cred.graphOnly)).toBe('');
		});

		it('a Key Vault URL (scope derived from the host) is refused the same way: no token request, nothing sent', async () => {
			await rig.reset();
			await rig.resetApi();
			const run = await n8n.execute(wf.vaultFromUrl);
			expect(run.status).toBe('error');
			expect(run.nodeError('Call API')?.message).toContain(
				"Refused to request a token for https://vault.azure.net (derived from the URL's host contoso.vault.azure.net)",
			);
			expect(await idpRequests()).toBe(0);
			expect(await rig.apiRequests()).toHaveLength(0);
		});

		it('with Key Vault in Allowed Resources, the token is issued for Key Vault', async () => {
			await rig.reset();
			const run = await n8n.execute(wf.vaultAllowed);
			expect(run.status).toBe('success');
			const [token] = run.nodeOutput('Acquire Token');
			expect(token.json.scopes).toEqual(['https://vault.azure.net/.default']);
			expect(audienceOf(token.json.accessToken)).toBe('https://vault.azure.net');
			expect(await tokenRequests()).toBe(1);
		});
	});

	it("Allow Token Output off: Acquire Token refuses before any request, naming the option; Call API and n8n's HTTP Request node still work", async () => {
		await rig.reset();
		const refused = await n8n.execute(wf.noTokenOutput);
		expect(refused.status).toBe('error');
		expect(refused.error?.message).toContain("the credential's Allow Token Output is off");
		expect(refused.error?.description).toContain('(field: Allow Token Output)');
		expect(await idpRequests()).toBe(0);
		expect(JSON.stringify(refused.nodeOutput('Acquire Token') ?? [])).not.toMatch(/eyJ/);

		await rig.resetApi();
		const viaCallApi = await n8n.execute(wf.noTokenOutputCallApi);
		expect(viaCallApi.status).toBe('success');
		expect(viaCallApi.nodeOutput('Call API')[0].json).toMatchObject({ appid: rig.clients.secret.clientId });
		const viaHttpNode = await n8n.execute(wf.noTokenOutputHttpNode);
		expect(viaHttpNode.status).toBe('success');
		expect(viaHttpNode.nodeOutput('HTTP Request')[0].json).toMatchObject({ appid: rig.clients.secret.clientId });
		expect(await rig.apiRequests()).toHaveLength(2);
	});

	it("a record holding 0.1.0's certificate field: n8n drops the undeclared field, so the certificate is empty", async () => {
		await rig.reset();
		const run = await n8n.execute(wf.oldCertificateField);
		expect(run.status).toBe('error');
		expect(run.error?.message).toContain('Certificate is empty.');
		expect(run.error?.description).toContain('(field: Certificate)');
		expect(await idpRequests()).toBe(0);
	});

	it('no secret, private key or cache content appears in n8n logs or stored execution data', async () => {
		const stored = await Promise.all(Object.values(cred).map(storedCache));
		const executions = JSON.stringify(await n8n.executions());
		const logs = n8n.logs();
		const keyBody = rig.clients.certificate.privateKeyPem.split('\n')[5];
		const secrets = [
			rig.clients.secret.clientSecret,
			'not-the-secret',
			keyBody,
			assertion,
			'n8n-nodes-msal/token-cache@1',
			'"AccessToken":{',
		];
		// A record may still hold the corrupt text it was imported with (n8n before 2.34 saves nothing
		// from its HTTP Request node): it has no lineage to leak.
		for (const cache of stored.filter(Boolean)) {
			try {
				secrets.push(JSON.parse(cache).lineage);
			} catch {
				expect(cache).toContain('broken');
			}
		}
		for (const secret of secrets) {
			expect(logs).not.toContain(secret);
			expect(executions).not.toContain(secret);
		}
		expect(executions.length).toBeGreaterThan(1000);
	});
});
