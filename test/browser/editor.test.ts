/// <reference lib="dom" />
/**
 * The package as a person uses it: a real `n8n start` with the packed package installed the way
 * n8n installs community packages, driven through its editor in Chromium (playwright-core),
 * against the rig's identity provider and protected API on loopback. Each scenario checks what
 * the page shows AND what the identity provider and the API received.
 *
 * One n8n and one browser for the whole file (n8n's editor takes seconds to load on 2 cores).
 * On a failure, a screenshot and the text of every open tab go to test-results/browser/.
 * Screenshots of the key screens go to test-results/browser/screens/, or with
 * MSAL_UPDATE_SCREENSHOTS=1 to docs/images/ (shown in the README; look at them before committing).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import {
	caBundle,
	canvasNode,
	closeNode,
	dismissToasts,
	dumpForDiagnosis,
	executeFromEditor,
	FAILURES_DIR,
	IMAGES_DIR,
	launchBrowser,
	n8nRest,
	openNode,
	openWorkflow,
	outputPanelText,
	screenshot,
	screenshotOutputPanel,
	screenshotParametersAndOutput,
	signInToN8n,
	type BrowserSession,
} from '../rig/browser';
import { createN8n, freePort, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from '../e2e/support/packagedBuild';

const PACKAGE = 'n8n-nodes-msal';
const CLIENT_CREDENTIALS_TYPE = 'Microsoft Entra Client Credentials API';
const ALICE = { username: 'alice@contoso.test', password: 'Alice-Passw0rd!', name: 'Alice Example' };

type Ref = { id: string; name: string };
type NodeJson = Record<string, unknown> & { name: string };

/** A linear workflow: each node feeds the next. */
function chain(name: string, nodes: NodeJson[]): object {
	const connections: Record<string, unknown> = {};
	nodes.forEach((node, index) => {
		const next = nodes[index + 1];
		if (next) connections[node.name] = { main: [[{ node: next.name, type: 'main', index: 0 }]] };
	});
	return {
		name,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: nodes.map((node, index) => ({
			id: `${name}-${index}`.replace(/\W/g, '-'),
			position: [index * 240, 0],
			...node,
		})),
		connections,
	};
}

const start: NodeJson = { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} };

const credentialKey: Record<string, string> = {
	clientCredentials: 'msalClientCredentialsApi',
	deviceCode: 'msalDeviceCodeApi',
	publicClient: 'msalPublicClientApi',
};

function acquireToken(authentication: string, credential: Ref): NodeJson {
	return {
		name: 'Acquire Token',
		type: `${PACKAGE}.msalAcquireToken`,
		typeVersion: 1,
		parameters: { authentication, operation: 'getToken', options: {} },
		credentials: { [credentialKey[authentication]]: credential },
	};
}

function callApi(authentication: string, credential: Ref, url: string): NodeJson {
	return {
		name: 'Call API',
		type: `${PACKAGE}.msalCallApi`,
		typeVersion: 1,
		parameters: { authentication, method: 'GET', baseUrl: 'none', url, options: {} },
		credentials: { [credentialKey[authentication]]: credential },
	};
}

const jwtClaims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

describe('the n8n editor in Chromium', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	let baseUrl: string;
	let session: BrowserSession;
	let page: Page;
	let appCredential: Ref;

	const idpRequests = async () => Object.values((await rig.stats()).requests).reduce((a, b) => a + b, 0);
	const apiCalls = async (path: string) => (await rig.apiRequests()).filter((r) => r.path === path);
	const alice = () => rig.users.find((u) => u.username === ALICE.username)!;

	/** A test whose failure leaves a screenshot, the page text and the n8n log behind. */
	const scenario = (name: string, body: () => Promise<void>) =>
		it(name, async () => {
			try {
				await body();
			} catch (error) {
				const files = await dumpForDiagnosis(session?.context, name);
				if (n8n) {
					mkdirSync(FAILURES_DIR, { recursive: true });
					const log = join(FAILURES_DIR, `${name.replace(/[^\w.-]+/g, '_').slice(0, 80)}-n8n.log`);
					writeFileSync(log, n8n.logs().slice(-20_000));
					files.push(log);
				}
				if (error instanceof Error) error.message += `\n[diagnosis] ${files.join('\n[diagnosis] ')}`;
				throw error;
			}
		});

	const createCredential = async (name: string, type: string, data: Record<string, unknown>): Promise<Ref> => {
		const created = await n8nRest<{ id: string; name: string }>(page, 'POST', '/rest/credentials', {
			name,
			type,
			data,
		});
		return { id: created.id, name: created.name };
	};
	const createWorkflow = async (workflow: object): Promise<string> =>
		(await n8nRest<{ id: string }>(page, 'POST', '/rest/workflows', workflow)).id;

	/** The node's error as the details view shows it (message and description). */
	const nodeError = async (ndv: Locator) => {
		const message = ndv.getByTestId('node-error-message');
		await message.waitFor();
		return {
			message: await message.innerText(),
			description: await ndv.getByTestId('node-error-description').innerText(),
		};
	};

	let dir: string;

	beforeAll(async () => {
		rig = await startRig();
		dir = mkdtempSync(join(tmpdir(), 'msal-browser-'));
		// n8n needs the rig's CA; npm (package install) keeps the machine's CAs.
		const env = { NODE_EXTRA_CA_CERTS: caBundle(rig.caCertPath, dir) };
		const serverCertificate = readFileSync(join(rig.stateDir, 'tls', 'server.pem'), 'utf8');
		const [instance, browser] = await Promise.all([
			createN8n({ packageTarball: packagedBuild(), env }),
			launchBrowser({ trustedCertificates: [rig.caPem, serverCertificate] }),
		]);
		n8n = instance;
		session = browser;
		page = session.page;
		({ baseUrl } = await n8n.startServer({ port: await freePort() }));
		await signInToN8n(page, baseUrl);
	});

	afterAll(async () => {
		await session?.close();
		await n8n?.dispose();
		await rig?.stop();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	scenario('client credentials: Test in the credential dialog explains a wrong secret, then succeeds', async () => {
		await rig.reset();
		await page.goto(`${baseUrl}/home/credentials`);
		await page.getByTestId('add-resource-credential').click();
		const chooser = page.getByTestId('selectCredential-modal');
		await chooser.getByTestId('new-credential-type-select').locator('input').fill('Microsoft Entra');
		await page.getByTestId('new-credential-type-select-option').filter({ hasText: CLIENT_CREDENTIALS_TYPE }).click();
		await chooser.getByTestId('new-credential-type-button').click();

		const dialog = page.getByTestId('editCredential-modal');
		await dialog.getByTestId('credential-name').click();
		await dialog.getByTestId('credential-name').getByTestId('inline-edit-input').fill('Contoso daemon');
		await dialog.getByTestId('credential-name').getByTestId('inline-edit-input').press('Enter');
		await dialog.getByTestId('parameter-input-cloud').click();
		await page.locator('.el-select-dropdown__item:visible').filter({ hasText: 'Custom Authority' }).first().click();
		const field = (name: string) => dialog.getByTestId(`parameter-input-${name}`).locator('input, textarea').first();
		await field('authorityUrl').fill(rig.authority);
		await field('clientId').fill(rig.clients.secret.clientId);
		await field('clientSecret').fill('not-the-secret-value');
		await field('scopes').fill(rig.api.scope);

		// n8n tests a credential when it is saved.
		await dialog.getByTestId('credential-save-button').click();
		await dialog.getByText(/Couldn.t connect with these settings/).waitFor({ timeout: 60_000 });
		await dialog.getByText('More details').click();
		const explanation = dialog.getByText(/^AADSTS7000215:/);
		await explanation.waitFor();
		expect(await explanation.innerText()).toBe(
			"AADSTS7000215: The client secret is wrong. Copy the secret's Value (not its Secret ID) from the app registration's Certificates & secrets page into Client Secret.",
		);
		expect(await dialog.innerText()).not.toContain('not-the-secret-value');
		await dismissToasts(page);
		await screenshot(dialog, 'credential-dialog-wrong-secret');
		expect((await rig.stats()).tokenRequests.map((r) => [r.grant, r.clientId, r.status])).toEqual([
			['client_credentials', rig.clients.secret.clientId, 401],
		]);

		await field('clientSecret').fill(rig.clients.secret.clientSecret);
		await dialog.getByTestId('credential-save-button').click();
		const success = dialog.getByTestId('credentials-config-container-test-success');
		await success.waitFor({ timeout: 60_000 });
		expect(await success.innerText()).toContain('Connection tested successfully');
		await dismissToasts(page);
		await screenshot(dialog, 'credential-dialog-tested');
		expect((await rig.stats()).tokenRequests.map((r) => [r.grant, r.status])).toEqual([
			['client_credentials', 401],
			['client_credentials', 200],
		]);
		await page.keyboard.press('Escape');
		await dialog.waitFor({ state: 'hidden' });

		const saved = (
			await n8nRest<Array<{ id: string; name: string; type: string }>>(page, 'GET', '/rest/credentials')
		).find((c) => c.name === 'Contoso daemon');
		expect(saved?.type).toBe('msalClientCredentialsApi');
		appCredential = { id: saved!.id, name: saved!.name };
	});

	scenario(
		'client credentials: Acquire Token → Call API executed from the canvas shows the answer, never the token',
		async () => {
			const workflowId = await createWorkflow(
				chain('Acquire Token, then call the API', [
					start,
					acquireToken('clientCredentials', appCredential),
					callApi('clientCredentials', appCredential, `${rig.api.baseUrl}/me`),
				]),
			);
			await openWorkflow(page, baseUrl, workflowId);
			await rig.reset();
			await rig.resetApi();
			expect(await executeFromEditor(page, 'Call API')).toBe('success');
			await screenshot(page, 'canvas-acquire-token-call-api');

			await openNode(page, 'Acquire Token');
			const tokenOutput = await outputPanelText(page, 'json');
			const accessToken = /"accessToken":\s*"([\w-]+\.[\w-]+\.[\w-]+)"/.exec(tokenOutput)?.[1];
			expect(accessToken).toBeDefined();
			await closeNode(page);

			await openNode(page, 'Call API');
			await screenshotParametersAndOutput(page, 'call-api-output');
			for (const mode of ['json', 'table', 'schema'] as const) {
				const text = await outputPanelText(page, mode);
				expect(text).toContain(rig.clients.secret.clientId);
				expect(text).not.toContain(accessToken!.split('.')[2]);
				expect(text).not.toContain(accessToken!.split('.')[1].slice(0, 40));
				expect(text).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
			}
			await closeNode(page);

			// The API got the very token Acquire Token showed: Call API took it from the credential's cache.
			const calls = await apiCalls('/me');
			expect(calls).toHaveLength(1);
			expect(calls[0].headers.authorization).toMatchObject({ valid: true, jti: jwtClaims(accessToken!).jti });
			expect((await rig.stats()).grants.client_credentials).toBeLessThanOrEqual(1);
		},
	);

	scenario('AI: the example agent shows the Azure OpenAI Chat Model (Entra ID) attached to the AI Agent', async () => {
		// The example as a person imports it, its credential placeholders pointed at a real credential.
		const example = readFileSync(join(__dirname, '../../examples/azure-openai-agent-entra-id.json'), 'utf8');
		const workflow = JSON.parse(
			example
				.replaceAll('REPLACE_WITH_CREDENTIAL_ID', appCredential.id)
				.replaceAll('Microsoft Entra ID (MSAL) Client Credentials', appCredential.name),
		);
		await openWorkflow(page, baseUrl, await createWorkflow(workflow));
		const model = 'Azure OpenAI Chat Model (Entra ID)';
		await canvasNode(page, model).waitFor();
		await expect(canvasNode(page, model).innerText()).resolves.toContain(model);
		const edge = page.locator(
			`[data-test-id="edge"][data-source-node-name="${model}"][data-target-node-name="AI Agent"]`,
		);
		await expect(edge.count()).resolves.toBe(1);
		// The node icons load after the canvas: without them the screenshot shows blank nodes.
		await page.waitForLoadState('networkidle');
		await dismissToasts(page);
		await screenshot(page, 'azure-openai-agent-canvas');
	});

	scenario(
		'allowed domains: a Call API URL outside the token guard is refused in the error panel; nothing is sent',
		async () => {
			const offGuard = `https://localhost:${new URL(rig.api.baseUrl).port}/me`;
			const workflowId = await createWorkflow(
				chain('Call API off the guard', [start, callApi('clientCredentials', appCredential, offGuard)]),
			);
			await openWorkflow(page, baseUrl, workflowId);
			await rig.reset();
			await rig.resetApi();
			expect(await executeFromEditor(page, 'Call API')).toBe('error');
			const ndv = await openNode(page, 'Call API');
			const error = await nodeError(ndv);
			expect(error.message).toMatch(/^Refused to send the access token .*localhost.* Nothing was sent\.$/s);
			expect(error.description).toContain('Allowed Domains');
			await screenshotOutputPanel(page, 'call-api-refused-host');
			await closeNode(page);
			expect(await rig.apiRequests()).toHaveLength(0);
			expect(await idpRequests()).toBe(0);
		},
	);

	scenario(
		'device code: the error panel shows URL and code; after signing in on the device page the next run works',
		async () => {
			const credential = await createCredential('Alice (device code)', 'msalDeviceCodeApi', {
				cloud: 'custom',
				authorityUrl: rig.authority,
				clientId: rig.clients.public.clientId,
				scopes: rig.api.delegatedScopes[0],
				allowedAccounts: rig.users[0].username,
			});
			const workflowId = await createWorkflow(
				chain('Device code sign-in', [
					start,
					acquireToken('deviceCode', credential),
					callApi('deviceCode', credential, `${rig.api.baseUrl}/me`),
				]),
			);
			await openWorkflow(page, baseUrl, workflowId);
			await rig.reset();
			expect(await executeFromEditor(page, 'Acquire Token')).toBe('error');
			const ndv = await openNode(page, 'Acquire Token');
			const error = await nodeError(ndv);
			const prompt =
				/^Sign-in needed: open (https:\/\/\S+) and enter the code (\S+) before \d\d:\d\d UTC \(\d+ minutes\)\. Then run the workflow again\.$/.exec(
					error.message,
				);
			expect(prompt).not.toBeNull();
			const [, verificationUrl, userCode] = prompt!;
			expect(verificationUrl).toBe(`${rig.authority}/oauth2/v2.0/deviceauth`);
			expect(error.description).toContain('run the workflow again');
			// Readable: the message's text (URL and code) lies inside the visible output panel.
			const message = ndv.getByTestId('node-error-message');
			expect(await message.isVisible()).toBe(true);
			const panel = (await page.getByTestId('output-panel').boundingBox())!;
			const text = await message.evaluate((el) => {
				const range = document.createRange();
				range.selectNodeContents(el);
				const r = range.getBoundingClientRect();
				return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
			});
			expect(text.left).toBeGreaterThanOrEqual(panel.x);
			expect(text.right).toBeLessThanOrEqual(panel.x + panel.width);
			expect(text.bottom).toBeLessThanOrEqual(panel.y + panel.height);
			await screenshotOutputPanel(page, 'device-code-error-panel');
			expect((await rig.stats()).requests.devicecode).toBe(1);
			expect((await rig.stats()).grants.device_code).toBe(0);
			await closeNode(page);

			// The person signs in on the identity provider's device page, in a second tab.
			const tab = await session.context.newPage();
			await tab.goto(verificationUrl);
			await tab.locator('input[name="user_code"]').fill(userCode);
			await tab.getByRole('button', { name: 'Continue' }).click();
			await expect(tab.locator('code').innerText()).resolves.toBe(userCode);
			await tab.getByRole('button', { name: 'Continue' }).click();
			await tab.locator('input[name="username"]').fill(ALICE.username);
			await tab.locator('input[name="password"]').fill(ALICE.password);
			await tab.getByRole('button', { name: 'Sign in' }).click();
			await tab.getByRole('heading', { name: 'Sign-in Success' }).waitFor();
			await tab.close();

			await rig.reset();
			await rig.resetApi();
			expect(await executeFromEditor(page, 'Call API')).toBe('success');
			await openNode(page, 'Call API');
			expect(await outputPanelText(page, 'json')).toContain(ALICE.username);
			await closeNode(page);
			expect((await rig.stats()).grants).toMatchObject({ device_code: 1 });
			expect((await rig.stats()).requests.devicecode).toBe(0);
			const calls = await apiCalls('/me');
			expect(calls).toHaveLength(1);
			expect(calls[0].headers.authorization).toMatchObject({ valid: true, oid: alice().oid });
		},
	);

	scenario(
		'public client: publish the sign-in trigger, open the link from the node error, sign in; the next run works',
		async () => {
			const signInUrl = `${baseUrl}/webhook/msal-sign-in`;
			const credential = await createCredential('Alice (browser sign-in)', 'msalPublicClientApi', {
				cloud: 'custom',
				authorityUrl: rig.authority,
				clientId: rig.clients.public.clientId,
				scopes: rig.api.delegatedScopes[0],
				redirectUri: signInUrl,
				allowedAccounts: ALICE.username,
			});
			const triggerId = await createWorkflow({
				name: 'Microsoft sign-in link',
				active: false,
				settings: { executionOrder: 'v1' },
				connections: {},
				nodes: [
					{
						id: 'sign-in',
						name: 'Microsoft Sign-In',
						type: `${PACKAGE}.msalSignInTrigger`,
						typeVersion: 1,
						position: [0, 0],
						webhookId: '6f0c2b9e-3d4a-4e55-8f1b-9a7c2d4e6b10',
						parameters: { path: 'msal-sign-in' },
						credentials: { msalPublicClientApi: credential },
					},
				],
			});
			await openWorkflow(page, baseUrl, triggerId);
			await page.getByTestId('workflow-open-publish-modal-button').click();
			await page.getByTestId('workflow-publish-button').click();
			await page.getByRole('button', { name: 'Got it' }).click();
			await page.getByText('Published', { exact: true }).first().waitFor();
			// Publishing created the credential's sign-in key; the editor is never sent it.
			let signInKey = '';
			// n8n 2.41 may register a published trigger just after the editor shows "Published".
			for (let attempt = 0; attempt < 10 && !signInKey; attempt++) {
				if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500));
				signInKey = String((await n8n.exportCredential(credential.id)).data.signInKey ?? '');
			}
			expect(signInKey).toMatch(/^v1\.1\.[\w-]{43}$/);
			const asTheEditorSeesIt = await n8nRest(page, 'GET', `/rest/credentials/${credential.id}?includeData=true`);
			expect(JSON.stringify(asTheEditorSeesIt)).not.toContain(signInKey.split('.')[2]);

			const workflowId = await createWorkflow(
				chain('Me, signed in in the browser', [start, callApi('publicClient', credential, `${rig.api.baseUrl}/me`)]),
			);
			await openWorkflow(page, baseUrl, workflowId);
			await rig.reset();
			expect(await executeFromEditor(page, 'Call API')).toBe('error');
			const ndv = await openNode(page, 'Call API');
			const error = await nodeError(ndv);
			expect(error.message).toContain(`Open ${signInUrl} in a browser and sign in`);
			const link = /Open (\S+) in a browser/.exec(error.message)![1];
			await screenshotOutputPanel(page, 'public-client-error-panel');
			await closeNode(page);
			expect((await rig.stats()).requests).toMatchObject({ token: 0, authorize: 0, devicecode: 0 });

			const tab = await session.context.newPage();
			const visited: string[] = [];
			tab.on('request', (request) => {
				if (request.isNavigationRequest()) visited.push(request.url());
			});
			await tab.goto(link);
			await tab.locator('input[name="username"]').waitFor();
			expect(new URL(tab.url()).origin).toBe(rig.authorityHost);
			await tab.locator('input[name="username"]').fill(ALICE.username);
			await tab.locator('input[name="password"]').fill(ALICE.password);
			await tab.getByRole('button', { name: 'Sign in' }).click();
			const confirmation = tab.locator('#message');
			await confirmation.waitFor();
			expect(await confirmation.innerText()).toContain(`Signed in as ${ALICE.name} (${ALICE.username})`);
			expect(new URL(tab.url()).origin + new URL(tab.url()).pathname).toBe(signInUrl);
			await tab.screenshot({
				path: join(IMAGES_DIR, 'public-client-signed-in.png'),
				clip: { x: 296, y: 40, width: 688, height: 180 },
			});
			await tab.close();
			const authorize = new URL(visited.find((url) => url.startsWith(`${rig.authority}/oauth2/v2.0/authorize`))!);
			expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
			expect(authorize.searchParams.get('redirect_uri')).toBe(signInUrl);
			expect((await rig.stats()).tokenRequests.map((r) => [r.grant, r.clientAuth, r.status])).toEqual([
				['authorization_code', 'none', 200],
			]);

			await rig.reset();
			await rig.resetApi();
			expect(await executeFromEditor(page, 'Call API')).toBe('success');
			await openNode(page, 'Call API');
			expect(await outputPanelText(page, 'json')).toContain(ALICE.username);
			await closeNode(page);
			// The sign-in's access token, from the credential's cache: no token request, no new sign-in
			// (the node's MSAL app reads the provider's discovery document once in this n8n process).
			expect((await rig.stats()).requests).toMatchObject({ token: 0, authorize: 0, devicecode: 0 });
			const calls = await apiCalls('/me');
			expect(calls).toHaveLength(1);
			expect(calls[0].headers.authorization).toMatchObject({ valid: true, oid: alice().oid });
		},
	);
});
