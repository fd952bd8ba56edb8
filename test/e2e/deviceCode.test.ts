/**
 * The device-code credential end to end: a real n8n runs workflows with the packed package
 * against the rig, on one long-lived `n8n start`. The runs that carry a sign-in from one run to the
 * next (the approved pending code, the code shown again, the cache served silently) run in a new
 * `n8n execute` process (executeInNewProcess), so what they carry went through n8n's credential store.
 * A "person" approves codes at the provider, reading them where the design shows them: in the
 * node's error (Stop and Show the Code) or in what the sign-in prompt workflow posts (Wait).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createN8n, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from './support/packagedBuild';
import { chain, httpWithTokenFromInput, manualTrigger, MSAL_PACKAGE, type WorkflowNode } from './support/workflows';

type Ref = { id: string; name: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const userCodeIn = (text: string | undefined) => /enter the code (\S+) before/.exec(text ?? '')?.[1];

function acquireWithDeviceCode(
	credential: Ref,
	parameters: Record<string, unknown> = {},
	name = 'Acquire Token',
): WorkflowNode {
	return {
		name,
		type: `${MSAL_PACKAGE}.msalAcquireToken`,
		typeVersion: 1,
		parameters: { authentication: 'deviceCode', operation: 'getToken', ...parameters },
		credentials: { msalDeviceCodeApi: credential },
	};
}

function httpWithPredefinedDeviceCode(url: string, credential: Ref): WorkflowNode {
	return {
		name: 'HTTP Request',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		parameters: {
			url,
			authentication: 'predefinedCredentialType',
			nodeCredentialType: 'msalDeviceCodeApi',
			options: {},
		},
		credentials: { msalDeviceCodeApi: credential },
	};
}

/**
 * A sub-workflow that posts the sign-in prompt it receives (stand-in for a mail or chat node),
 * then calls the API with another device-code credential (`other`) through n8n's HTTP Request
 * node: that request must not see the waiting node's token request.
 */
function promptWorkflow(inboxUrl: string, otherUrl: string, other: Ref): object {
	return chain('sign-in prompt', [
		{
			name: 'When Called',
			type: 'n8n-nodes-base.executeWorkflowTrigger',
			typeVersion: 1.1,
			parameters: { inputSource: 'passthrough' },
		},
		{
			name: 'Post Prompt',
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			parameters: {
				method: 'POST',
				url: inboxUrl,
				sendBody: true,
				specifyBody: 'json',
				jsonBody: '={{ JSON.stringify($json) }}',
				options: { response: { response: { neverError: true } } },
			},
		},
		{ ...httpWithPredefinedDeviceCode(otherUrl, other), name: 'Other Credential' },
	]);
}

describe('device-code credential in real n8n', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	const cred: Record<string, Ref> = {};
	const wf: Record<string, string> = {};
	const deviceCodes: string[] = [];
	const refreshTokens: string[] = [];

	const stored = async (ref: Ref) => (await n8n.exportCredential(ref.id)).data;
	const grants = async () => (await rig.stats()).grants;
	const idpTokenRequests = async () => (await rig.stats()).requests.token ?? 0;
	const refreshTokenOf = (cache: string) =>
		Object.values((JSON.parse(cache).msal.RefreshToken ?? {}) as Record<string, { secret: string }>).map(
			(t) => t.secret,
		);
	const remember = async (ref: Ref) => {
		const data = await stored(ref);
		if (data.pendingSignIn) deviceCodes.push(JSON.parse(String(data.pendingSignIn)).deviceCode);
		if (data.tokenCache) refreshTokens.push(...refreshTokenOf(String(data.tokenCache)));
		return data;
	};

	/** Runs a workflow that must stop with the prompt; returns its user code. */
	async function expectPrompt(
		workflowId: string,
		ref: Ref,
		pattern = /^Sign-in needed: open https:\/\/\S+ and enter the code \S+ before \d\d:\d\d UTC \(\d+ minutes\)\. Then run the workflow again\.$/,
	) {
		const run = await n8n.execute(workflowId);
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(pattern);
		expect(run.error?.description).toContain('run the workflow again');
		const code = userCodeIn(run.error?.message);
		expect(code).toBeTruthy();
		const data = await remember(ref);
		expect(String(data.pendingSignIn)).toContain(code as string);
		return { run, code: code as string };
	}

	beforeAll(async () => {
		rig = await startRig();
		n8n = await createN8n({ packageTarball: packagedBuild(), env: rig.childEnv() });
		const common = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.public.clientId,
			scopes: rig.api.delegatedScopes[0],
			allowedAccounts: rig.users.map((user) => user.username).join(', '),
		};
		const definitions: Array<[string, Record<string, unknown>]> = [
			['main', common],
			['two', common],
			['waitCancel', { ...common, signInMode: 'wait' }],
			['waitPrompt', common],
			// Alice alone, by object ID (which a person cannot change).
			['guarded', { ...common, allowedAccounts: rig.users[0].oid }],
		];
		const ids = await n8n.importCredentials(
			definitions.map(([name, data]) => ({ name, type: 'msalDeviceCodeApi', data })),
		);
		definitions.forEach(([name], index) => (cred[name] = { id: ids[index], name }));

		const [promptId] = await n8n.importWorkflows([
			promptWorkflow(`${rig.api.baseUrl}/prompt-inbox`, `${rig.api.baseUrl}/me?from=prompt`, cred.main),
		]);
		// n8n 2.x runs a sub-workflow by ID only when it is published ("Workflow is not active and cannot be executed").
		await n8n.publishWorkflow(promptId);
		const me = `${rig.api.baseUrl}/me`;
		const workflows: Array<[string, object]> = [
			['main', chain('main', [manualTrigger(), acquireWithDeviceCode(cred.main), httpWithTokenFromInput(me)])],
			[
				'mainForced',
				chain('mainForced', [manualTrigger(), acquireWithDeviceCode(cred.main, { options: { forceRefresh: true } })]),
			],
			['httpNode', chain('httpNode', [manualTrigger(), httpWithPredefinedDeviceCode(me, cred.main)])],
			['guarded', chain('guarded', [manualTrigger(), acquireWithDeviceCode(cred.guarded)])],
			[
				'twoAlice',
				chain('twoAlice', [
					manualTrigger(),
					acquireWithDeviceCode(cred.two, { signInOptions: { account: 'alice@contoso.test' } }),
				]),
			],
			[
				'twoBob',
				chain('twoBob', [
					manualTrigger(),
					acquireWithDeviceCode(cred.two, { signInOptions: { account: 'bob@contoso.test' } }),
				]),
			],
			['twoNoChoice', chain('twoNoChoice', [manualTrigger(), acquireWithDeviceCode(cred.two)])],
			['twoList', chain('twoList', [manualTrigger(), acquireWithDeviceCode(cred.two, { operation: 'listAccounts' })])],
			[
				'twoSignOutBob',
				chain('twoSignOutBob', [
					manualTrigger(),
					acquireWithDeviceCode(cred.two, {
						operation: 'signOut',
						signOutWhich: 'one',
						signOutAccount: 'bob@contoso.test',
					}),
				]),
			],
			[
				'waitCancel',
				{
					...chain('waitCancel', [manualTrigger(), acquireWithDeviceCode(cred.waitCancel)]),
					settings: { executionOrder: 'v1', executionTimeout: 4 },
				},
			],
			[
				'waitPrompt',
				chain('waitPrompt', [
					manualTrigger(),
					acquireWithDeviceCode(cred.waitPrompt, {
						options: { forceRefresh: true },
						signInOptions: { signInMode: 'wait', signInPromptWorkflowId: promptId },
					}),
					httpWithTokenFromInput(me),
				]),
			],
		];
		const workflowIds = await n8n.importWorkflows(workflows.map(([, w]) => w));
		workflows.forEach(([name], index) => (wf[name] = workflowIds[index]));
	});

	afterAll(async () => {
		await rig?.setAccessTokenTtl(3600);
		await n8n?.dispose();
		await rig?.stop();
	});

	it('first run with an empty credential stops with URL, code and expiry; after approval the next run signs in and calls the API', async () => {
		await rig.reset();
		const { code } = await expectPrompt(wf.main, cred.main);
		expect((await rig.stats()).requests.devicecode).toBe(1);
		expect((await grants()).device_code ?? 0).toBe(0);

		await rig.approveDeviceCode(code, 'alice@contoso.test');
		await rig.reset();
		await rig.resetApi();
		const run = await n8n.executeInNewProcess(wf.main);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Acquire Token')[0].json).toMatchObject({
			tokenType: 'Bearer',
			account: { username: 'alice@contoso.test' },
		});
		expect(run.nodeOutput('Call API')[0].json).toMatchObject({ preferred_username: 'alice@contoso.test' });
		expect((await rig.apiRequests())[0].headers.authorization).toMatchObject({ valid: true });
		expect(await grants()).toMatchObject({ device_code: 1 });
		expect((await rig.stats()).requests.devicecode ?? 0).toBe(0);

		const data = await remember(cred.main);
		expect(data.pendingSignIn ?? '').toBe('');
		const cache = JSON.parse(String(data.tokenCache));
		// Bound to its record, so a copy made through export/import gets a cache lineage of its own.
		expect(cache.record).toBe(cred.main.id);
		expect(Object.values(cache.msal.Account).map((a) => (a as { username: string }).username)).toEqual([
			'alice@contoso.test',
		]);
		expect(refreshTokenOf(String(data.tokenCache))).toHaveLength(1);
	});

	it('Allowed Accounts: someone else who enters the code is refused, nothing of them is stored, and a new code follows', async () => {
		const { code } = await expectPrompt(wf.guarded, cred.guarded);
		await rig.approveDeviceCode(code, rig.users[1].username);
		const refused = await n8n.execute(wf.guarded);
		expect(refused.status).toBe('error');
		expect(refused.error?.message).toContain(
			`The code was used to sign in as ${rig.users[1].username}, who is not in the credential's Allowed Accounts`,
		);
		const next = userCodeIn(refused.error?.message);
		expect(next).toBeTruthy();
		expect(next).not.toBe(code);
		const record = await stored(cred.guarded);
		expect(record.tokenCache ?? '').toBe('');
		expect(String(record.pendingSignIn)).toContain(next as string);
		expect(String(record.pendingSignIn)).not.toContain(code);

		await rig.approveDeviceCode(next as string, rig.users[0].username);
		const allowed = await n8n.execute(wf.guarded);
		expect(allowed.status).toBe('success');
		expect(allowed.nodeOutput('Acquire Token')[0].json).toMatchObject({ account: { username: rig.users[0].username } });
		const cache = String((await stored(cred.guarded)).tokenCache);
		expect(cache).toContain(rig.users[0].username);
		expect(cache).not.toContain(rig.users[1].username);
	});

	it('second run, and a run after an n8n restart: no request to the identity provider', async () => {
		await rig.reset();
		const second = await n8n.executeInNewProcess(wf.main);
		expect(second.status).toBe('success');
		expect(second.nodeOutput('Acquire Token')[0].json.fromCache).toBe(true);
		await n8n.startServer();
		await n8n.stopServer();
		const afterRestart = await n8n.execute(wf.main);
		expect(afterRestart.status).toBe('success');
		const stats = await rig.stats();
		expect(stats.requests.devicecode ?? 0).toBe(0);
		expect(stats.requests.token ?? 0).toBe(0);
	});

	it("n8n's HTTP Request node authenticates with the credential silently", async () => {
		await rig.reset();
		const run = await n8n.execute(wf.httpNode);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('HTTP Request')[0].json).toMatchObject({ preferred_username: 'alice@contoso.test' });
		expect(await idpTokenRequests()).toBe(0);
	});

	it('an expired access token is renewed with exactly one refresh-token request, and the rotated refresh token is saved', async () => {
		await rig.setAccessTokenTtl(5);
		expect((await n8n.execute(wf.mainForced)).status).toBe('success');
		await rig.setAccessTokenTtl(3600);
		const before = refreshTokenOf(String((await remember(cred.main)).tokenCache));
		await rig.reset();
		const run = await n8n.execute(wf.main);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Acquire Token')[0].json.fromCache).toBe(false);
		expect(await grants()).toMatchObject({ refresh_token: 1 });
		expect(await idpTokenRequests()).toBe(1);
		const after = refreshTokenOf(String((await remember(cred.main)).tokenCache));
		expect(after).toHaveLength(1);
		expect(after[0]).not.toBe(before[0]);
	});

	it('a revoked refresh token: the next run prompts again saying why; after approval it runs, then silently', async () => {
		await rig.revokeRefreshTokens('alice@contoso.test');
		await rig.setAccessTokenTtl(5);
		// The cached access token is still valid; a forced refresh meets the revocation, like expiry would.
		const { code } = await expectPrompt(
			wf.mainForced,
			cred.main,
			/^Sign-in needed again \(the saved sign-in is no longer accepted: refresh token expired or revoked, or a policy requires it\): open \S+ and enter the code \S+ before/,
		);
		await rig.setAccessTokenTtl(3600);
		await rig.approveDeviceCode(code, 'alice@contoso.test');
		const back = await n8n.execute(wf.main);
		expect(back.status).toBe('success');
		await rig.reset();
		const silent = await n8n.execute(wf.main);
		expect(silent.status).toBe('success');
		expect(await idpTokenRequests()).toBe(0);
	});

	it('a run while the code is not approved yet shows the same code with the time left (one poll, no new code)', async () => {
		const { code } = await expectPrompt(
			wf.twoAlice,
			cred.two,
			/signing in as alice@contoso\.test\. Then run the workflow again\.$/,
		);
		await rig.reset();
		const again = await n8n.executeInNewProcess(wf.twoAlice);
		expect(again.error?.message).toContain(`enter the code ${code} before`);
		expect(again.error?.message).toContain('minutes left');
		expect((await rig.stats()).requests.devicecode ?? 0).toBe(0);
		expect((await grants()).device_code).toBe(1);
		await rig.approveDeviceCode(code, 'alice@contoso.test');
		expect((await n8n.execute(wf.twoAlice)).status).toBe('success');
	});

	it('two accounts: List Accounts shows both, the account option picks the right one, Sign Out removes exactly one', async () => {
		const { code } = await expectPrompt(wf.twoBob, cred.two, /signing in as bob@contoso\.test/);
		await rig.approveDeviceCode(code, 'bob@contoso.test');
		const bob = await n8n.execute(wf.twoBob);
		expect(bob.status).toBe('success');
		expect(bob.nodeOutput('Acquire Token')[0].json).toMatchObject({ account: { username: 'bob@contoso.test' } });
		await remember(cred.two);

		const list = await n8n.execute(wf.twoList);
		expect(list.status).toBe('success');
		const accounts = list.nodeOutput('Acquire Token').map((item) => item.json);
		expect(accounts.map((a) => a.username).sort()).toEqual(['alice@contoso.test', 'bob@contoso.test']);
		expect(accounts[0]).toEqual({
			username: expect.any(String),
			name: expect.any(String),
			homeAccountId: expect.any(String),
			tenantId: rig.tenantId,
			environment: expect.any(String),
		});

		await rig.reset();
		const alice = await n8n.execute(wf.twoAlice);
		expect(alice.nodeOutput('Acquire Token')[0].json).toMatchObject({
			fromCache: true,
			account: { username: 'alice@contoso.test' },
		});
		const noChoice = await n8n.execute(wf.twoNoChoice);
		expect(noChoice.error?.message).toContain('2 signed-in accounts');
		expect(await idpTokenRequests()).toBe(0);

		const out = await n8n.execute(wf.twoSignOutBob);
		expect(out.status).toBe('success');
		expect(out.nodeOutput('Acquire Token')[0].json).toMatchObject({
			count: 1,
			signedOut: [{ username: 'bob@contoso.test' }],
		});
		const after = await n8n.execute(wf.twoList);
		expect(after.nodeOutput('Acquire Token').map((item) => item.json.username)).toEqual(['alice@contoso.test']);
		expect(String((await stored(cred.two)).tokenCache)).not.toContain('bob@contoso.test');
		expect((await n8n.execute(wf.twoNoChoice)).nodeOutput('Acquire Token')[0].json).toMatchObject({
			account: { username: 'alice@contoso.test' },
		});
	});

	it('wait: the prompt workflow receives the prompt while the node waits; the approval completes the same run', async () => {
		await rig.resetApi();
		await rig.reset();
		const running = n8n.execute(wf.waitPrompt);
		let code: string | undefined;
		for (let i = 0; i < 120 && !code; i++) {
			await sleep(250);
			const inbox = (await rig.apiRequests()).find((r) => r.path === '/prompt-inbox');
			if (inbox) {
				const prompt = JSON.parse(inbox.bodyText);
				expect(prompt).toMatchObject({
					verificationUri: expect.stringMatching(/^https:/),
					waiting: true,
					isNewCode: true,
					expiresOn: expect.any(String),
				});
				expect(prompt.message).toContain('The workflow is waiting for the sign-in.');
				expect(inbox.bodyText).not.toMatch(/device_?code/i);
				code = prompt.userCode;
			}
		}
		if (!code) {
			await running.catch(() => undefined);
			throw new Error(`no prompt posted; n8n log:\n${n8n.logs().slice(-6000)}`);
		}
		await rig.approveDeviceCode(code as string, 'bob@contoso.test');
		const run = await running;
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Call API')[0].json).toMatchObject({ preferred_username: 'bob@contoso.test' });
		expect((await stored(cred.waitPrompt)).pendingSignIn ?? '').toBe('');
		// The prompt workflow's own credential use is its own: Alice's cached token, not the waiting
		// node's forced refresh (which would show as a refresh-token request).
		const fromPrompt = (await rig.apiRequests()).filter((r) => r.query.from === 'prompt');
		expect(fromPrompt.map((r) => r.headers.authorization)).toEqual([
			expect.objectContaining({ valid: true, oid: rig.users[0].oid }),
		]);
		expect((await grants()).refresh_token ?? 0).toBe(0);
		await remember(cred.waitPrompt);
	});

	it('wait: cancelling the execution (workflow timeout) stops polling at once', async () => {
		await rig.reset();
		const started = Date.now();
		// n8n reports a timed-out execution in its own format ("Error executing workflow"), so read the CLI output.
		const run = await n8n.cli(['execute', `--id=${wf.waitCancel}`]);
		expect(run.exitCode).not.toBe(0);
		expect(run.stdout + run.stderr).toContain('The execution was cancelled because it timed out');
		const polls = (await grants()).device_code ?? 0;
		expect(polls).toBeGreaterThanOrEqual(1);
		expect(Date.now() - started).toBeLessThan(20_000); // 4 s workflow timeout + n8n start-up, not the code's 15 minutes
		await sleep(3000); // three polling intervals of the rig
		expect((await grants()).device_code ?? 0).toBe(polls);
		await remember(cred.waitCancel);
	});

	it('the device-code example workflows import into n8n', async () => {
		const dir = join(__dirname, '../../examples');
		const files = readdirSync(dir).filter((file) => /^device-code-.*\.json$/.test(file));
		expect(files.length).toBeGreaterThanOrEqual(3);
		const examples = files.map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')));
		const ids = await n8n.importWorkflows(examples.map((example) => ({ ...example, id: undefined })));
		expect(ids).toHaveLength(files.length);
		for (const example of examples) {
			for (const node of example.nodes as Array<{ type: string; parameters: Record<string, unknown> }>) {
				if (node.type === `${MSAL_PACKAGE}.msalAcquireToken`) expect(node.parameters.authentication).toBe('deviceCode');
			}
		}
	});

	it('no device code, refresh token or cache content in the n8n log or stored executions', async () => {
		const executions = JSON.stringify(await n8n.executions());
		const logs = n8n.logs();
		const caches = await Promise.all(
			Object.values(cred).map(async (ref) => String((await stored(ref)).tokenCache ?? '')),
		);
		const secrets = [
			...deviceCodes,
			...refreshTokens,
			'n8n-nodes-msal/token-cache@1',
			'n8n-nodes-msal/pending-device-code@1',
			'"RefreshToken":{',
		];
		for (const cache of caches.filter(Boolean)) secrets.push(JSON.parse(cache).lineage, ...refreshTokenOf(cache));
		expect(deviceCodes.length).toBeGreaterThanOrEqual(4);
		expect(refreshTokens.length).toBeGreaterThanOrEqual(3);
		for (const secret of secrets) {
			expect(logs).not.toContain(secret);
			expect(executions).not.toContain(secret);
		}
		expect(executions).toContain('Sign-in needed'); // the prompt itself is there, as intended
	});
});
