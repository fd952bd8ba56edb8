/**
 * Expression-valued credential fields ({{ $secrets… }}, an expression that reads a fresh client
 * assertion) must survive the token-cache writes, on every supported n8n.
 *
 * n8n 2.34+ keeps stored expressions itself when it saves what preAuthentication returns. Before
 * 2.34 (n8n 1.123.x, 2.0-2.33) n8n saves the whole resolved record: our nodes then hand the
 * stored expressions back with the cache (nodes/n8n/olderN8nWrites.ts), and n8n's HTTP Request
 * node saves nothing. test/run-all.sh runs this file on both n8n versions (N8N_VERSION).
 * The runs that read what an earlier run saved run in a new `n8n execute` process
 * (executeInNewProcess): nothing in memory can stand in for the record.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createN8n, n8nOlderThan, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from './support/packagedBuild';
import {
	acquireToken,
	chain,
	httpWithPredefinedCredential,
	manualTrigger,
	type WorkflowNode,
} from './support/workflows';

type Ref = { id: string; name: string };

/** The same string written as an n8n expression, so the stored value differs from the resolved one. */
const asExpression = (value: string) =>
	`={{ ${JSON.stringify(value.slice(0, 4))} + ${JSON.stringify(value.slice(4))} }}`;

describe('expression-valued credential fields and the token-cache writes', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	let olderN8n: boolean;
	const cred: Record<string, Ref> = {};
	const wf: Record<string, string> = {};
	const expressions: Record<string, string> = {};

	const stored = async (ref: Ref) => (await n8n.exportCredential(ref.id)).data;
	const tokenRequests = async () => (await rig.stats()).grants.client_credentials ?? 0;

	beforeAll(async () => {
		rig = await startRig();
		n8n = await createN8n({ packageTarball: packagedBuild(), env: rig.childEnv() });
		olderN8n = n8nOlderThan(n8n.n8nVersion, '2.34.0');
		const assertion = await rig.mintClientAssertion(rig.clients.federated.clientId, { ttlSeconds: 3600 });
		expressions.secret = asExpression(rig.clients.secret.clientSecret);
		expressions.assertion = asExpression(assertion);
		const common = { cloud: 'custom', authorityUrl: rig.authority, scopes: rig.api.scope };
		const secret = {
			...common,
			clientId: rig.clients.secret.clientId,
			clientAuthentication: 'secret',
			clientSecret: expressions.secret,
		};
		const definitions: Array<[string, string, Record<string, unknown>]> = [
			['secret', 'msalClientCredentialsApi', secret],
			[
				'assertion',
				'msalClientCredentialsApi',
				{
					...common,
					clientId: rig.clients.federated.clientId,
					clientAuthentication: 'assertion',
					clientAssertionToken: expressions.assertion,
				},
			],
			['httpNode', 'msalClientCredentialsApi', secret],
			[
				'deviceCode',
				'msalDeviceCodeApi',
				{
					cloud: 'custom',
					authorityUrl: rig.authority,
					clientId: rig.clients.public.clientId,
					scopes: rig.api.delegatedScopes[0],
					allowedAccounts: rig.users[0].username,
				},
			],
		];
		const ids = await n8n.importCredentials(definitions.map(([name, type, data]) => ({ name, type, data })));
		definitions.forEach(([name], index) => (cred[name] = { id: ids[index], name }));

		const me = `${rig.api.baseUrl}/me`;
		const deviceCodeHttpNode: WorkflowNode = {
			name: 'HTTP Request',
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			parameters: {
				url: me,
				authentication: 'predefinedCredentialType',
				nodeCredentialType: 'msalDeviceCodeApi',
				options: {},
			},
			credentials: { msalDeviceCodeApi: cred.deviceCode },
		};
		const workflows: Array<[string, object]> = [
			['secret', chain('secret', [manualTrigger(), acquireToken(cred.secret)])],
			[
				'secretForced',
				chain('secretForced', [manualTrigger(), acquireToken(cred.secret, { options: { forceRefresh: true } })]),
			],
			['assertion', chain('assertion', [manualTrigger(), acquireToken(cred.assertion)])],
			['httpNode', chain('httpNode', [manualTrigger(), httpWithPredefinedCredential(me, cred.httpNode)])],
			['httpNodeThenAcquire', chain('httpNodeThenAcquire', [manualTrigger(), acquireToken(cred.httpNode)])],
			['deviceCodeHttpNode', chain('deviceCodeHttpNode', [manualTrigger(), deviceCodeHttpNode])],
		];
		const workflowIds = await n8n.importWorkflows(workflows.map(([, w]) => w));
		workflows.forEach(([name], index) => (wf[name] = workflowIds[index]));
	});

	afterAll(async () => {
		await n8n?.dispose();
		await rig?.stop();
	});

	it('an expression-valued client secret stays an expression after Acquire Token saves the cache, and the next runs read the cache', async () => {
		await rig.reset();
		const first = await n8n.execute(wf.secret);
		expect(first.status).toBe('success');
		expect(await tokenRequests()).toBe(1);
		const afterFirst = await stored(cred.secret);
		expect(afterFirst.clientSecret).toBe(expressions.secret);
		expect(String(afterFirst.tokenCache)).toContain('"AccessToken"');

		// A forced renewal writes the cache again: the expression must survive every write.
		const forced = await n8n.execute(wf.secretForced);
		expect(forced.status).toBe('success');
		const afterForced = await stored(cred.secret);
		expect(afterForced.clientSecret).toBe(expressions.secret);
		expect(JSON.parse(String(afterForced.tokenCache)).revision).toBeGreaterThan(
			JSON.parse(String(afterFirst.tokenCache)).revision,
		);

		await rig.reset();
		const silent = await n8n.executeInNewProcess(wf.secret);
		expect(silent.nodeOutput('Acquire Token')[0].json.fromCache).toBe(true);
		expect(await tokenRequests()).toBe(0);
	});

	it('an expression-based client assertion stays an expression after the cache write', async () => {
		await rig.reset();
		const run = await n8n.execute(wf.assertion);
		expect(run.status).toBe('success');
		expect((await rig.stats()).tokenRequests[0]).toMatchObject({
			grant: 'client_credentials',
			clientAuth: 'assertion',
		});
		const data = await stored(cred.assertion);
		expect(data.clientAssertionToken).toBe(expressions.assertion);
		expect(String(data.tokenCache)).toContain('"AccessToken"');
	});

	it("n8n's HTTP Request node keeps the expression too: before n8n 2.34 by saving nothing, from 2.34 by n8n's merge", async () => {
		await rig.reset();
		const run = await n8n.executeInNewProcess(wf.httpNode);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('HTTP Request')[0].json).toMatchObject({ appid: rig.clients.secret.clientId });
		const data = await stored(cred.httpNode);
		expect(data.clientSecret).toBe(expressions.secret);
		if (olderN8n) expect(data.tokenCache ?? '').toBe('');
		else expect(String(data.tokenCache)).toContain('"AccessToken"');

		// Acquire Token then uses the stored cache (2.34+) or saves its own (older n8n).
		await rig.reset();
		const acquired = await n8n.executeInNewProcess(wf.httpNodeThenAcquire);
		expect(acquired.nodeOutput('Acquire Token')[0].json.fromCache).toBe(!olderN8n);
		expect(await tokenRequests()).toBe(olderN8n ? 1 : 0);
		const after = await stored(cred.httpNode);
		expect(after.clientSecret).toBe(expressions.secret);
		expect(String(after.tokenCache)).toContain('"AccessToken"');
	});

	it("a device-code sign-in started in n8n's HTTP Request node: the prompt on 2.34+, before that an error naming n8n 2.34.0 and Acquire Token", async () => {
		await rig.reset();
		const run = await n8n.execute(wf.deviceCodeHttpNode);
		expect(run.status).toBe('error');
		const data = await stored(cred.deviceCode);
		if (olderN8n) {
			expect(run.error?.message).toContain('before n8n 2.34.0');
			expect(run.error?.message).toContain('Sign in once with the Acquire Token node');
			expect(data.pendingSignIn ?? '').toBe('');
		} else {
			expect(run.error?.message).toMatch(/^Sign-in needed: open https:\/\/\S+ and enter the code \S+/);
			expect(String(data.pendingSignIn)).toContain('deviceCode');
		}
	});
});
