/*
 * The sub-nodes' model stack without n8n: REAL LangChain ChatOpenAI / OpenAIEmbeddings (the
 * classes n8n bundles) with the package's per-request bearer fetch, tokens from REAL MSAL Node
 * against the rig's identity provider, requests to the rig's Azure OpenAI emulator. The n8n side
 * (credential store, AI Agent, vector store) is test/e2e/azureOpenAI.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { bearerFetch, ROLE_FIX } from '../../nodes/core/azureOpenAi/bearerFetch';
import { modelEndpoint, type ModelEndpoint } from '../../nodes/core/azureOpenAi/endpoint';
import { RenewingToken } from '../../nodes/core/azureOpenAi/renewingToken';
import { outboundFetch } from '../../nodes/core/outbound';
import { Rig, startRig } from '../rig/rig';

jest.setTimeout(60000);

let rig: Rig;

beforeAll(async () => {
	rig = await startRig();
});

afterAll(async () => {
	await rig?.stop();
});

beforeEach(async () => {
	await rig.resetAzureOpenAI();
	await rig.reset();
});

/** A client-credentials app of the rig, and the claims each of its token requests carried. */
function appTokens(client: { clientId: string; clientSecret: string }, scope = rig.azureOpenAI.scope) {
	const app = new ConfidentialClientApplication({
		auth: {
			authority: rig.authority,
			knownAuthorities: [rig.knownAuthority],
			clientId: client.clientId,
			clientSecret: client.clientSecret,
			clientCapabilities: ['cp1'],
		},
	});
	const claimsAsked: Array<string | undefined> = [];
	const token = new RenewingToken(async (claims) => {
		claimsAsked.push(claims);
		const result = (await app.acquireTokenByClientCredential({ scopes: [scope], claims }))!;
		return { accessToken: result.accessToken, expiresOn: result.expiresOn!.toISOString() };
	});
	return { token, claimsAsked };
}

function connection(token: RenewingToken, api: 'deployment' | 'v1' = 'deployment', deployment = 'gpt-4o-mini') {
	const endpoint: ModelEndpoint = modelEndpoint({
		endpointType: 'url',
		endpointUrl: rig.azureOpenAI.endpoint,
		deployment,
		api,
		apiVersion: rig.azureOpenAI.apiVersion,
	});
	const fetch = bearerFetch({ token, assertMayGo: () => undefined, send: (url, init) => outboundFetch(url, init) });
	return { baseURL: endpoint.baseUrl, defaultQuery: endpoint.query, fetch, model: endpoint.model };
}

function chatModel(token: RenewingToken, api: 'deployment' | 'v1' = 'deployment', extra: object = {}) {
	const { model, ...configuration } = connection(token, api);
	return new ChatOpenAI({
		model,
		apiKey: 'placeholder',
		useResponsesApi: false,
		maxRetries: 2,
		configuration,
		...extra,
	});
}

describe('chat model', () => {
	it('answers on the deployment routes and on the v1 API, one token for every request', async () => {
		const { token } = appTokens(rig.clients.secret);
		for (const api of ['deployment', 'v1'] as const) {
			const answer = await chatModel(token, api).invoke('hello there');
			expect(answer.content).toBe('echo: hello there');
		}
		const stats = await rig.azureOpenAIStats();
		expect(stats.requests.map((r) => [r.api, r.auth, r.status])).toEqual([
			['deployments', 'bearer', 200],
			['v1', 'bearer', 200],
		]);
		expect(stats.distinctTokens).toBe(1);
		expect((await rig.stats()).tokenRequests).toHaveLength(1);
	});

	it('calls tools across 5 model turns with the same bearer', async () => {
		const { token } = appTokens(rig.clients.secret);
		const model = chatModel(token).bindTools([
			{
				type: 'function',
				function: {
					name: 'lookup',
					description: 'Looks a word up',
					parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
				},
			},
		]);
		const messages: any[] = [{ role: 'user', content: 'What does "zebra" mean? Call the tool 4 times.' }];
		for (let turn = 1; turn <= 4; turn++) {
			const answer = await model.invoke(messages);
			expect(answer.tool_calls?.[0]?.name).toBe('lookup');
			messages.push(answer, { role: 'tool', tool_call_id: answer.tool_calls![0].id!, content: `result ${turn}` });
		}
		const final = await model.invoke(messages);
		expect(final.content).toBe('After 4 tool call(s): Tool lookup answered: result 4');
		const stats = await rig.azureOpenAIStats();
		expect(stats.answered.chat).toBe(5);
		expect(stats.distinctTokens).toBe(1);
	});

	it('a 429 is retried after its Retry-After and the answer comes through', async () => {
		const { token } = appTokens(rig.clients.secret);
		await rig.injectAzureOpenAIFault({ kind: 'throttle', times: 1, retryAfterSeconds: 1, retryAfterMs: 50 });
		expect((await chatModel(token).invoke('after a throttle')).content).toBe('echo: after a throttle');
		expect((await rig.azureOpenAIStats()).byStatus).toEqual({ '200': 1, '429': 1 });
	});

	it('a claims challenge is answered once with a token carrying its claims', async () => {
		const { token, claimsAsked } = appTokens(rig.clients.secret);
		await rig.injectAzureOpenAIFault({ kind: 'claimsChallenge', times: 1 });
		expect((await chatModel(token).invoke('challenged')).content).toBe('echo: challenged');
		const { requests } = await rig.azureOpenAIStats();
		expect(requests.map((r) => r.status)).toEqual([401, 200]);
		expect(requests[1].claimsSatisfied).toBe(true);
		expect(claimsAsked).toHaveLength(2);
		expect(claimsAsked[1]).toContain('"nbf"');
	});

	it('a challenge that keeps asking for new claims is answered once, then fails with the fix', async () => {
		const { token, claimsAsked } = appTokens(rig.clients.secret);
		await rig.injectAzureOpenAIFault({ kind: 'claimsChallenge', times: 5, fresh: true });
		await expect(chatModel(token, 'deployment', { maxRetries: 0 }).invoke('x')).rejects.toThrow(ROLE_FIX);
		expect((await rig.azureOpenAIStats()).requests).toHaveLength(2);
		expect(claimsAsked).toHaveLength(2);
	});

	it('no role, or a token of another API: 401 whose message says to assign "Cognitive Services OpenAI User", token not in it', async () => {
		for (const { client, scope } of [
			{ client: rig.clients.noRoles, scope: rig.azureOpenAI.scope },
			{ client: rig.clients.secret, scope: rig.api.scope },
		]) {
			const { token } = appTokens(client, scope);
			const bearer = await token.token();
			const failure = await chatModel(token)
				.invoke('x')
				.then(
					() => undefined,
					(error: unknown) => error as Error,
				);
			expect(failure?.message).toContain('Cognitive Services OpenAI User');
			expect(failure?.message).toMatch(/^401 Azure OpenAI refused the Entra ID token/);
			expect(JSON.stringify(failure, Object.getOwnPropertyNames(failure))).not.toContain(bearer);
		}
		// Denials are not retried.
		expect((await rig.azureOpenAIStats()).byStatus).toEqual({ '401': 2 });
	});

	it('a token that must not go to the endpoint is never sent; the reason is the error, not a retried "Connection error"', async () => {
		const { token } = appTokens(rig.clients.secret);
		const { model, ...configuration } = connection(token);
		configuration.fetch = bearerFetch({
			token,
			assertMayGo: () => {
				throw new Error('Refused to send the access token to 127.0.0.1: not in Allowed Domains.');
			},
			send: (url, init) => outboundFetch(url, init),
		});
		const chat = new ChatOpenAI({ model, apiKey: 'placeholder', useResponsesApi: false, maxRetries: 2, configuration });
		await expect(chat.invoke('x')).rejects.toThrow('not in Allowed Domains');
		expect((await rig.azureOpenAIStats()).requests).toHaveLength(0);
	});
});

describe('embeddings', () => {
	it('embeds in batches of Batch Size with the asked dimensions', async () => {
		const { token } = appTokens(rig.clients.secret);
		const { model, ...configuration } = connection(token, 'deployment', 'text-embedding-3-small');
		const embeddings = new OpenAIEmbeddings({
			model,
			apiKey: 'placeholder',
			dimensions: 256,
			batchSize: 2,
			configuration,
		});
		const vectors = await embeddings.embedDocuments(['one', 'two', 'three', 'four', 'five']);
		expect(vectors.map((v) => v.length)).toEqual([256, 256, 256, 256, 256]);
		expect((await embeddings.embedQuery('one'))[0]).toBeCloseTo(vectors[0][0], 5);
		const { requests, distinctTokens } = await rig.azureOpenAIStats();
		expect(requests.map((r) => r.inputs)).toEqual([2, 2, 1, 1]);
		expect(requests.every((r) => r.dimensions === 256 && r.status === 200)).toBe(true);
		expect(distinctTokens).toBe(1);
	});
});
