/**
 * n8n as an Entra-protected API, in a real `n8n start`: a client gets a person's token for the
 * n8n API and calls the production webhook; the Entra ID Protected Webhook Trigger validates it,
 * Acquire Token gets a downstream token On Behalf Of that person, n8n's HTTP Request node calls
 * the protected API with it, and the webhook answers with what the API saw. A forged or expired
 * token gets a 401 and nothing runs; with the trigger's defaults, a token without any permission,
 * an ID token, or a token of an app outside Allowed Client Apps is refused too.
 * The server runs with HTTPS_PROXY: the trigger's discovery and key-set requests go through it.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { validateHeaderValue } from 'node:http';
import { startConnectProxy, type ConnectProxy } from '../rig/connect-proxy';
import { secretClientCredentialData } from '../rig/credentialData';
import { createN8n, freePort, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { appToken, idTokenForApi, userToken } from '../rig/userToken';
import { packagedBuild } from './support/packagedBuild';
import {
	acquireToken,
	callApi,
	chain,
	graph,
	httpWithTokenFromInput,
	MSAL_PACKAGE,
	webhook,
	type WorkflowNode,
} from './support/workflows';

function forge(token: string): string {
	const [header, payload] = token.split('.');
	const body = `${header}.${payload}`;
	const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
	return `${body}.${sign('sha256', Buffer.from(body), privateKey).toString('base64url')}`;
}

/**
 * n8n's own Webhook (Respond: Using 'Respond to Webhook' Node) → Validate Token → Get Token On
 * Behalf Of → the downstream API → Respond to Webhook. Both MSAL nodes send failures to their
 * error output, where a second Respond to Webhook answers with the status and WWW-Authenticate
 * their details carry: how a refused token or an On Behalf Of challenge reaches the caller.
 */
function validateThenAnswer(
	credential: { id: string; name: string },
	downstream: { scope: string; url: string },
	validator: Validator,
): object {
	const respond = (name: string, options: Record<string, unknown>, body: string): WorkflowNode => ({
		name,
		type: 'n8n-nodes-base.respondToWebhook',
		typeVersion: 1.1,
		parameters: { respondWith: 'json', responseBody: body, options },
	});
	const validation = { requiredScopes: 'access_as_user', validationOptions: { includeToken: true } };
	const validate: WorkflowNode =
		validator.node === 'acquireTokenV1'
			? acquireToken(credential, { operation: 'validateToken', ...validation }, 'Validate Token')
			: {
					name: 'Validate Token',
					type: `${MSAL_PACKAGE}.msalValidateToken`,
					typeVersion: 1,
					parameters: validation,
					credentials: { msalClientCredentialsApi: credential },
				};
	return graph(
		`validate-then-answer-${validator.node}`,
		[
			webhook(validator.path, 'responseNode'),
			{ ...validate, onError: 'continueErrorOutput' },
			{
				...acquireToken(
					credential,
					{ tokenFor: 'onBehalfOf', userAssertion: '={{ $json.token }}', scopes: downstream.scope },
					'On Behalf Of',
				),
				typeVersion: validator.node === 'acquireTokenV1' ? 1 : 2,
				onError: 'continueErrorOutput',
			},
			httpWithTokenFromInput(downstream.url, 'Downstream API'),
			respond('Answer', {}, '={{ JSON.stringify($json) }}'),
			respond(
				'Refuse',
				{
					responseCode: '={{ $json.details.statusCode }}',
					responseHeaders: { entries: [{ name: 'WWW-Authenticate', value: '={{ $json.details.wwwAuthenticate }}' }] },
				},
				'={{ JSON.stringify({ error: $json.error }) }}',
			),
		],
		[
			['Webhook', 'Validate Token'],
			['Validate Token', 'On Behalf Of'],
			['Validate Token', 'Refuse', 1],
			['On Behalf Of', 'Downstream API'],
			['On Behalf Of', 'Refuse', 1],
			['Downstream API', 'Answer'],
		],
	);
}

/**
 * Where a workflow validates a caller's token mid-workflow: Acquire Token v1's Validate Token
 * operation (saved workflows from before v2), and the Token Validation node (new workflows).
 */
interface Validator {
	node: 'acquireTokenV1' | 'tokenValidationNode';
	path: string;
}
const VALIDATORS: Validator[] = [
	{ node: 'acquireTokenV1', path: 'orders-validate' },
	{ node: 'tokenValidationNode', path: 'orders-validate-node' },
];

describe('Entra ID protected webhook with On Behalf Of, in real n8n', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	let proxy: ConnectProxy;
	let webhookUrl: string;
	let alice: string;

	const call = (token?: string) =>
		fetch(webhookUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
			body: JSON.stringify({ order: 42 }),
		});
	const executionCount = async () => (await n8n.executions()).length;

	beforeAll(async () => {
		rig = await startRig();
		proxy = await startConnectProxy();
		n8n = await createN8n({ packageTarball: packagedBuild(), env: { ...rig.childEnv(), HTTPS_PROXY: proxy.url } });
		const port = await freePort();
		webhookUrl = `http://127.0.0.1:${port}/webhook/orders`;
		const [credentialId] = await n8n.importCredentials([
			{ name: 'n8n API', type: 'msalClientCredentialsApi', data: secretClientCredentialData(rig) },
		]);
		const credential = { id: credentialId, name: 'n8n API' };
		const trigger: WorkflowNode & { webhookId: string } = {
			name: 'Protected Webhook',
			type: `${MSAL_PACKAGE}.msalProtectedWebhook`,
			typeVersion: 1,
			webhookId: randomUUID(),
			parameters: {
				httpMethod: 'POST',
				path: 'orders',
				responseMode: 'lastNode',
				requiredScopes: 'access_as_user',
				options: { includeToken: true, clockSkewSeconds: 0 },
			},
			credentials: { msalClientCredentialsApi: credential },
		};
		const workflow = chain('protected', [
			trigger,
			acquireToken(credential, {
				tokenFor: 'onBehalfOf',
				userAssertion: '={{ $json.token }}',
				scopes: rig.api.delegatedScopes[0],
			}),
			httpWithTokenFromInput(`${rig.api.baseUrl}/me`, 'Downstream API'),
		]);
		const secondTrigger: WorkflowNode & { webhookId: string } = {
			...trigger,
			webhookId: randomUUID(),
			parameters: { ...trigger.parameters, path: 'orders-call-api' },
		};
		const withCallApi = chain('protected-call-api', [
			secondTrigger,
			callApi(credential, {
				tokenFor: 'onBehalfOf',
				userAssertion: '={{ $json.token }}',
				scopes: rig.api.delegatedScopes[0],
				url: `${rig.api.baseUrl}/me`,
			}),
		]);
		// The trigger with its defaults (no Required Scopes or App Roles), and with Allowed Client Apps.
		const defaultsTrigger: WorkflowNode & { webhookId: string } = {
			...trigger,
			webhookId: randomUUID(),
			parameters: { httpMethod: 'POST', path: 'orders-defaults', responseMode: 'lastNode' },
		};
		const allowedAppsTrigger: WorkflowNode & { webhookId: string } = {
			...trigger,
			webhookId: randomUUID(),
			parameters: {
				httpMethod: 'POST',
				path: 'orders-allowed-apps',
				responseMode: 'lastNode',
				options: { allowedClientApps: rig.clients.secret.clientId },
			},
		};
		const workflowIds = await n8n.importWorkflows([
			workflow,
			withCallApi,
			...VALIDATORS.map((validator) =>
				validateThenAnswer(credential, { scope: rig.api.delegatedScopes[0], url: `${rig.api.baseUrl}/me` }, validator),
			),
			chain('protected-defaults', [defaultsTrigger]),
			chain('protected-allowed-apps', [allowedAppsTrigger]),
		]);
		await n8n.startServer({ port });
		for (const id of workflowIds) await n8n.publishWorkflow(id);
		alice = await userToken(rig, rig.n8nApi.scope);
		// n8n activates published workflows after it reports ready: wait until every path answers.
		for (const url of [
			webhookUrl,
			...['orders-call-api', ...VALIDATORS.map((v) => v.path), 'orders-defaults', 'orders-allowed-apps'].map((p) =>
				webhookUrl.replace(/orders$/, p),
			),
		]) {
			const deadline = Date.now() + 60_000;
			while ((await fetch(url, { method: 'POST' })).status === 404 && Date.now() < deadline)
				await new Promise((done) => setTimeout(done, 250));
		}
	});

	afterAll(async () => {
		await rig?.setAccessTokenTtl(3600);
		await n8n?.dispose();
		await proxy?.close();
		await rig?.stop();
	});

	const post = (path: string, token?: string, raw?: string) =>
		fetch(webhookUrl.replace(/orders$/, path), {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				...(raw ? { authorization: raw } : token ? { authorization: `Bearer ${token}` } : {}),
			},
			body: '{}',
		});

	// First: nothing of this process has fetched the authority's keys yet.
	it("HTTPS_PROXY: the trigger's discovery and key-set requests go through the proxy", async () => {
		await rig.reset();
		proxy.reset();
		const response = await call(forge(alice));
		expect(response.status).toBe(401);
		expect((await rig.stats()).requests).toMatchObject({ discovery: 1, jwks: 1, token: 0 });
		expect(proxy.tunnels()[new URL(rig.authorityHost).host]).toBeGreaterThanOrEqual(1);
	});

	it('validates the caller, calls the downstream API as that person, and answers with what it saw', async () => {
		await rig.reset();
		await rig.resetApi();
		const response = await call(alice);
		const text = await response.text();
		expect({ status: response.status, text }).toMatchObject({ status: 200 });
		const seen = JSON.parse(text);
		expect(seen).toMatchObject({
			sub: rig.users[0].oid,
			oid: rig.users[0].oid,
			aud: rig.api.resource,
			azp: rig.n8nApi.clientId,
			preferred_username: rig.users[0].username,
		});
		const stats = await rig.stats();
		expect(stats.tokenRequests.map((r) => r.grant)).toEqual(['urn:ietf:params:oauth:grant-type:jwt-bearer']);
	});

	it('a second call with the same caller token makes 0 token requests', async () => {
		await rig.reset();
		const response = await call(alice);
		expect(response.status).toBe(200);
		expect(((await response.json()) as { oid: string }).oid).toBe(rig.users[0].oid);
		const stats = await rig.stats();
		expect(stats.tokenRequests).toHaveLength(0);
		expect(stats.requests.jwks ?? 0).toBe(0);
		expect(stats.requests.discovery ?? 0).toBe(0);
	});

	it('Call API On Behalf Of: the downstream API sees the caller, and the token is reused', async () => {
		await rig.reset();
		const send = () =>
			fetch(webhookUrl.replace(/orders$/, 'orders-call-api'), {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` },
				body: '{}',
			});
		const first = await send();
		expect(first.status).toBe(200);
		expect(await first.json()).toMatchObject({ oid: rig.users[0].oid, azp: rig.n8nApi.clientId });
		// The Acquire Token workflow above already exchanged this caller token: same process, same cache.
		expect((await rig.stats()).tokenRequests).toHaveLength(0);
		expect((await send()).status).toBe(200);
		expect((await rig.stats()).tokenRequests).toHaveLength(0);
	});

	it('a forged, expired or missing token gets a 401 with WWW-Authenticate, and nothing runs', async () => {
		await rig.setAccessTokenTtl(1);
		const shortLived = await userToken(rig, rig.n8nApi.scope);
		await rig.setAccessTokenTtl(3600);
		await new Promise((done) => setTimeout(done, 2100));
		const before = await executionCount();
		await rig.reset();
		await rig.resetApi();

		for (const [token, reason] of [
			[forge(alice), /signature is invalid/],
			[shortLived, /expired/],
			[undefined, undefined],
		] as const) {
			const response = await call(token);
			expect(response.status).toBe(401);
			const challenge = response.headers.get('www-authenticate') ?? '';
			if (reason) {
				expect(challenge).toMatch(/^Bearer error="invalid_token"/);
				expect(challenge).toMatch(reason);
			} else expect(challenge).toBe('Bearer');
		}
		expect(await executionCount()).toBe(before);
		expect(await rig.apiRequests()).toHaveLength(0);
		expect((await rig.stats()).tokenRequests).toHaveLength(0);
		const logs = n8n.logs();
		expect(logs).toContain('Entra ID protected webhook refused a request (401 invalid_token)');
		expect(logs).not.toContain(shortLived.split('.')[2]);
	});

	it('a token for another API gets a 401, an app token without the scope a 403 insufficient_scope', async () => {
		const forDownstream = await userToken(rig, rig.api.delegatedScopes[0]);
		const wrongAudience = await call(forDownstream);
		expect(wrongAudience.status).toBe(401);
		expect(wrongAudience.headers.get('www-authenticate')).toContain('audience');
		const app = await call(await appToken(rig, rig.n8nApi.resource));
		expect(app.status).toBe(403);
		expect(app.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
	});

	describe("the trigger's defaults: an access token with a permission, of an allowed app", () => {
		it("a person's token with a scope starts the workflow (nothing required: some permission is enough)", async () => {
			const before = await executionCount();
			const response = await post('orders-defaults', alice);
			expect(response.status).toBe(200);
			expect(await response.json()).toMatchObject({ caller: { oid: rig.users[0].oid, callerType: 'user' } });
			expect(await executionCount()).toBe(before + 1);
		});

		it("an app-only token without roles, an ID token for the API's client ID: refused, nothing runs", async () => {
			const noRoles = await appToken(rig, rig.n8nApi.resource, rig.clients.noRoles);
			const idToken = await idTokenForApi(rig, { nonce: 'n-e2e' });
			const before = await executionCount();
			const app = await post('orders-defaults', noRoles);
			expect(app.status).toBe(403);
			expect(app.headers.get('www-authenticate')).toMatch(
				/^Bearer error="insufficient_scope", error_description="The token carries no permission/,
			);
			const id = await post('orders-defaults', idToken);
			expect(id.status).toBe(401);
			expect(id.headers.get('www-authenticate')).toMatch(
				/^Bearer error="invalid_token", error_description="The token is an ID token/,
			);
			expect(await executionCount()).toBe(before);
		});

		it('Allowed Client Apps: a token of another app gets a 403 and nothing runs; a listed app starts it', async () => {
			const before = await executionCount();
			const person = await post('orders-allowed-apps', alice);
			expect(person.status).toBe(403);
			expect(person.headers.get('www-authenticate')).toBe(
				`Bearer error="insufficient_scope", error_description="The client app ${rig.clients.public.clientId} is not among the Allowed Client Apps of this API."`,
			);
			expect(await executionCount()).toBe(before);
			const app = await post('orders-allowed-apps', await appToken(rig, rig.n8nApi.resource));
			expect(app.status).toBe(200);
			expect(await executionCount()).toBe(before + 1);
		});

		it('CR/LF in the unverified alg or kid: a 401 (not a 500) with a valid header, and no forged log line', async () => {
			const [, payload, signature] = alice.split('.');
			const INJECTED = 'x\r\n2026-01-01T00:00:00.000Z | error | forged-log-line-7f3a';
			const before = await executionCount();
			for (const header of [{ alg: `RS256${INJECTED}` }, { alg: 'RS256', kid: INJECTED }]) {
				const token = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${signature}`;
				const response = await post('orders-defaults', token);
				expect(response.status).toBe(401);
				const challenge = response.headers.get('www-authenticate') ?? '';
				expect(challenge).toMatch(/^Bearer error="invalid_token"/);
				expect(() => validateHeaderValue('WWW-Authenticate', challenge)).not.toThrow();
				expect(challenge).not.toContain('forged-log-line');
			}
			expect(await executionCount()).toBe(before);
			expect(n8n.logs()).not.toContain('forged-log-line-7f3a');
		});
	});

	describe.each(VALIDATORS)("Validate Token ($node) with n8n's Webhook and Respond to Webhook", ({ path }) => {
		const send = (token?: string) =>
			fetch(webhookUrl.replace(/orders$/, path), {
				method: 'POST',
				headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
				body: '{}',
			});

		it('a valid caller token: the downstream API sees the caller, the answer is 200', async () => {
			const caller = await userToken(rig, rig.n8nApi.scope);
			await rig.reset();
			await rig.resetApi();
			const response = await send(caller);
			expect(response.status).toBe(200);
			expect(await response.json()).toMatchObject({ oid: rig.users[0].oid, azp: rig.n8nApi.clientId });
			expect((await rig.apiRequests()).length).toBe(1);
			expect((await rig.stats()).tokenRequests.map((r) => r.grant)).toEqual([
				'urn:ietf:params:oauth:grant-type:jwt-bearer',
			]);
		});

		it('a forged or missing token: 401 with WWW-Authenticate from the error output, nothing sent on', async () => {
			await rig.reset();
			await rig.resetApi();
			const forged = await send(forge(alice));
			expect(forged.status).toBe(401);
			expect(forged.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token".*signature is invalid/);
			expect(JSON.stringify(await forged.json())).not.toContain(alice.split('.')[2]);
			const missing = await send();
			expect(missing.status).toBe(401);
			expect(missing.headers.get('www-authenticate')).toBe('Bearer');
			expect(await rig.apiRequests()).toHaveLength(0);
			expect((await rig.stats()).tokenRequests).toHaveLength(0);
		});

		it('an app token without the scope: 403 insufficient_scope', async () => {
			const response = await send(await appToken(rig, rig.n8nApi.resource));
			expect(response.status).toBe(403);
			expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
		});

		it('On Behalf Of needs the caller to sign in again: the caller gets the claims challenge', async () => {
			const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
			const carol = await userToken(rig, rig.n8nApi.scope, rig.users[1].username);
			await rig.resetApi();
			await rig.failNextTokenRequest({
				error: 'interaction_required',
				error_codes: [50076],
				error_description: 'AADSTS50076: you must use multi-factor authentication.',
				claims,
				suberror: 'basic_action',
			});
			const response = await send(carol);
			expect(response.status).toBe(401);
			const challenge = response.headers.get('www-authenticate') ?? '';
			expect(challenge).toContain('error="insufficient_claims"');
			expect(challenge).toContain(`claims="${Buffer.from(claims).toString('base64')}"`);
			expect(await rig.apiRequests()).toHaveLength(0);
		});
	});
});
