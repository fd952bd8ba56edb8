/**
 * The managed identity credential in a real n8n whose process has the App Service variables
 * (IDENTITY_ENDPOINT + IDENTITY_HEADER) of the rig's endpoint, as n8n on App Service or Container
 * Apps has. Tokens of a managed identity live only in the process's MSAL cache, so the counts of a
 * cold process run in a new `n8n execute` process (executeInNewProcess), and "no second request"
 * is shown within one execution (two nodes) and across webhook executions of one `n8n start`
 * (whose first managed-identity token is the webhook's).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createN8n, freePort, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from './support/packagedBuild';
import {
	acquireToken,
	callApi,
	chain,
	httpWithPredefinedCredential,
	manualTrigger,
	type WorkflowNode,
} from './support/workflows';

type Ref = { id: string; name: string };
const TYPE = 'msalManagedIdentityApi';

const withManagedIdentity = (node: WorkflowNode, credential: Ref): WorkflowNode => ({
	...node,
	parameters: { ...node.parameters, authentication: 'managedIdentity' },
	credentials: { [TYPE]: credential },
});

describe('managed identity in real n8n (App Service endpoint)', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	let webhookUrl: string;
	const cred: Record<string, Ref> = {};
	const wf: Record<string, string> = {};
	const imported: Record<string, Record<string, unknown>> = {};
	const endpointRequests = async () => await rig.managedIdentityRequests();

	beforeAll(async () => {
		rig = await startRig();
		n8n = await createN8n({
			packageTarball: packagedBuild(),
			env: {
				...rig.childEnv(),
				...rig.managedIdentity.appService.env,
				N8N_MSAL_AMBIENT_IDENTITY_ENABLED: 'true',
				// The administrator's list: the rig's API and Azure Resource Manager, not Microsoft Graph.
				N8N_MSAL_AMBIENT_IDENTITY_RESOURCES: `${rig.api.resource},https://management.azure.com`,
			},
		});
		const { noAccess } = rig.managedIdentity.identities;
		const definitions: Array<[string, Record<string, unknown>]> = [
			// The credential's own boundary allows any API: what refuses Graph below is the administrator's list.
			['system', { identityType: 'system', scopes: rig.api.scope, allowedResources: '*' }],
			[
				'graphDefault',
				{
					identityType: 'system',
					scopes: 'https://graph.microsoft.com/.default',
					// A URL-derived scope is within the credential's boundary only when allowed.
					allowedResources: 'https://management.azure.com',
				},
			],
			['noAccess', { identityType: 'userClientId', userAssignedClientId: noAccess.clientId, scopes: rig.api.scope }],
			[
				'notAttached',
				{
					identityType: 'userClientId',
					userAssignedClientId: '0badc0de-0000-4000-8000-000000000000',
					scopes: rig.api.scope,
				},
			],
		];
		const ids = await n8n.importCredentials(definitions.map(([name, data]) => ({ name, type: TYPE, data })));
		definitions.forEach(([name, data], index) => {
			cred[name] = { id: ids[index], name };
			imported[name] = data;
		});

		const me = `${rig.api.baseUrl}/me`;
		const httpNode = (url: string, credential: Ref): WorkflowNode => {
			const node = httpWithPredefinedCredential(url, credential);
			return {
				...node,
				parameters: { ...node.parameters, nodeCredentialType: TYPE },
				credentials: { [TYPE]: credential },
			};
		};
		const workflows: Array<[string, object]> = [
			[
				'twoNodes',
				chain('twoNodes', [
					manualTrigger(),
					withManagedIdentity(acquireToken(cred.system), cred.system),
					withManagedIdentity(acquireToken(cred.system, {}, 'Acquire Token Again'), cred.system),
					withManagedIdentity(callApi(cred.system, { url: me }), cred.system),
				]),
			],
			['httpNode', chain('httpNode', [manualTrigger(), httpNode(me, cred.system)])],
			[
				'httpNodeElsewhere',
				chain('httpNodeElsewhere', [
					manualTrigger(),
					httpNode(`https://localhost:${new URL(rig.api.baseUrl).port}/me`, cred.system),
				]),
			],
			[
				'callApiElsewhere',
				chain('callApiElsewhere', [
					manualTrigger(),
					withManagedIdentity(
						callApi(cred.system, { url: `https://localhost:${new URL(rig.api.baseUrl).port}/me` }),
						cred.system,
					),
				]),
			],
			[
				'urlScope',
				chain('urlScope', [
					manualTrigger(),
					withManagedIdentity(
						callApi(cred.graphDefault, {
							url: 'https://management.azure.com/subscriptions?api-version=2022-12-01',
						}),
						cred.graphDefault,
					),
				]),
			],
			[
				'outsideList',
				chain('outsideList', [
					manualTrigger(),
					{
						...withManagedIdentity(acquireToken(cred.graphDefault, {}, 'Credential Scope'), cred.graphDefault),
						continueOnFail: true,
					},
					{
						...withManagedIdentity(
							acquireToken(cred.system, { scopes: 'https://graph.microsoft.com/.default' }, 'Node Scope'),
							cred.system,
						),
						continueOnFail: true,
					},
					{
						...withManagedIdentity(
							callApi(cred.system, { url: 'https://graph.microsoft.com/v1.0/me' }, 'URL Scope'),
							cred.system,
						),
						continueOnFail: true,
					},
				]),
			],
			['httpNodeOutsideList', chain('httpNodeOutsideList', [manualTrigger(), httpNode(me, cred.graphDefault)])],
			[
				'noAccess',
				chain('noAccess', [manualTrigger(), withManagedIdentity(callApi(cred.noAccess, { url: me }), cred.noAccess)]),
			],
			[
				'notAttached',
				chain('notAttached', [manualTrigger(), withManagedIdentity(acquireToken(cred.notAttached), cred.notAttached)]),
			],
		];
		const port = await freePort();
		webhookUrl = `http://127.0.0.1:${port}/webhook/managed-identity`;
		const trigger: WorkflowNode & { webhookId: string } = {
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			webhookId: randomUUID(),
			parameters: { httpMethod: 'GET', path: 'managed-identity', responseMode: 'lastNode', options: {} },
		};
		workflows.push([
			'webhook',
			chain('webhook', [trigger, withManagedIdentity(callApi(cred.system, { url: me }), cred.system)]),
		]);
		const workflowIds = await n8n.importWorkflows(workflows.map(([, w]) => w));
		workflows.forEach(([name], index) => (wf[name] = workflowIds[index]));
		await n8n.startServer({ port });
		// Activated through the running server, which registers the webhook before it answers.
		await n8n.publishWorkflow(wf.webhook);
	});

	afterAll(async () => {
		await n8n?.dispose();
		await rig?.stop();
	});

	it('Acquire Token and Call API: one endpoint request per execution, the second node uses MSAL’s cache', async () => {
		await rig.resetManagedIdentity();
		await rig.resetApi();
		const run = await n8n.executeInNewProcess(wf.twoNodes);
		expect(run.status).toBe('success');
		const [first] = run.nodeOutput('Acquire Token');
		expect(first.json).toMatchObject({ fromCache: false, scopes: [rig.api.scope], tenantId: rig.tenantId });
		expect(run.nodeOutput('Acquire Token Again')[0].json).toMatchObject({
			fromCache: true,
			accessToken: first.json.accessToken,
		});
		expect(run.nodeOutput('Call API')[0].json).toMatchObject({ appid: rig.managedIdentity.identities.system.clientId });
		const sent = await endpointRequests();
		expect(sent).toHaveLength(1);
		expect(sent[0]).toMatchObject({ source: 'appService', status: 200, query: { 'api-version': '2019-08-01' } });
	});

	it('webhook executions of one n8n process: the second makes no endpoint request', async () => {
		await rig.resetManagedIdentity();
		await rig.resetApi();
		const first = await fetch(webhookUrl);
		expect(first.status).toBe(200);
		expect(await first.json()).toMatchObject({ appid: rig.managedIdentity.identities.system.clientId });
		expect(await endpointRequests()).toHaveLength(1);
		const second = await fetch(webhookUrl);
		expect(second.status).toBe(200);
		expect(await endpointRequests()).toHaveLength(1);
		const api = await rig.apiRequests();
		expect(api).toHaveLength(2);
		expect(api.every((request) => (request.headers.authorization as { valid?: boolean }).valid)).toBe(true);
	});

	it("n8n's HTTP Request node authenticates with the credential", async () => {
		await rig.resetManagedIdentity();
		await rig.resetApi();
		const run = await n8n.executeInNewProcess(wf.httpNode);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('HTTP Request')[0].json).toMatchObject({
			appid: rig.managedIdentity.identities.system.clientId,
		});
		expect(await endpointRequests()).toHaveLength(1);
	});

	it('the token guard refuses another host, in the HTTP Request node and in Call API', async () => {
		await rig.resetApi();
		const http = await n8n.execute(wf.httpNodeElsewhere);
		expect(http.status).toBe('error');
		expect(JSON.stringify(http.nodeError('HTTP Request'))).toMatch(/Refused to send the access token/);
		const call = await n8n.execute(wf.callApiElsewhere);
		expect(call.status).toBe('error');
		expect(call.nodeError('Call API')?.message).toMatch(/Refused to send the access token/);
		expect(await rig.apiRequests()).toHaveLength(0);
	});

	it("Call API derives the scope from a known API's URL", async () => {
		await rig.resetManagedIdentity();
		const run = await n8n.execute(wf.urlScope);
		// The rig's endpoint knows only the rig's API: it refuses ARM, and nothing leaves for Azure.
		expect(run.status).toBe('error');
		const [sent] = await endpointRequests();
		expect(sent.query.resource).toMatch(/^https:\/\/management\.azure\.com\/?$/);
		expect(run.nodeError('Call API')?.description).toMatch(/Scopes/);
	});

	it("a resource outside the administrator's N8N_MSAL_AMBIENT_IDENTITY_RESOURCES is refused before any endpoint request: credential, node and URL scopes, and n8n's HTTP Request node", async () => {
		await rig.resetManagedIdentity();
		await rig.resetApi();
		const run = await n8n.execute(wf.outsideList);
		for (const [node, field] of [
			['Credential Scope', 'Scopes (credential)'],
			['Node Scope', 'Scopes'],
			['URL Scope', 'Scopes'],
		]) {
			const { json } = run.nodeOutput(node)[0];
			expect(json.error).toContain(
				`may not be used for "https://graph.microsoft.com" (from ${field}): the administrator allows only ${rig.api.resource.toLowerCase()}, https://management.azure.com (N8N_MSAL_AMBIENT_IDENTITY_RESOURCES). No token was requested.`,
			);
		}
		const http = await n8n.execute(wf.httpNodeOutsideList);
		expect(http.status).toBe('error');
		expect(JSON.stringify(http.nodeError('HTTP Request'))).toContain('N8N_MSAL_AMBIENT_IDENTITY_RESOURCES');
		expect(await endpointRequests()).toHaveLength(0);
		expect(await rig.apiRequests()).toHaveLength(0);
	});

	it('with N8N_MSAL_AMBIENT_IDENTITY_ENABLED off, the node says so and the endpoint gets nothing', async () => {
		await rig.resetManagedIdentity();
		const saved = { ...n8n.env };
		n8n.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED = 'false';
		let run;
		try {
			run = await n8n.executeInNewProcess(wf.twoNodes);
		} finally {
			Object.assign(n8n.env, saved);
		}
		expect(run.status).toBe('error');
		expect(run.nodeError('Acquire Token')?.message).toBe(
			"Managed identity is off on this n8n: it lends the n8n host's own Azure identity to anyone who may create a credential, so it is off until an administrator sets N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true.",
		);
		expect(run.nodeError('Acquire Token')?.description).toMatch(/\(field: Identity Type\)$/);
		expect(await endpointRequests()).toHaveLength(0);
	});

	it('a 403 from the API says the managed identity has no access, and how to grant it', async () => {
		const run = await n8n.execute(wf.noAccess);
		expect(run.status).toBe('error');
		const error = run.nodeError('Call API');
		expect(error?.message).toMatch(/403/);
		expect(error?.message).toMatch(/managed identity has no access/);
		expect(error?.description).toMatch(/app role|RBAC/);
	});

	it('a user-assigned identity not attached: the error names Client ID, and quotes nothing of the endpoint', async () => {
		const run = await n8n.execute(wf.notAttached);
		expect(run.status).toBe('error');
		const error = run.nodeError('Acquire Token');
		expect(error?.message).toMatch(/not attached/);
		expect(error?.description).toMatch(/Client ID/);
		expect(JSON.stringify(run.raw)).not.toContain(rig.managedIdentity.neverQuoted);
	});

	it('nothing is ever written to the credential records', async () => {
		for (const [name, ref] of Object.entries(cred)) {
			const record = await n8n.exportCredential(ref.id);
			expect(record.data).toEqual(imported[name]);
		}
	});
});
