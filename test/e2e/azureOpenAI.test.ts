/**
 * The Azure OpenAI sub-nodes in real n8n: n8n's AI Agent, Basic LLM Chain and In-Memory Vector
 * Store run on the package's chat model and embeddings, whose bearer comes from the credential's
 * silent-first cache for each model request. What the model received is read from the rig's
 * Azure OpenAI emulator, token requests from its identity provider, the rest from the run n8n stored.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createN8n, n8nOlderThan, type ExecutionResult, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { secretClientCredentialData } from '../rig/credentialData';
import { packagedBuild } from './support/packagedBuild';
import { manualTrigger, jsonItems, MSAL_PACKAGE } from './support/workflows';
import {
	agent,
	aiWorkflow,
	basicLlmChain,
	calculator,
	chatModel,
	defaultDataLoader,
	embeddingsModel,
	endpointParameters,
	memoryVectorStore,
} from './support/aiWorkflows';

type Ref = { id: string; name: string };

/** Anything shaped like a JWT (header.payload.): no token may appear in what n8n stored. */
const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\./;

describe('Azure OpenAI sub-nodes in real n8n', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	const wf: Record<string, string> = {};

	const cognitiveTokenRequests = async () =>
		(await rig.stats()).tokenRequests.filter((r) => r.scope?.includes('cognitiveservices')).length;
	const expectNoToken = (run: ExecutionResult) => expect(JSON.stringify(run.raw)).not.toMatch(JWT);

	beforeAll(async () => {
		rig = await startRig();
		n8n = await createN8n({
			packageTarball: packagedBuild(),
			env: {
				...rig.childEnv(),
				// The host's managed identity (App Service endpoint on loopback), for Azure OpenAI only.
				...rig.managedIdentity.appService.env,
				N8N_MSAL_AMBIENT_IDENTITY_ENABLED: 'true',
				N8N_MSAL_AMBIENT_IDENTITY_RESOURCES: rig.azureOpenAI.resource,
			},
		});
		// The emulator is on 127.0.0.1, like a private endpoint or API Management: the credential lists it.
		const reaching = { allowedHttpRequestDomains: 'domains', allowedDomains: '127.0.0.1' };
		const names = ['agent', 'renewal', 'chain', 'embeddings', 'noRole', 'apiOnly'] as const;
		// One app per test that counts token requests: the package shares an app's in-memory cache
		// across credential records (cacheSession.ts), and each of these tests starts without a token.
		const cognitive = { scopes: rig.azureOpenAI.scope, ...reaching };
		const assertion = await rig.mintClientAssertion(rig.clients.federated.clientId, { ttlSeconds: 3600 });
		const certificate = {
			clientId: rig.clients.certificate.clientId,
			clientAuthentication: 'certificate',
			privateKey: rig.clients.certificate.privateKeyPem,
			publicCertificate: rig.clients.certificate.certificatePem,
		};
		const federated = {
			clientId: rig.clients.federated.clientId,
			clientAuthentication: 'assertion',
			clientAssertionToken: assertion,
		};
		const noRoles = { clientId: rig.clients.noRoles.clientId, clientSecret: rig.clients.noRoles.clientSecret };
		const data: Record<(typeof names)[number], Record<string, unknown>> = {
			agent: secretClientCredentialData(rig, cognitive),
			renewal: secretClientCredentialData(rig, { ...cognitive, ...certificate }),
			chain: secretClientCredentialData(rig, cognitive),
			embeddings: secretClientCredentialData(rig, { ...cognitive, ...federated }),
			noRole: secretClientCredentialData(rig, { ...cognitive, ...noRoles }),
			apiOnly: secretClientCredentialData(rig, reaching),
		};
		const ids = await n8n.importCredentials(
			names.map((name) => ({ name: `aoai ${name}`, type: 'msalClientCredentialsApi', data: data[name] })),
		);
		const cred = Object.fromEntries(names.map((name, i) => [name, { id: ids[i], name: `aoai ${name}` }])) as Record<
			(typeof names)[number],
			Ref
		>;
		const agentVersion = n8nOlderThan(n8n.n8nVersion, '2.0.0') ? 3 : 3.1;
		const endpoint = (deployment: string) =>
			endpointParameters(rig.azureOpenAI.endpoint, deployment, rig.azureOpenAI.apiVersion);
		const chat = endpoint(rig.azureOpenAI.deployments.chat);
		const agentWorkflow = (name: string, credential: Ref, prompt: string, parameters: object = chat) =>
			aiWorkflow(
				name,
				[
					manualTrigger(),
					agent(prompt, 'AI Agent', agentVersion),
					chatModel(credential, { ...parameters }),
					calculator(),
				],
				[['Start', 'AI Agent']],
				[
					['Azure OpenAI Chat Model', 'AI Agent', 'ai_languageModel'],
					['Calculator', 'AI Agent', 'ai_tool'],
				],
			);
		const workflows: Array<[string, object]> = [
			['agent', agentWorkflow('agent', cred.agent, 'What is "2+3"? Call the tool 4 times.')],
			['renewal', agentWorkflow('renewal', cred.renewal, 'What is "6*7"? Call the tool 4 times.')],
			[
				'chain',
				aiWorkflow(
					'chain',
					[manualTrigger(), basicLlmChain('Say hello'), chatModel(cred.chain, { ...chat, api: 'v1' })],
					[['Start', 'Basic LLM Chain']],
					[['Azure OpenAI Chat Model', 'Basic LLM Chain', 'ai_languageModel']],
				),
			],
			[
				'gateway',
				aiWorkflow(
					'gateway',
					[
						manualTrigger(),
						basicLlmChain('Through the gateway'),
						chatModel(cred.chain, {
							...endpointParameters(
								rig.azureOpenAI.gatewayEndpoint,
								rig.azureOpenAI.deployments.chat,
								rig.azureOpenAI.apiVersion,
							),
						}),
					],
					[['Start', 'Basic LLM Chain']],
					[['Azure OpenAI Chat Model', 'Basic LLM Chain', 'ai_languageModel']],
				),
			],
			[
				'embeddings',
				aiWorkflow(
					'embeddings',
					[
						manualTrigger(),
						jsonItems([
							{ text: 'The cat sat on the mat.' },
							{ text: 'Quarterly revenue grew by ten percent.' },
							{ text: 'Rain is expected over the mountains.' },
						]),
						memoryVectorStore('insert', 'Insert'),
						defaultDataLoader(),
						{
							...memoryVectorStore('load', 'Retrieve', { prompt: 'cats on mats', topK: 1 }),
							executeOnce: true,
						} as never,
						embeddingsModel(cred.embeddings, {
							...endpoint(rig.azureOpenAI.deployments.embeddings),
							options: { dimensions: 256, batchSize: 2 },
						}),
					],
					[
						['Start', 'Items'],
						['Items', 'Insert'],
						['Insert', 'Retrieve'],
					],
					[
						['Default Data Loader', 'Insert', 'ai_document'],
						['Embeddings', 'Insert', 'ai_embedding'],
						['Embeddings', 'Retrieve', 'ai_embedding'],
					],
				),
			],
			['noRole', agentWorkflow('noRole', cred.noRole, 'hello')],
			[
				'wrongAudience',
				agentWorkflow('wrongAudience', cred.apiOnly, 'hello', { ...chat, options: { scope: rig.api.scope } }),
			],
			['outsideBoundary', agentWorkflow('outsideBoundary', cred.apiOnly, 'hello')],
		];
		const [managedIdentityId] = await n8n.importCredentials([
			{
				name: 'aoai managed identity',
				type: 'msalManagedIdentityApi',
				data: { identityType: 'system', scopes: rig.azureOpenAI.scope, ...reaching },
			},
		]);
		const managedIdentity = {
			id: managedIdentityId,
			name: 'aoai managed identity',
			type: 'msalManagedIdentityApi',
			authentication: 'managedIdentity',
		};
		workflows.push([
			'managedIdentity',
			aiWorkflow(
				'managedIdentity',
				[manualTrigger(), basicLlmChain('From the managed identity'), chatModel(managedIdentity, chat)],
				[['Start', 'Basic LLM Chain']],
				[['Azure OpenAI Chat Model', 'Basic LLM Chain', 'ai_languageModel']],
			),
		]);
		// A person's token (device code): the model asks for user_impersonation, the credential's Scopes.
		const [delegatedId] = await n8n.importCredentials([
			{
				name: 'aoai delegated',
				type: 'msalDeviceCodeApi',
				data: {
					cloud: 'custom',
					authorityUrl: rig.authority,
					clientId: rig.clients.public.clientId,
					scopes: rig.azureOpenAI.delegatedScope,
					allowedAccounts: rig.users[0].username,
					...reaching,
				},
			},
		]);
		const delegated = {
			id: delegatedId,
			name: 'aoai delegated',
			type: 'msalDeviceCodeApi',
			authentication: 'deviceCode',
		};
		workflows.push(
			[
				'signIn',
				aiWorkflow(
					'signIn',
					[
						manualTrigger(),
						{
							name: 'Acquire Token',
							type: `${MSAL_PACKAGE}.msalAcquireToken`,
							typeVersion: 1,
							parameters: { authentication: 'deviceCode', operation: 'getToken' },
							credentials: { msalDeviceCodeApi: { id: delegatedId, name: 'aoai delegated' } },
						},
					],
					[['Start', 'Acquire Token']],
					[],
				),
			],
			[
				'delegated',
				aiWorkflow(
					'delegated',
					[manualTrigger(), basicLlmChain('As the signed-in person'), chatModel(delegated, chat)],
					[['Start', 'Basic LLM Chain']],
					[['Azure OpenAI Chat Model', 'Basic LLM Chain', 'ai_languageModel']],
				),
			],
		);
		const imported = await n8n.importWorkflows(workflows.map(([, w]) => w));
		workflows.forEach(([name], i) => (wf[name] = imported[i]));
	});

	afterAll(async () => {
		await n8n?.dispose();
		await rig?.stop();
	});

	beforeEach(async () => {
		await rig.resetAzureOpenAI();
		await rig.reset();
		await rig.setAccessTokenTtl(3600);
		await rig.resetManagedIdentity();
	});

	it('an AI Agent answers across 5 model turns with one tool, on exactly 1 token request', async () => {
		const run = await n8n.execute(wf.agent);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('AI Agent')[0].json.output).toBe(
			'After 4 tool call(s): Tool Calculator answered: [{"response":"5"}]',
		);
		const stats = await rig.azureOpenAIStats();
		expect(stats.answered.chat).toBe(5);
		expect(stats.requests.map((r) => r.finishReason)).toEqual([
			'tool_calls',
			'tool_calls',
			'tool_calls',
			'tool_calls',
			'stop',
		]);
		expect(
			stats.requests.every((r) => r.auth === 'bearer' && r.appid === rig.clients.secret.clientId && r.status === 200),
		).toBe(true);
		expect(stats.distinctTokens).toBe(1);
		expect(await cognitiveTokenRequests()).toBe(1);
		expectNoToken(run);
		// The cache the token came from is in the credential record, for the next run.
		const stored = await n8n.exportCredential(await credentialId('aoai agent'));
		expect(String(stored.data.tokenCache ?? '')).not.toBe('');
	});

	it('a run that outlives its token renews once, before expiry, and does not fail', async () => {
		// The first token has 2 s left before MSAL's 5-minute renewal window, the next ones an hour;
		// each model answer takes 1 s, so the run's 5 turns outlive the first token's usable life.
		await rig.setNextAccessTokenLifetimes([302]);
		await rig.setAzureOpenAILatency(1000);
		const run = await n8n.execute(wf.renewal);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('AI Agent')[0].json.output).toBe(
			'After 4 tool call(s): Tool Calculator answered: [{"response":"42"}]',
		);
		const stats = await rig.azureOpenAIStats();
		expect(stats.byStatus).toEqual({ '200': 5 });
		expect(stats.distinctTokens).toBe(2);
		expect(await cognitiveTokenRequests()).toBe(2);
		expectNoToken(run);
	});

	it('a Basic LLM Chain answers on the v1 API', async () => {
		const run = await n8n.execute(wf.chain);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Basic LLM Chain')[0].json.text).toBe('echo: Say hello');
		const { requests } = await rig.azureOpenAIStats();
		expect(requests.map((r) => [r.api, r.deployment, r.status])).toEqual([
			['v1', rig.azureOpenAI.deployments.chat, 200],
		]);
		expectNoToken(run);
	});

	it("the host's managed identity (admin-enabled) answers through a Basic LLM Chain", async () => {
		const run = await n8n.execute(wf.managedIdentity);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Basic LLM Chain')[0].json.text).toBe('echo: From the managed identity');
		const { requests } = await rig.azureOpenAIStats();
		expect(requests.map((r) => [r.auth, r.roles, r.status])).toEqual([['bearer', [rig.azureOpenAI.role], 200]]);
		expect((await rig.managedIdentityRequests()).length).toBe(1);
		expectNoToken(run);
	});

	it('a device-code credential, once its person signed in, answers with their user_impersonation token', async () => {
		const prompt = await n8n.execute(wf.signIn);
		expect(prompt.status).toBe('error');
		const code = /enter the code (\S+) before/.exec(prompt.error?.message ?? '')?.[1];
		expect(code).toBeTruthy();
		await rig.approveDeviceCode(code as string, rig.users[0].username);
		const signedIn = await n8n.execute(wf.signIn);
		expect(signedIn.status).toBe('success');
		const signIn = await rig.stats();
		expect(signIn.requests.devicecode).toBe(1);
		expect(Object.entries(signIn.grants).filter(([, count]) => count > 0)).toEqual([['device_code', 1]]);

		// The model's run is silent: the token the sign-in stored in the credential record.
		await rig.reset();
		const run = await n8n.execute(wf.delegated);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Basic LLM Chain')[0].json.text).toBe('echo: As the signed-in person');
		const { requests } = await rig.azureOpenAIStats();
		expect(requests.map((r) => [r.auth, r.scp, r.status])).toEqual([['bearer', 'user_impersonation', 200]]);
		expect(requests[0].oid).toBe(rig.users[0].oid);
		expect((await rig.stats()).requests.token ?? 0).toBe(0);
		expectNoToken(run);
	});

	it('an endpoint behind an API Management path prefix keeps the prefix', async () => {
		const run = await n8n.execute(wf.gateway);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Basic LLM Chain')[0].json.text).toBe('echo: Through the gateway');
		const { requests } = await rig.azureOpenAIStats();
		expect(requests.map((r) => [r.gateway, r.api, r.status])).toEqual([[true, 'deployments', 200]]);
	});

	it('embeddings insert into the In-Memory Vector Store and retrieve the nearest document', async () => {
		const run = await n8n.execute(wf.embeddings);
		expect(run.status).toBe('success');
		const found = run.nodeOutput('Retrieve');
		expect(found).toHaveLength(1);
		expect(JSON.stringify(found[0].json)).toContain('The cat sat on the mat.');
		const { requests, distinctTokens } = await rig.azureOpenAIStats();
		// Insert: 3 documents in batches of 2; Retrieve: the query.
		expect(requests.map((r) => [r.route, r.inputs, r.dimensions, r.status])).toEqual([
			['embeddings', 2, 256, 200],
			['embeddings', 1, 256, 200],
			['embeddings', 1, 256, 200],
		]);
		expect(distinctTokens).toBe(1);
		expect(await cognitiveTokenRequests()).toBe(1);
		expectNoToken(run);
	});

	it('an app without the role, or a token for another API, fails with the fix: assign "Cognitive Services OpenAI User"', async () => {
		for (const name of ['noRole', 'wrongAudience']) {
			const run = await n8n.execute(wf[name]);
			expect(run.status).toBe('error');
			const text = JSON.stringify(run.raw.data.resultData.error ?? run.nodeError('AI Agent'));
			expect(text).toContain('Assign the role \\"Cognitive Services OpenAI User\\"');
			expectNoToken(run);
		}
		expect((await rig.azureOpenAIStats()).byStatus).toEqual({ '401': 2 });
	});

	it("a credential whose Scopes are another API's mints no Azure OpenAI token: the error names Allowed Resources", async () => {
		const run = await n8n.execute(wf.outsideBoundary);
		expect(run.status).toBe('error');
		expect(JSON.stringify(run.raw.data.resultData)).toContain('Allowed Resources');
		expect(await cognitiveTokenRequests()).toBe(0);
		expect((await rig.azureOpenAIStats()).requests).toHaveLength(0);
	});

	async function credentialId(name: string): Promise<string> {
		const found = (await n8n.exportCredentials()).find((c) => c.name === name);
		if (!found) throw new Error(`no credential ${name}`);
		return found.id;
	}
});
