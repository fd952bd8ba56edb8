/// <reference lib="dom" />
/*
 * A real browser for the browser tests (test/browser): Debian's Chromium driven by
 * playwright-core, and the n8n editor's owner account.
 *
 * - Chromium comes from Debian (test/rig/install-debian-packages.sh); playwright-core only drives
 *   it (executablePath), no browser download.
 * - Trust in the rig's HTTPS pages: `--ignore-certificate-errors-spki-list` with the SHA-256
 *   hashes of the public keys of the rig's CA and of the server certificate it issued for
 *   this run (the rig's servers present only that leaf, and Chromium matches the hashes
 *   against the chain the server presented, so the leaf's key is the one that counts).
 *   Chromium then overlooks a validation failure only for a chain carrying one of those keys;
 *   every other site keeps normal validation. That is narrower than playwright's
 *   `ignoreHTTPSErrors` (anything, on every host) and needs no NSS tooling (certutil) to
 *   import the CA into a profile. The flag takes effect only with a --user-data-dir: each
 *   browser gets a fresh one (launchPersistentContext).
 * - n8n's owner comes with every harness instance (test/rig/n8n.ts sets it up once, through
 *   `POST /rest/owner/setup`, in the migrated template); the person signs in through the
 *   sign-in page (data-test-id signin-form).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, selectors, type BrowserContext, type Page } from 'playwright-core';
import { OWNER } from './n8n';

// n8n marks its elements with data-test-id (playwright's getByTestId reads data-testid by default).
selectors.setTestIdAttribute('data-test-id');

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FAILURES_DIR = resolve(__dirname, '../../test-results/browser');
/**
 * Where screenshots of the key screens go: docs/images (committed, shown in the README) with
 * MSAL_UPDATE_SCREENSHOTS=1, else test-results/browser/screens, so a plain run leaves the
 * work tree clean (every run has new ports, codes and times).
 */
export const IMAGES_DIR =
	process.env.MSAL_UPDATE_SCREENSHOTS === '1'
		? resolve(__dirname, '../../docs/images')
		: resolve(FAILURES_DIR, 'screens');

/** Installs Debian's chromium when missing (install-debian-packages.sh) and returns its path. */
export function ensureChromium(): string {
	if (existsSync(CHROMIUM)) return CHROMIUM;
	const out = execFileSync('bash', [resolve(__dirname, 'install-debian-packages.sh')], {
		encoding: 'utf8',
		timeout: 15 * 60_000,
	});
	const path = /^CHROMIUM=(.+)$/m.exec(out)?.[1];
	if (!path) throw new Error(`install-debian-packages.sh printed no path:\n${out}`);
	return path;
}

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium's SPKI list wants it. */
export function spkiHash(certificatePem: string): string {
	const spki = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
	return createHash('sha256').update(spki).digest('base64');
}

export interface BrowserSession {
	context: BrowserContext;
	page: Page;
	close(): Promise<void>;
}

/** One headless Chromium with a fresh profile that trusts the rig's CA key and nothing more. */
export async function launchBrowser(opts: {
	trustedCertificates: string[];
	baseUrl?: string;
}): Promise<BrowserSession> {
	const executablePath = ensureChromium();
	const profile = mkdtempSync(join(tmpdir(), 'msal-chromium-'));
	// A persistent context is playwright's way to give Chromium our own --user-data-dir.
	const context = await chromium.launchPersistentContext(profile, {
		executablePath,
		headless: true,
		timeout: 120_000,
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--no-first-run',
			'--disable-quic',
			`--ignore-certificate-errors-spki-list=${opts.trustedCertificates.map(spkiHash).join(',')}`,
		],
		baseURL: opts.baseUrl,
		viewport: { width: 1280, height: 800 },
		locale: 'en-US',
		timezoneId: 'UTC',
	});
	context.setDefaultTimeout(30_000);
	context.setDefaultNavigationTimeout(60_000);
	// oidc-provider's device pages import a web font; the machine is offline, so do not even try.
	await context.route(/^https:\/\/fonts\.(googleapis|gstatic)\.com\//, (route) => route.abort());
	const page = context.pages()[0] ?? (await context.newPage());
	return {
		context,
		page,
		close: async () => {
			await context.close().catch(() => undefined);
			// Chromium may still be flushing its profile as it exits.
			rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
		},
	};
}

/** Signs in through n8n's sign-in form and waits for the editor's home. */
export async function signInToN8n(page: Page, baseUrl: string): Promise<void> {
	await page.goto(`${baseUrl}/signin`);
	const form = page.getByTestId('signin-form');
	await form.getByTestId('emailOrLdapLoginId').locator('input').fill(OWNER.email);
	await form.getByTestId('password').locator('input').fill(OWNER.password);
	await form.getByTestId('form-submit-button').click();
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 60_000 });
}

/** Saves a PNG of the page or of one element under docs/images. */
export async function screenshot(target: Page | ReturnType<Page['locator']>, name: string): Promise<string> {
	mkdirSync(IMAGES_DIR, { recursive: true });
	const file = join(IMAGES_DIR, `${name}.png`);
	await target.screenshot({ path: file, animations: 'disabled' });
	return file;
}

/** On failure: a screenshot and the text of every open page, under test-results/browser. */
export async function dumpForDiagnosis(context: BrowserContext | undefined, label: string): Promise<string[]> {
	if (!context) return [];
	mkdirSync(FAILURES_DIR, { recursive: true });
	const written: string[] = [];
	const safe = label.replace(/[^\w.-]+/g, '_').slice(0, 80);
	for (const [index, page] of context.pages().entries()) {
		const base = join(FAILURES_DIR, `${safe}-${index}`);
		try {
			await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 10_000 });
			written.push(`${base}.png`);
		} catch {
			/* page gone */
		}
		try {
			const text = await page.evaluate(() => document.body?.innerText ?? '');
			writeFileSync(`${base}.txt`, `${page.url()}\n\n${text}`);
			written.push(`${base}.txt`);
		} catch {
			/* page gone */
		}
	}
	return written;
}

/** A CA bundle of the machine's own CAs (as NODE_EXTRA_CA_CERTS had them) plus the rig's. */
export function caBundle(rigCaPath: string, dir: string): string {
	const parts: string[] = [];
	const inherited = process.env.NODE_EXTRA_CA_CERTS;
	if (inherited && existsSync(inherited)) parts.push(readFileSync(inherited, 'utf8'));
	parts.push(readFileSync(rigCaPath, 'utf8'));
	const file = join(dir, 'ca-bundle.pem');
	writeFileSync(file, parts.join('\n'));
	return file;
}

/**
 * n8n's REST API as the signed-in person: a fetch inside the page, with the session cookie
 * and the `browser-id` header n8n binds the session to (kept in localStorage by the editor).
 */
export async function n8nRest<T = any>(page: Page, method: string, path: string, body?: unknown): Promise<T> {
	const result = await page.evaluate(
		async ([m, p, b]) => {
			const response = await fetch(p, {
				method: m,
				headers: { 'content-type': 'application/json', 'browser-id': localStorage.getItem('n8n-browserId') ?? '' },
				body: b === undefined ? undefined : JSON.stringify(b),
			});
			return { status: response.status, text: await response.text() };
		},
		[method, path, body] as const,
	);
	if (result.status >= 300)
		throw new Error(`n8n ${method} ${path} answered ${result.status}: ${result.text.slice(0, 500)}`);
	return (JSON.parse(result.text) as { data: T }).data;
}

/** Opens a workflow on the canvas and waits for its nodes. */
export async function openWorkflow(page: Page, baseUrl: string, workflowId: string): Promise<void> {
	await page.goto(`${baseUrl}/workflow/${workflowId}`);
	await page.getByTestId('canvas-node').first().waitFor({ timeout: 90_000 });
}

export function canvasNode(page: Page, name: string) {
	return page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`);
}

/**
 * Presses the canvas's "Execute workflow" button (after clearing the previous run's data)
 * and waits until `lastNode` shows a run status: a success tick or an error mark.
 */
export async function executeFromEditor(page: Page, lastNode: string): Promise<'success' | 'error'> {
	const clear = page.getByTestId('clear-execution-data-button');
	if (await clear.isVisible()) await clear.click();
	const node = canvasNode(page, lastNode);
	const success = node.getByTestId('canvas-node-status-success');
	const error = node.getByTestId('canvas-node-status-error').or(node.getByTestId('canvas-node-status-mark-error'));
	await success
		.or(error)
		.first()
		.waitFor({ state: 'detached', timeout: 10_000 })
		.catch(() => undefined);
	await page.getByTestId('execute-workflow-button').click();
	await success.or(error).first().waitFor({ timeout: 120_000 });
	return (await success.count()) > 0 ? 'success' : 'error';
}

/** Opens a node's details view (double-click on the canvas). */
export async function openNode(page: Page, name: string) {
	await canvasNode(page, name).dblclick();
	const ndv = page.getByTestId('ndv');
	await ndv.waitFor();
	return ndv;
}

export async function closeNode(page: Page): Promise<void> {
	await page.getByTestId('ndv-close-button').click();
	await page.getByTestId('ndv').waitFor({ state: 'hidden' });
}

/** The output panel of the open node, switched to a display mode; returns its text. */
export async function outputPanelText(page: Page, mode: 'schema' | 'table' | 'json'): Promise<string> {
	const panel = page.getByTestId('output-panel');
	await panel.getByTestId(`radio-button-${mode}`).click();
	await page.waitForTimeout(300);
	return await panel.innerText();
}

/** Closes n8n's toasts (they cover the lower right of the details view). */
export async function dismissToasts(page: Page): Promise<void> {
	const close = page.locator('.el-notification .el-notification__closeBtn:visible');
	for (let i = 0; i < 5 && (await close.count()) > 0; i++) {
		await close
			.first()
			.click({ timeout: 2_000 })
			.catch(() => undefined);
		await page.waitForTimeout(300);
	}
	await page
		.locator('.el-notification:visible')
		.first()
		.waitFor({ state: 'hidden', timeout: 5_000 })
		.catch(() => undefined);
}

/** Screenshot of the open node's output panel, cut below its last content. */
export async function screenshotOutputPanel(page: Page, name: string): Promise<string> {
	await dismissToasts(page);
	const panel = page.getByTestId('output-panel');
	const box = await panel.boundingBox();
	if (!box) throw new Error('output panel not visible');
	// An error view ends with n8n's "Error details" box; other views keep the panel's height.
	const details = await panel
		.getByText('Other info')
		.first()
		.boundingBox({ timeout: 2_000 })
		.catch(() => null);
	const height = details ? Math.min(box.height, details.y + details.height + 24 - box.y) : box.height;
	mkdirSync(IMAGES_DIR, { recursive: true });
	const file = join(IMAGES_DIR, `${name}.png`);
	await page.screenshot({ path: file, clip: { x: box.x, y: box.y, width: box.width, height } });
	return file;
}

/** Screenshot of the open node's details view, clipped to its parameters and output panels. */
export async function screenshotParametersAndOutput(page: Page, name: string): Promise<string> {
	const parameters = await page.getByTestId('node-parameters').boundingBox();
	const output = await page.getByTestId('output-panel').boundingBox();
	if (!parameters || !output) throw new Error('details view panels not visible');
	await dismissToasts(page);
	const tabs = await page.getByTestId('tab-params').boundingBox();
	const viewport = page.viewportSize() ?? { width: 1280, height: 800 };
	const x = Math.max(0, parameters.x - 1);
	const y = Math.max(0, (tabs?.y ?? parameters.y) - 12);
	const right = Math.min(viewport.width, output.x + output.width);
	const bottom = Math.min(viewport.height, Math.max(parameters.y + parameters.height, output.y + output.height));
	mkdirSync(IMAGES_DIR, { recursive: true });
	const file = join(IMAGES_DIR, `${name}.png`);
	await page.screenshot({ path: file, clip: { x, y, width: right - x, height: bottom - y } });
	return file;
}
