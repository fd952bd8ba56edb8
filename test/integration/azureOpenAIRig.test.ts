/*
 * The rig's Azure OpenAI emulator (test/rig/azure-openai.mjs), with tokens from REAL MSAL Node
 * against the rig's identity provider and managed identity endpoints: who may call it, what the
 * model answers (chat, tool calls, streaming, embeddings), the faults, and what it records.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { routesToAzureOpenAI, startConnectProxy } from '../rig/connect-proxy';
import { Rig, startRig } from '../rig/rig';

jest.setTimeout(60000);

let rig: Rig;
let appToken: string;

beforeAll(async () => {
	rig = await startRig();
	appToken = await clientCredentialToken(rig.clients.secret.clientId, rig.clients.secret.clientSecret);
});

afterAll(async () => {
	await rig?.stop();
});

beforeEach(async () => {
	await rig.resetAzureOpenAI();
	await rig.reset();
});

const authority = () => ({ authority: rig.authority, knownAuthorities: [rig.knownAuthority] });

async function clientCredentialToken(clientId: string, clientSecret: string, scope = rig.azureOpenAI.scope) {
	const app = new ConfidentialClientApplication({ auth: { ...authority(), clientId, clientSecret } });
	return (await app.acquireTokenByClientCredential({ scopes: [scope] }))!.accessToken;
}

type Auth = { bearer: string } | { key: string };
const chatUrl = (deployment = rig.azureOpenAI.deployments.chat) =>
	`${rig.azureOpenAI.endpoint}/openai/deployments/${deployment}/chat/completions?api-version=${rig.azureOpenAI.apiVersion}`;
const embeddingsUrl = (deployment = rig.azureOpenAI.deployments.embeddings) =>
	`${rig.azureOpenAI.endpoint}/openai/deployments/${deployment}/embeddings?api-version=${rig.azureOpenAI.apiVersion}`;

async function post(url: string, auth: Auth, body: unknown) {
	const headers: Record<string, string> = { 'content-type': 'application/json' };
	if ('bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
	else headers['api-key'] = auth.key;
	const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
	const text = await response.text();
	let json: any;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: response.status, headers: response.headers, text, json };
}

const user = (content: string) => ({ role: 'user', content });
const lookupTool = {
	type: 'function',
	function: {
		name: 'lookup',
		description: 'Looks a word up',
		parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
	},
};

describe('who may call it', () => {
	it('the API key and an app token with the OpenAI User role are accepted, and recorded by kind', async () => {
		expect((await post(chatUrl(), { key: rig.azureOpenAI.apiKey }, { messages: [user('hi')] })).status).toBe(200);
		expect((await post(chatUrl(), { bearer: appToken }, { messages: [user('hi')] })).status).toBe(200);

		const { requests } = await rig.azureOpenAIStats();
		expect(requests.map((r) => r.auth)).toEqual(['key', 'bearer']);
		expect(requests[1]).toMatchObject({
			appid: rig.clients.secret.clientId,
			aud: rig.azureOpenAI.resource,
			roles: [rig.azureOpenAI.role],
			status: 200,
		});
		expect(requests[1].tokenSha256).toMatch(/^[0-9a-f]{16}$/);
		expect(requests[1].exp! - requests[1].iat!).toBe(3600);
		expect(JSON.stringify(requests)).not.toContain(appToken);
	});

	it('the certificate and federated clients and the managed identities hold the role; noRoles does not', async () => {
		const { clientId, thumbprintSha256, privateKeyPem } = rig.clients.certificate;
		const certificate = new ConfidentialClientApplication({
			auth: { ...authority(), clientId, clientCertificate: { thumbprintSha256, privateKey: privateKeyPem } },
		});
		const certificateToken = (await certificate.acquireTokenByClientCredential({ scopes: [rig.azureOpenAI.scope] }))!;
		expect((await post(chatUrl(), { bearer: certificateToken.accessToken }, { messages: [user('hi')] })).status).toBe(
			200,
		);

		const assertion = await rig.mintClientAssertion(rig.clients.federated.clientId);
		const federated = new ConfidentialClientApplication({
			auth: { ...authority(), clientId: rig.clients.federated.clientId, clientAssertion: assertion },
		});
		const federatedToken = (await federated.acquireTokenByClientCredential({ scopes: [rig.azureOpenAI.scope] }))!;
		expect((await post(chatUrl(), { bearer: federatedToken.accessToken }, { messages: [user('hi')] })).status).toBe(
			200,
		);

		for (const [name, query, expected] of [
			['system', '', 200],
			['user', `&client_id=${rig.managedIdentity.identities.user.clientId}`, 200],
			['noAccess', `&client_id=${rig.managedIdentity.identities.noAccess.clientId}`, 401],
		] as const) {
			const response = await fetch(
				`${rig.managedIdentity.imds.authorityHost}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(rig.azureOpenAI.resource)}${query}`,
				{ headers: { metadata: 'true' } },
			);
			const { access_token } = (await response.json()) as { access_token: string };
			const answer = await post(embeddingsUrl(), { bearer: access_token }, { input: 'x' });
			expect([name, answer.status]).toEqual([name, expected]);
		}

		const noRoles = await clientCredentialToken(rig.clients.noRoles.clientId, rig.clients.noRoles.clientSecret);
		const refused = await post(chatUrl(), { bearer: noRoles }, { messages: [user('hi')] });
		expect(refused.status).toBe(401);
		expect(refused.json.error).toEqual({
			code: 'PermissionDenied',
			message:
				'The principal `56666666-6666-4666-8666-666666666666` lacks the required data action `Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action` to perform `POST /openai/deployments/{deployment-id}/chat/completions` operation.',
		});
	});

	it('a token of another API, a wrong key, and no credential are refused with Azure’s bodies', async () => {
		const apiToken = await clientCredentialToken(
			rig.clients.secret.clientId,
			rig.clients.secret.clientSecret,
			rig.api.scope,
		);
		const wrongAudience = await post(chatUrl(), { bearer: apiToken }, { messages: [user('hi')] });
		expect(wrongAudience.status).toBe(401);
		expect(wrongAudience.json.message).toContain('audience is incorrect (https://cognitiveservices.azure.com)');

		const wrongKey = await post(chatUrl(), { key: 'not-the-key' }, { messages: [user('hi')] });
		expect(wrongKey.status).toBe(401);
		expect(wrongKey.json.error.message).toContain('invalid subscription key');

		const none = await fetch(chatUrl(), { method: 'POST', body: '{}' });
		expect(none.status).toBe(401);

		const { requests } = await rig.azureOpenAIStats();
		expect(requests[0].reason).toContain('aud');
		expect(requests.map((r) => r.auth)).toEqual(['bearer', 'key', 'none']);
	});

	it('a delegated device-code token with user_impersonation is accepted', async () => {
		const app = new PublicClientApplication({ auth: { ...authority(), clientId: rig.clients.public.clientId } });
		const alice = rig.users[0];
		const result = (await app.acquireTokenByDeviceCode({
			scopes: [rig.azureOpenAI.delegatedScope],
			deviceCodeCallback: (response) => void rig.approveDeviceCode(response.userCode, alice.username),
		}))!;
		const answer = await post(chatUrl(), { bearer: result.accessToken }, { messages: [user('hi')] });
		expect(answer.status).toBe(200);
		expect((await rig.azureOpenAIStats()).requests[0]).toMatchObject({ oid: alice.oid, scp: 'user_impersonation' });
	});

	it('the v1 API takes the deployment from `model`, and the key as a bearer', async () => {
		const answer = await post(
			`${rig.azureOpenAI.v1BaseUrl}/chat/completions`,
			{ bearer: rig.azureOpenAI.apiKey },
			{ model: 'gpt-4.1', messages: [user('v1 please')] },
		);
		expect(answer.status).toBe(200);
		expect(answer.json.model).toBe('gpt-4.1-2025-04-14');
		expect((await rig.azureOpenAIStats()).requests[0]).toMatchObject({ api: 'v1', deployment: 'gpt-4.1', auth: 'key' });
	});

	it('by resource name: https://rig.openai.azure.com through a CONNECT proxy that routes the name to the rig', async () => {
		const proxy = await startConnectProxy({ routes: routesToAzureOpenAI(rig) });
		const dispatcher = new ProxyAgent({ uri: proxy.url, requestTls: { ca: rig.caPem } });
		try {
			const { endpoint, host } = rig.azureOpenAI.microsoftHost;
			const response = await undiciFetch(
				`${endpoint}/openai/deployments/${rig.azureOpenAI.deployments.chat}/chat/completions?api-version=${rig.azureOpenAI.apiVersion}`,
				{
					method: 'POST',
					headers: { 'api-key': rig.azureOpenAI.apiKey, 'content-type': 'application/json' },
					body: JSON.stringify({ messages: [user('by name')] }),
					dispatcher,
				},
			);
			expect(response.status).toBe(200);
			expect(((await response.json()) as any).choices[0].message.content).toBe('echo: by name');
			expect(proxy.tunnels()).toEqual({ [`${host}:443`]: 1 });
		} finally {
			await dispatcher.close();
			await proxy.close();
		}
	});

	it('behind a gateway path: the routes answer under gatewayEndpoint, not under another prefix', async () => {
		const key = { key: rig.azureOpenAI.apiKey };
		const path = `/openai/deployments/${rig.azureOpenAI.deployments.chat}/chat/completions?api-version=${rig.azureOpenAI.apiVersion}`;
		expect((await post(`${rig.azureOpenAI.gatewayEndpoint}${path}`, key, { messages: [user('hi')] })).status).toBe(200);
		expect((await post(`${rig.azureOpenAI.endpoint}/other${path}`, key, { messages: [user('hi')] })).status).toBe(404);
		const v1 = await post(`${rig.azureOpenAI.gatewayEndpoint}/openai/v1/embeddings`, key, {
			model: rig.azureOpenAI.deployments.embeddings,
			input: 'x',
		});
		expect(v1.status).toBe(200);
		expect((await rig.azureOpenAIStats()).requests.map((r) => r.gateway)).toEqual([true, true]);
	});

	it('unknown deployment, wrong operation and a missing api-version get Azure’s errors', async () => {
		const key = { key: rig.azureOpenAI.apiKey };
		const unknown = await post(chatUrl('gpt-9'), key, { messages: [user('hi')] });
		expect([unknown.status, unknown.json.error.code]).toEqual([404, 'DeploymentNotFound']);
		const wrongKind = await post(chatUrl(rig.azureOpenAI.deployments.embeddings), key, { messages: [user('hi')] });
		expect([wrongKind.status, wrongKind.json.error.code]).toEqual([400, 'OperationNotSupported']);
		const noVersion = await post(chatUrl().replace(/\?.*$/, ''), key, { messages: [user('hi')] });
		expect([noVersion.status, noVersion.json]).toEqual([
			404,
			{ error: { code: '404', message: 'Resource not found' } },
		]);
	});
});

describe('chat completions', () => {
	const key = () => ({ key: rig.azureOpenAI.apiKey });

	it('echoes the last user message, reports usage, honours max_tokens and json_object', async () => {
		const plain = await post(chatUrl(), key(), {
			messages: [{ role: 'system', content: 'be brief' }, user('hello world')],
		});
		expect(plain.json.choices[0]).toMatchObject({
			message: { role: 'assistant', content: 'echo: hello world' },
			finish_reason: 'stop',
		});
		expect(plain.json.usage).toEqual({ prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 });

		const cut = await post(chatUrl(), key(), { messages: [user('one two three four five')], max_tokens: 3 });
		expect(cut.json.choices[0]).toMatchObject({ message: { content: 'echo: one' }, finish_reason: 'length' });
		expect(cut.json.usage.completion_tokens).toBe(3);

		const json = await post(chatUrl(), key(), {
			messages: [user('as json')],
			response_format: { type: 'json_object' },
			temperature: 0.2,
		});
		expect(JSON.parse(json.json.choices[0].message.content)).toEqual({ echo: 'echo: as json' });
		const { requests } = await rig.azureOpenAIStats();
		expect(requests[2].options).toMatchObject({ temperature: 0.2, response_format: { type: 'json_object' } });
	});

	it('calls the tool as often as asked, then quotes its last result: 5 model turns', async () => {
		const messages: any[] = [user('What does "zebra" mean? Call the tool 4 times.')];
		for (let turn = 1; turn <= 4; turn += 1) {
			const answer = await post(chatUrl(), key(), { messages, tools: [lookupTool] });
			const choice = answer.json.choices[0];
			expect(choice.finish_reason).toBe('tool_calls');
			const [call] = choice.message.tool_calls;
			expect(call.function).toEqual({ name: 'lookup', arguments: '{"query":"zebra"}' });
			messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: `result ${turn}` });
		}
		const final = await post(chatUrl(), key(), { messages, tools: [lookupTool] });
		expect(final.json.choices[0]).toMatchObject({
			finish_reason: 'stop',
			message: { content: 'After 4 tool call(s): Tool lookup answered: result 4' },
		});
		const stats = await rig.azureOpenAIStats();
		expect(stats.answered.chat).toBe(5);
		expect(stats.requests.map((r) => r.finishReason)).toEqual([
			'tool_calls',
			'tool_calls',
			'tool_calls',
			'tool_calls',
			'stop',
		]);
	});

	it('calls the tool the user message names, or the one tool_choice forces', async () => {
		const weather = {
			type: 'function',
			function: {
				name: 'weather',
				parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } },
			},
		};
		const named = await post(chatUrl(), key(), {
			messages: [user('Ask weather about "Oslo"')],
			tools: [lookupTool, weather],
		});
		expect(named.json.choices[0].message.tool_calls[0].function).toEqual({
			name: 'weather',
			arguments: '{"city":"Oslo","days":1}',
		});
		const forced = await post(chatUrl(), key(), {
			messages: [user('Ask weather about "Oslo"')],
			tools: [lookupTool, weather],
			tool_choice: { type: 'function', function: { name: 'lookup' } },
		});
		expect(forced.json.choices[0].message.tool_calls[0].function.name).toBe('lookup');
	});

	it('streams SSE chunks ending in [DONE], with the usage chunk when asked for', async () => {
		const answer = await post(chatUrl(), key(), {
			messages: [user('stream this please')],
			stream: true,
			stream_options: { include_usage: true },
		});
		expect(answer.headers.get('content-type')).toContain('text/event-stream');
		const events = answer.text
			.split('\n\n')
			.filter(Boolean)
			.map((e) => e.replace(/^data: /, ''));
		expect(events[events.length - 1]).toBe('[DONE]');
		const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
		const content = chunks.flatMap((c) => c.choices.map((ch: any) => ch.delta.content ?? '')).join('');
		expect(content).toBe('echo: stream this please');
		expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('stop');
		expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { completion_tokens: 5 } });

		const streamedTool = await post(chatUrl(), key(), { messages: [user('"x"')], tools: [lookupTool], stream: true });
		const toolChunks = streamedTool.text
			.split('\n\n')
			.filter((e) => e.startsWith('data: {'))
			.map((e) => JSON.parse(e.slice(6)));
		const args = toolChunks
			.flatMap((c) => c.choices.flatMap((ch: any) => ch.delta.tool_calls ?? []))
			.map((t: any) => t.function.arguments)
			.join('');
		expect(args).toBe('{"query":"x"}');
		expect(toolChunks.some((c) => 'usage' in c && c.usage)).toBe(false);
	});
});

describe('embeddings', () => {
	const key = () => ({ key: rig.azureOpenAI.apiKey });
	const cosine = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * b[i], 0);

	it('deterministic unit vectors: similar texts are near; dimensions and base64 honoured', async () => {
		const texts = ['the cat sat on the mat', 'the cats sat on a mat', 'quarterly revenue grew'];
		const answer = await post(embeddingsUrl(), key(), { input: texts });
		const vectors: number[][] = answer.json.data.map((d: any) => d.embedding);
		expect(vectors.map((v) => v.length)).toEqual([1536, 1536, 1536]);
		expect(cosine(vectors[0], vectors[0])).toBeCloseTo(1, 4);
		expect(cosine(vectors[0], vectors[1])).toBeGreaterThan(0.7);
		expect(Math.abs(cosine(vectors[0], vectors[2]))).toBeLessThan(0.3);
		expect(answer.json.usage.prompt_tokens).toBe(15);

		const again = await post(embeddingsUrl(), key(), { input: texts[0], dimensions: 8, encoding_format: 'base64' });
		const bytes = Buffer.from(again.json.data[0].embedding, 'base64');
		const small = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
		expect(small).toHaveLength(8);
		expect(cosine(small, small)).toBeCloseTo(1, 4);
		expect((await rig.azureOpenAIStats()).requests[1]).toMatchObject({ inputs: 1, dimensions: 8 });

		const ada = await post(embeddingsUrl('text-embedding-ada-002'), key(), { input: 'x', dimensions: 8 });
		expect([ada.status, ada.json.error.param]).toEqual([400, 'dimensions']);
	});
});

describe('faults', () => {
	it('throttle: the next N requests get 429 with Retry-After and retry-after-ms, then it answers', async () => {
		await rig.injectAzureOpenAIFault({
			kind: 'throttle',
			times: 2,
			retryAfterSeconds: 3,
			retryAfterMs: 50,
			route: 'chat',
		});
		const key = { key: rig.azureOpenAI.apiKey };
		expect((await post(embeddingsUrl(), key, { input: 'not throttled' })).status).toBe(200);
		const first = await post(chatUrl(), key, { messages: [user('a')] });
		expect(first.status).toBe(429);
		expect([first.headers.get('retry-after'), first.headers.get('retry-after-ms')]).toEqual(['3', '50']);
		expect(first.json.error.message).toContain('Please retry after 3 seconds');
		expect((await post(chatUrl(), key, { messages: [user('a')] })).status).toBe(429);
		expect((await post(chatUrl(), key, { messages: [user('a')] })).status).toBe(200);
		expect((await rig.azureOpenAIStats()).byStatus).toEqual({ '200': 2, '429': 2 });
	});

	it('claims challenge: answered with a token requested with those claims (MSAL), once', async () => {
		const app = new ConfidentialClientApplication({
			auth: { ...authority(), clientId: rig.clients.secret.clientId, clientSecret: rig.clients.secret.clientSecret },
		});
		const first = (await app.acquireTokenByClientCredential({ scopes: [rig.azureOpenAI.scope] }))!;
		await rig.injectAzureOpenAIFault({ kind: 'claimsChallenge' });
		expect(
			(await post(chatUrl(), { key: rig.azureOpenAI.apiKey }, { messages: [user('keys are not challenged')] })).status,
		).toBe(200);
		const challenged = await post(chatUrl(), { bearer: first.accessToken }, { messages: [user('a')] });
		expect(challenged.status).toBe(401);
		const header = challenged.headers.get('www-authenticate')!;
		expect(header).toContain('error="insufficient_claims"');
		const claims = Buffer.from(/claims="([^"]+)"/.exec(header)![1], 'base64').toString('utf8');

		const second = (await app.acquireTokenByClientCredential({ scopes: [rig.azureOpenAI.scope], claims }))!;
		expect(second.fromCache).toBe(false);
		expect((await post(chatUrl(), { bearer: second.accessToken }, { messages: [user('a')] })).status).toBe(200);
		const { requests, distinctTokens } = await rig.azureOpenAIStats();
		expect(requests.map((r) => [r.status, r.fault, r.claimsSatisfied])).toEqual([
			[200, undefined, undefined],
			[401, 'claimsChallenge', undefined],
			[200, undefined, true],
		]);
		expect(distinctTokens).toBe(2);
		const tokenRequests = (await rig.stats()).tokenRequests;
		expect(tokenRequests[tokenRequests.length - 1].claims).toContain('nbf');
	});

	it('fresh claims challenge: a token with the previous claims is challenged again', async () => {
		await rig.injectAzureOpenAIFault({ kind: 'claimsChallenge', fresh: true, times: 2 });
		const app = new ConfidentialClientApplication({
			auth: { ...authority(), clientId: rig.clients.secret.clientId, clientSecret: rig.clients.secret.clientSecret },
		});
		const challenged = await post(chatUrl(), { bearer: appToken }, { messages: [user('a')] });
		const claims = Buffer.from(
			/claims="([^"]+)"/.exec(challenged.headers.get('www-authenticate')!)![1],
			'base64',
		).toString();
		const answered = (await app.acquireTokenByClientCredential({ scopes: [rig.azureOpenAI.scope], claims }))!;
		expect((await post(chatUrl(), { bearer: answered.accessToken }, { messages: [user('a')] })).status).toBe(401);
	});

	it('token lifetimes for renewal tests: the next tokens get scheduled lifetimes, then the setting', async () => {
		await rig.setNextAccessTokenLifetimes([301]);
		const app = new ConfidentialClientApplication({
			auth: { ...authority(), clientId: rig.clients.secret.clientId, clientSecret: rig.clients.secret.clientSecret },
		});
		const lifetime = async () => {
			const { accessToken } = (await app.acquireTokenByClientCredential({
				scopes: [rig.azureOpenAI.scope],
				skipCache: true,
			}))!;
			const claims = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString());
			return claims.exp - claims.iat;
		};
		expect([await lifetime(), await lifetime()]).toEqual([301, 3600]);

		await rig.managedIdentitySettings({ nextAccessTokenLifetimes: [301] });
		try {
			const imds = async () => {
				const response = await fetch(
					`${rig.managedIdentity.imds.authorityHost}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(rig.azureOpenAI.resource)}`,
					{ headers: { metadata: 'true' } },
				);
				return Number(((await response.json()) as { expires_in: string }).expires_in);
			};
			expect([await imds(), await imds()]).toEqual([301, 3600]);
		} finally {
			await rig.resetManagedIdentity();
		}
	});

	it('an injected error, for the next request only', async () => {
		await rig.injectAzureOpenAIFault({ kind: 'error', status: 503, code: 'ServiceUnavailable', message: 'busy' });
		const key = { key: rig.azureOpenAI.apiKey };
		const failed = await post(embeddingsUrl(), key, { input: 'x' });
		expect([failed.status, failed.json]).toEqual([503, { error: { code: 'ServiceUnavailable', message: 'busy' } }]);
		expect((await post(embeddingsUrl(), key, { input: 'x' })).status).toBe(200);
	});
});
