/// <reference lib="dom" />
/**
 * The README's quick start for client credentials, followed in the editor of a fresh n8n as a
 * person would: create the credential in the dialog (n8n tests it on save), give a workflow a
 * Microsoft Entra ID API Call node with that credential, execute it, and read the API's answer.
 * The Entra steps (1 and 2) are the rig's: its "secret" client is the registered app, its
 * protected API stands in for Microsoft Graph and answers Graph's shape (`value: [...]`), and the
 * credential's cloud is the rig's authority (Custom Authority) instead of Global.
 *
 * Its screenshots are the README's quick-start images (docs/images/quick-start-*.png, written
 * with MSAL_UPDATE_SCREENSHOTS=1).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
	caBundle,
	closeNode,
	dismissToasts,
	dumpForDiagnosis,
	executeFromEditor,
	launchBrowser,
	n8nRest,
	openNode,
	openWorkflow,
	outputPanelText,
	screenshot,
	screenshotParametersAndOutput,
	signInToN8n,
	type BrowserSession,
} from '../rig/browser';
import { createN8n, freePort, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from '../e2e/support/packagedBuild';

/** The names the README's steps use: what a person sees in the editor. */
const CREDENTIAL_TYPE = 'Microsoft Entra Client Credentials API';
const API_CALL_NODE = 'Microsoft Entra ID API Call';

describe("the README's quick start for client credentials, in the editor of a fresh n8n", () => {
	let rig: Rig;
	let n8n: N8nInstance;
	let session: BrowserSession;
	let page: Page;
	let baseUrl: string;
	let dir: string;

	beforeAll(async () => {
		rig = await startRig();
		dir = mkdtempSync(join(tmpdir(), 'msal-quick-start-'));
		const env = { NODE_EXTRA_CA_CERTS: caBundle(rig.caCertPath, dir) };
		const serverCertificate = readFileSync(join(rig.stateDir, 'tls', 'server.pem'), 'utf8');
		[n8n, session] = await Promise.all([
			createN8n({ packageTarball: packagedBuild(), env }),
			launchBrowser({ trustedCertificates: [rig.caPem, serverCertificate] }),
		]);
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

	it("steps 3 to 5: the credential tests on save, the node answers with the API's JSON, the token never shows", async () => {
		try {
			// Step 3: Credentials → Add credential → Microsoft Entra Client Credentials API, filled and saved.
			await rig.reset();
			await page.goto(`${baseUrl}/home/credentials`);
			await page.getByTestId('add-resource-credential').click();
			const chooser = page.getByTestId('selectCredential-modal');
			await chooser.getByTestId('new-credential-type-select').locator('input').fill('Microsoft Entra');
			await page.getByTestId('new-credential-type-select-option').filter({ hasText: CREDENTIAL_TYPE }).click();
			await chooser.getByTestId('new-credential-type-button').click();
			const dialog = page.getByTestId('editCredential-modal');
			await dialog.getByTestId('parameter-input-cloud').click();
			await page.locator('.el-select-dropdown__item:visible').filter({ hasText: 'Custom Authority' }).first().click();
			const field = (name: string) => dialog.getByTestId(`parameter-input-${name}`).locator('input, textarea').first();
			await field('authorityUrl').fill(rig.authority);
			await field('clientId').fill(rig.clients.secret.clientId);
			await field('clientSecret').fill(rig.clients.secret.clientSecret);
			await field('scopes').fill(rig.api.scope);
			await dialog.getByTestId('credential-save-button').click();
			const success = dialog.getByTestId('credentials-config-container-test-success');
			await success.waitFor({ timeout: 60_000 });
			expect(await success.innerText()).toContain('Connection tested successfully');
			expect(await dialog.innerText()).not.toContain(rig.clients.secret.clientSecret);
			await dismissToasts(page);
			await screenshot(dialog, 'quick-start-credential');
			// The test on save asked the identity provider for a token, once.
			expect((await rig.stats()).tokenRequests.map((r) => [r.grant, r.clientId, r.status])).toEqual([
				['client_credentials', rig.clients.secret.clientId, 200],
			]);
			await page.keyboard.press('Escape');
			await dialog.waitFor({ state: 'hidden' });
			const credentials = await n8nRest<Array<{ id: string; name: string; type: string }>>(
				page,
				'GET',
				'/rest/credentials',
			);
			const credential = credentials.find((c) => c.type === 'msalClientCredentialsApi');
			expect(credential).toBeDefined();

			// Step 4: a workflow with the API Call node after the trigger, Authentication Client
			// Credentials, the credential picked, a relative URL on the API's base (the rig's API).
			const workflow = await n8nRest<{ id: string }>(page, 'POST', '/rest/workflows', {
				name: 'Quick start',
				active: false,
				settings: { executionOrder: 'v1' },
				nodes: [
					{
						id: 'trigger',
						name: "When clicking 'Execute workflow'",
						type: 'n8n-nodes-base.manualTrigger',
						typeVersion: 1,
						position: [0, 0],
						parameters: {},
					},
					{
						id: 'api-call',
						name: API_CALL_NODE,
						type: 'n8n-nodes-msal.msalCallApi',
						typeVersion: 1,
						position: [240, 0],
						parameters: {
							authentication: 'clientCredentials',
							method: 'GET',
							baseUrl: 'custom',
							customBaseUrl: `${rig.api.baseUrl}/`,
							url: 'items?total=3',
							options: {},
						},
						credentials: { msalClientCredentialsApi: { id: credential!.id, name: credential!.name } },
					},
				],
				connections: {
					"When clicking 'Execute workflow'": { main: [[{ node: API_CALL_NODE, type: 'main', index: 0 }]] },
				},
			});
			await openWorkflow(page, baseUrl, workflow.id);

			// Step 5: execute; the output is the API's answer.
			await rig.reset();
			await rig.resetApi();
			expect(await executeFromEditor(page, API_CALL_NODE)).toBe('success');
			await openNode(page, API_CALL_NODE);
			await screenshotParametersAndOutput(page, 'quick-start-output');
			const output = await outputPanelText(page, 'json');
			expect(output).toContain('"value"');
			expect(output).toContain('"Item 2"');
			expect(output).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
			await closeNode(page);

			// The API received one call with a valid token of the registered app; the execution made at
			// most one token request (the dialog's test does not fill the cache).
			const calls = (await rig.apiRequests()).filter((r) => r.path === '/items');
			expect(calls).toHaveLength(1);
			expect(calls[0].headers.authorization).toMatchObject({ valid: true });
			expect((await rig.stats()).tokenRequests.length).toBeLessThanOrEqual(1);
		} catch (error) {
			const files = await dumpForDiagnosis(session?.context, 'quick start');
			if (error instanceof Error) error.message += `\n[diagnosis] ${files.join('\n[diagnosis] ')}`;
			throw error;
		}
	});
});
