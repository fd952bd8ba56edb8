/*
 * Real-n8n end-to-end harness: a real n8n (installed once by install-n8n.sh, run on
 * Node 24 as child processes) with the package under test installed the way users
 * install community packages, a throw-away user folder and SQLite database per
 * instance (copied from a template migrated once per n8n install, owner set up), one
 * long-lived `n8n start` per instance that runs workflows through the REST API the editor
 * uses (execute), and the CLI commands import:credentials / import:workflow / execute
 * (executeInNewProcess, for checks whose point is a fresh process) / export:credentials.
 * Credential records are read from the database and decrypted as n8n does.
 *
 * Why a server: every CLI call pays 2-4 s of n8n start-up; a run on the running server
 * takes 0.1-0.5 s. The REST run (n8n 2.38.7 workflows.controller runManually,
 * @n8n/api-types ManualRunDto): POST /rest/workflows/:id/run with
 * {triggerToStartFrom: {name}} (1.x reads {workflowData} instead; both are sent), answers
 * {executionId}; GET /rest/executions/:id then holds the stored run (flatted `data`) once
 * its status is success/error/crashed/canceled. Its mode is 'manual', the CLI's 'cli'.
 *
 * Facts verified against n8n 2.38.7 (read in its dist/ and observed):
 * - Community packages: the `community-packages` backend module scans
 *   `<N8N_USER_FOLDER>/.n8n/nodes/node_modules` for directories `n8n-nodes-*` and
 *   `@*\/n8n-nodes-*` (n8n-core/dist/nodes-loader/scan-directory-for-packages.js),
 *   loading each with LazyPackageDirectoryLoader (falls back to a full load when
 *   `dist/known/*.json` is absent). A UI install (community-packages.service.js
 *   downloadPackage) does: `npm pack <pkg>`, `tar -xzf --strip-components=1` into
 *   `nodes/node_modules/<pkg>`, rewrite its package.json without dev/peer/optional
 *   dependencies, then inside that directory `npm install --audit=false --fund=false
 *   --bin-links=false --install-strategy=shallow --ignore-scripts=true
 *   --package-lock=false`, and records `{name:'installed-nodes', private:true,
 *   dependencies:{<pkg>:<version>}}` in `nodes/package.json`. installPackage() below
 *   repeats exactly these steps with a local tarball. No database row is needed for
 *   the nodes to load. Node type names are `<package name>.<node name>`.
 * - import:credentials: input is a JSON array (or, with --separate, a directory of
 *   one-object *.json files). `data` given as an object is encrypted on import
 *   (cipher.encryptV2); a string is taken as already encrypted. Records:
 *   `{id, name, type, data}`; without `id` the database generates one. Owner is the
 *   instance owner's personal project (shell owner created by migrations).
 * - import:workflow: the input file may hold one workflow or an array (so several
 *   workflows cost one process); each needs `nodes` and `connections`; nodes get a
 *   uuid if they have none; workflows are imported inactive.
 * - execute --id: on success logs (logger.info, so N8N_LOG_LEVEL must be ≤ info)
 *   "Execution was successful:", a line of '=', then JSON.stringify(IRun, null, 2),
 *   exit code 0. On a failed node it logs "Execution was NOT successful. See log
 *   message for details.", "Execution error:", '=' line, the IRun JSON (with
 *   data.resultData.error and the failing node's run carrying `error`), then the
 *   error message and stack; exit code 1 (BaseCommand.finally: error ? 1 : 0).
 * - export:credentials --all --decrypted --output=<file>: a JSON array of
 *   `{id, name, type, data:{…plain…}, …}`, re-importable as is.
 * - Child environment: jest sets NODE_ENV=test, which makes n8n silence its logger and
 *   never exit (backend-common `inTest`); NODE_ENV/JEST_* are therefore not passed on.
 *   Every process that runs workflows (execute, start) starts a task broker on port
 *   5679 unless N8N_RUNNERS_BROKER_PORT says otherwise; each call gets a free port.
 *   The Python runner warning ("virtual environment is missing") is harmless.
 * - Community packages resolve `n8n-workflow` through NODE_PATH, which n8n sets to its
 *   own module paths (load-nodes-and-credentials.js), so peer dependencies need not be
 *   installed next to the package.
 * - N8N_VERSION=1.123.81 (the oldest supported n8n, read in its dist/commands): the same CLI
 *   commands print the same messages, except activation (`update:workflow --active=true`;
 *   1.x has no publish:workflow). Community packages load the same way.
 * - Timings measured here (n8n CLI on Node 24, per call): first call on a fresh folder
 *   ~3.9 s (runs all migrations), import:workflow ~2.1-2.5 s, execute ~2.5-2.9 s,
 *   export:credentials ~2.2 s, `n8n start` ready ~7-9 s, SQLite query ~0.05 s, package
 *   install (no dependencies) ~0.25 s. Self-test total ~25 s.
 */
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const execFileAsync = promisify(execFile);

export interface N8nInstall {
	node24: string;
	n8nBin: string;
	/** Version of the installed n8n (from its package.json), e.g. '2.38.7'. */
	n8nVersion: string;
}

/**
 * The n8n version the e2e tests run against: N8N_VERSION, else install-n8n.sh's default.
 * Each version is installed once, side by side, in ~/.cache/n8n-nodes-msal/n8n-<version>.
 */
export const requestedN8nVersion = (): string | undefined => process.env.N8N_VERSION || undefined;

/** True when the n8n under test is older than `version` (numeric compare of x.y.z). */
export function n8nOlderThan(installed: string, version: string): boolean {
	const a = installed.split('.').map(Number);
	const b = version.split('.').map(Number);
	for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
	return false;
}

/** Fixed encryption key of every harness instance (tests may re-derive with it). */
export const TEST_ENCRYPTION_KEY = 'n8n-nodes-msal-e2e-encryption-key-0001';

/** The owner every harness instance starts with (set up once in the migrated template). */
export const OWNER = {
	email: 'owner@example.test',
	firstName: 'Olga',
	lastName: 'Owner',
	password: 'Owner-Passw0rd',
};

let installPromise: Promise<N8nInstall> | undefined;

/**
 * Runs test/rig/install-n8n.sh (a no-op after the first successful install; it takes a lock
 * per n8n version, so parallel jest workers never install into the same folder twice, while
 * another version can install in the background) and returns the paths it prints.
 */
export function ensureN8nInstalled(): Promise<N8nInstall> {
	installPromise ??= (async () => {
		const script = path.join(__dirname, 'install-n8n.sh');
		const version = requestedN8nVersion();
		const { stdout } = await execFileAsync('bash', [script], {
			maxBuffer: 64 * 1024 * 1024,
			timeout: 30 * 60_000,
			env: { ...process.env, ...(version ? { N8N_VERSION: version } : {}) },
		});
		const node24 = /^NODE24=(.+)$/m.exec(stdout)?.[1];
		const n8nBin = /^N8N_BIN=(.+)$/m.exec(stdout)?.[1];
		if (!node24 || !n8nBin) throw new Error(`install-n8n.sh printed no paths:\n${stdout}`);
		const pkg = JSON.parse(await fsp.readFile(path.join(path.dirname(n8nBin), '..', 'package.json'), 'utf8'));
		return { node24, n8nBin, n8nVersion: String(pkg.version) };
	})();
	installPromise.catch(() => (installPromise = undefined));
	return installPromise;
}

export interface CliResult {
	args: string[];
	exitCode: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	durationMs: number;
}

/** A node's output item as n8n stores it. */
export interface Item {
	json: Record<string, unknown>;
	pairedItem?: { item: number; input?: number } | Array<{ item: number; input?: number }> | number;
	binary?: Record<string, unknown>;
	[key: string]: unknown;
}

export interface ExecutionError {
	message: string;
	description?: string | null;
	name?: string;
	/** Name of the failing node, when n8n recorded it. */
	node?: string;
	httpCode?: string | null;
	[key: string]: unknown;
}

export interface ExecutionResult {
	status: 'success' | 'error';
	exitCode: number | null;
	/** Workflow-level error (data.resultData.error), for status 'error'. */
	error?: ExecutionError;
	lastNodeExecuted?: string;
	/** The run: `{ data: IRunExecutionData, … }`, as `n8n execute` printed it or the server stored it. */
	raw: any;
	/** Items of the given output (default 0) of the given run (default: last) of a node. */
	nodeOutput(nodeName: string, opts?: { outputIndex?: number; runIndex?: number }): Item[];
	/** Error of a node's run (default: last), if that run failed. */
	nodeError(nodeName: string, runIndex?: number): ExecutionError | undefined;
	/** Number of runs recorded for a node (0 when it did not run). */
	nodeRunCount(nodeName: string): number;
	cli: CliResult;
}

export interface CredentialRecord {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
	[key: string]: unknown;
}

export interface StoredExecution {
	id: string;
	workflowId: string;
	status: string;
	finished: boolean;
	mode: string;
	/** The stored run data, decoded from n8n's `flatted` serialisation. */
	data: any;
	/** The stored string exactly as in the database (for "secret never stored" checks). */
	rawData: string;
}

export interface CreateN8nOptions {
	/** `npm pack` tarball of the community package to install. */
	packageTarball: string;
	/** Extra environment for every n8n child, e.g. NODE_EXTRA_CA_CERTS. */
	env?: Record<string, string>;
	/** Keep the user folder on dispose() (for debugging). Also: N8N_E2E_KEEP=1. */
	keep?: boolean;
}

export async function createN8n(opts: CreateN8nOptions): Promise<N8nInstance> {
	const install = await ensureN8nInstalled();
	const instance = new N8nInstance(install, opts);
	await instance.init();
	return instance;
}

function randomId(length = 16): string {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	const bytes = randomBytes(length);
	let id = '';
	for (let i = 0; i < length; i++) id += alphabet[bytes[i] % alphabet.length];
	return id;
}

/** Extracts the first top-level `{ … }` JSON block printed after `marker`. */
function parseJsonAfter(output: string, marker: string): any | undefined {
	const at = output.indexOf(marker);
	if (at < 0) return undefined;
	const lines = output.slice(at).split('\n');
	const start = lines.findIndex((l) => l === '{');
	if (start < 0) return undefined;
	const end = lines.findIndex((l, i) => i > start && l === '}');
	if (end < 0) return undefined;
	return JSON.parse(lines.slice(start, end + 1).join('\n'));
}

/** The environment of every n8n child of the harness, for the user folder `userFolder`. */
function harnessEnv(install: N8nInstall, userFolder: string): Record<string, string> {
	const inherited: Record<string, string> = {};
	for (const [k, v] of Object.entries(process.env)) {
		if (v === undefined) continue;
		// Keep the parent's own n8n/DB settings from leaking into the test instance, and
		// jest's NODE_ENV=test: n8n then silences its logger and never exits (inTest).
		if (/^(N8N_|DB_|EXECUTIONS_|QUEUE_|GENERIC_|JEST_|WEBHOOK_URL$|NODE_OPTIONS$|NODE_ENV$)/.test(k)) continue;
		inherited[k] = v;
	}
	return {
		...inherited,
		PATH: `${path.dirname(install.node24)}${path.delimiter}${process.env.PATH ?? ''}`,
		HOME: userFolder,
		N8N_USER_FOLDER: userFolder,
		DB_TYPE: 'sqlite',
		N8N_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		NO_COLOR: '1',
		FORCE_COLOR: '0',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_REINSTALL_MISSING_PACKAGES: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS: 'true',
	};
}

/** Bump when what the template holds changes. */
const TEMPLATE_RECIPE = 'migrated+owner/1';
const templates = new Map<string, Promise<string>>();

/**
 * A `.n8n` folder with every migration run and the owner set up, built once per n8n install
 * and copied into each instance: the first n8n call on an empty folder costs seconds of
 * migrations, and owner setup needs a running server. Kept beside the install it was made
 * with (a rebuilt install removes it), named after everything that shapes it.
 */
function migratedTemplate(install: N8nInstall): Promise<string> {
	const installDir = path.resolve(path.dirname(install.n8nBin), '..', '..', '..');
	let promise = templates.get(installDir);
	if (!promise) {
		promise = (async () => {
			const installInputs = await fsp.readFile(path.join(installDir, '.complete'), 'utf8').catch(() => '');
			const key = createHash('sha256')
				.update([installInputs, TEMPLATE_RECIPE, TEST_ENCRYPTION_KEY, JSON.stringify(OWNER)].join('|'))
				.digest('hex')
				.slice(0, 16);
			const dir = path.join(installDir, `e2e-home-${key}`);
			if (fs.existsSync(path.join(dir, 'database.sqlite'))) return dir;
			const home = await fsp.mkdtemp(path.join(os.tmpdir(), 'n8n-template-'));
			try {
				const homeEnv = { ...harnessEnv(install, home), N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
				const server = await spawnServer(install, homeEnv, await freePort(), 'template');
				try {
					const response = await fetch(`${server.baseUrl}/rest/owner/setup`, {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: JSON.stringify(OWNER),
					});
					if (!response.ok) throw new Error(`owner setup answered ${response.status}: ${await response.text()}`);
				} finally {
					await server.stop();
				}
				const staged = `${dir}.${process.pid}.tmp`;
				await fsp.rm(staged, { recursive: true, force: true });
				await fsp.cp(path.join(home, '.n8n'), staged, {
					recursive: true,
					filter: (source) => !/n8nEventLog|crash\.journal|\.log$/.test(path.basename(source)),
				});
				// Another jest worker may have published it first: theirs is as good.
				await fsp.rename(staged, dir).catch(() => fsp.rm(staged, { recursive: true, force: true }));
				return dir;
			} finally {
				await fsp.rm(home, { recursive: true, force: true });
			}
		})();
		promise.catch(() => templates.delete(installDir));
		templates.set(installDir, promise);
	}
	return promise;
}

interface SpawnedServer {
	proc: ReturnType<typeof spawn>;
	port: number;
	baseUrl: string;
	exited: Promise<void>;
	output(): string;
	stop(): Promise<void>;
}

/** `n8n start` on `port`; resolves when n8n is ready and serves its REST API. */
async function spawnServer(
	install: N8nInstall,
	baseEnv: Record<string, string>,
	port: number,
	label: string,
	onOutput: (chunk: string) => void = () => undefined,
	timeoutMs = 120_000,
): Promise<SpawnedServer> {
	const env: Record<string, string> = {
		...baseEnv,
		N8N_PORT: String(port),
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
	};
	const proc = spawn(install.node24, [install.n8nBin, 'start'], {
		cwd: env.N8N_USER_FOLDER,
		env,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	const append = (d: string) => ((output += d), onOutput(d));
	proc.stdout!.setEncoding('utf8').on('data', append);
	proc.stderr!.setEncoding('utf8').on('data', append);
	const exited = new Promise<void>((resolve) => proc.on('close', () => resolve()));
	let dead = false;
	void exited.then(() => (dead = true));
	const stop = async () => {
		if (proc.exitCode === null && proc.signalCode === null) {
			proc.kill('SIGTERM');
			const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
			await exited;
			clearTimeout(timer);
		}
	};
	const baseUrl = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline && !dead) {
		try {
			// n8n 1.x reports ready before it mounts its REST routes.
			const ready = (await fetch(`${baseUrl}/healthz/readiness`)).ok;
			if (ready && (await fetch(`${baseUrl}/rest/settings`)).status !== 404)
				return { proc, port, baseUrl, exited, output: () => output, stop };
		} catch {
			/* not listening yet */
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	await stop();
	throw new Error(`n8n start (${label}) did not become ready:\n${output}`);
}

/** Statuses of an execution that has ended. */
const ENDED = new Set(['success', 'error', 'crashed', 'canceled']);

const BROWSER_ID = 'n8n-nodes-msal-e2e';

function flattedOf(install: N8nInstall): { parse(s: string): any } {
	const flattedPath = require.resolve('flatted', { paths: [path.resolve(path.dirname(install.n8nBin), '..')] });
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- loads a module from n8n's own install at run time
	return require(flattedPath) as { parse(s: string): any };
}

/** An ExecutionResult over a run (`raw.data` is n8n's IRunExecutionData). */
function runResult(status: 'success' | 'error', raw: any, cli: CliResult): ExecutionResult {
	const runData: Record<string, any[]> = raw?.data?.resultData?.runData ?? {};
	const pickRun = (nodeName: string, runIndex?: number) => {
		const runs = runData[nodeName];
		if (!runs || runs.length === 0) return undefined;
		return runs[runIndex ?? runs.length - 1];
	};
	const toError = (e: any): ExecutionError | undefined =>
		e
			? { ...e, message: e.message, description: e.description, name: e.name, node: e.node?.name ?? e.node }
			: undefined;
	return {
		status,
		exitCode: cli.exitCode,
		error: toError(raw?.data?.resultData?.error),
		lastNodeExecuted: raw?.data?.resultData?.lastNodeExecuted,
		raw,
		cli,
		nodeOutput(nodeName, opts = {}) {
			const run = pickRun(nodeName, opts.runIndex);
			if (!run)
				throw new Error(
					`node "${nodeName}" did not run (ran: ${Object.keys(runData).join(', ')}; error: ${raw?.data?.resultData?.error?.message ?? 'none'})`,
				);
			return (run.data?.main?.[opts.outputIndex ?? 0] ?? []) as Item[];
		},
		nodeError(nodeName, runIndex) {
			return toError(pickRun(nodeName, runIndex)?.error);
		},
		nodeRunCount(nodeName) {
			return runData[nodeName]?.length ?? 0;
		},
	};
}

/** n8n's credential encryption (n8n-core Cipher, aes-256-cbc with OpenSSL's salted key derivation). */
export function decryptCredentialData(data: string, key = TEST_ENCRYPTION_KEY): Record<string, unknown> {
	const input = Buffer.from(data, 'base64');
	const salt = input.subarray(8, 16);
	const password = Buffer.concat([Buffer.from(key, 'binary'), salt]);
	const md5 = (b: Buffer) => createHash('md5').update(b).digest();
	const hash1 = md5(password);
	const hash2 = md5(Buffer.concat([hash1, password]));
	const iv = md5(Buffer.concat([hash2, password]));
	const decipher = createDecipheriv('aes-256-cbc', Buffer.concat([hash1, hash2]), iv);
	return JSON.parse(Buffer.concat([decipher.update(input.subarray(16)), decipher.final()]).toString('utf8'));
}

export class N8nInstance {
	readonly userFolder: string;
	readonly n8nFolder: string;
	readonly nodesFolder: string;
	readonly dbFile: string;
	readonly env: Record<string, string>;
	/** Version of the n8n under test, e.g. '2.38.7' or '1.123.81'. */
	readonly n8nVersion: string;
	/** Name of the installed package (from its package.json), set by init(). */
	packageName = '';
	packageVersion = '';

	private readonly logParts: string[] = [];
	private server?: SpawnedServer;
	/** The owner's session cookie on the running server. */
	private session?: Promise<string>;
	private readonly install: N8nInstall;
	private readonly opts: CreateN8nOptions;

	constructor(install: N8nInstall, opts: CreateN8nOptions) {
		this.install = install;
		this.opts = opts;
		this.n8nVersion = install.n8nVersion;
		this.userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-'));
		this.n8nFolder = path.join(this.userFolder, '.n8n');
		this.nodesFolder = path.join(this.n8nFolder, 'nodes');
		this.dbFile = path.join(this.n8nFolder, 'database.sqlite');

		this.env = { ...harnessEnv(install, this.userFolder), ...(opts.env ?? {}) };
	}

	/** Creates the user folder layout and installs the package. Called by createN8n. */
	async init(): Promise<void> {
		if (this.env.DB_TYPE === 'sqlite')
			await fsp.cp(await migratedTemplate(this.install), this.n8nFolder, { recursive: true });
		await fsp.mkdir(this.nodesFolder, { recursive: true });
		await this.installPackage(this.opts.packageTarball);
	}

	/** Installs a community package tarball exactly like n8n's UI install does. */
	async installPackage(tarball: string): Promise<void> {
		const t0 = Date.now();
		const staging = await fsp.mkdtemp(path.join(this.userFolder, 'pkg-'));
		await execFileAsync('tar', ['-xzf', path.resolve(tarball), '-C', staging, '--strip-components=1']);
		const pkgJson = JSON.parse(await fsp.readFile(path.join(staging, 'package.json'), 'utf8'));
		const { devDependencies, peerDependencies, optionalDependencies, ...stripped } = pkgJson;
		void devDependencies;
		void peerDependencies;
		void optionalDependencies;
		const dest = path.join(this.nodesFolder, 'node_modules', pkgJson.name);
		await fsp.mkdir(path.dirname(dest), { recursive: true });
		await fsp.rm(dest, { recursive: true, force: true });
		await fsp.rename(staging, dest);
		await fsp.writeFile(path.join(dest, 'package.json'), JSON.stringify(stripped, null, 2));
		const npm = await execFileAsync(
			'npm',
			[
				'install',
				'--audit=false',
				'--fund=false',
				'--bin-links=false',
				'--install-strategy=shallow',
				'--ignore-scripts=true',
				'--package-lock=false',
			],
			{ cwd: dest, env: this.env, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 },
		);
		this.logParts.push(`$ npm install (in ${dest})\n${npm.stdout}${npm.stderr}`);
		const ledgerPath = path.join(this.nodesFolder, 'package.json');
		const ledger = fs.existsSync(ledgerPath)
			? JSON.parse(await fsp.readFile(ledgerPath, 'utf8'))
			: { name: 'installed-nodes', private: true, dependencies: {} };
		ledger.dependencies[pkgJson.name] = pkgJson.version;
		await fsp.writeFile(ledgerPath, JSON.stringify(ledger, null, 2));
		this.packageName = pkgJson.name;
		this.packageVersion = pkgJson.version;
		this.timing('installPackage', Date.now() - t0);
	}

	/** Node type name of a node of the installed package, e.g. `n8n-nodes-msal.msalAcquireToken`. */
	nodeType(nodeName: string): string {
		return `${this.packageName}.${nodeName}`;
	}

	/** Runs `n8n <args>` on Node 24 with the instance's environment. Never throws on exit codes. */
	async cli(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
		const t0 = Date.now();
		const timeoutMs = opts.timeoutMs ?? 180_000;
		// Every n8n process that runs workflows starts a task broker on a fixed port (5679)
		// unless told otherwise; a free port per call lets instances run in parallel.
		const env = { N8N_RUNNERS_BROKER_PORT: String(await freePort()), ...this.env, ...opts.env };
		const child = spawn(this.install.node24, [this.install.n8nBin, ...args], {
			cwd: this.userFolder,
			env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
		child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
			child.on('error', reject);
			child.on('close', (code, sig) => resolve([code, sig]));
		}).finally(() => clearTimeout(timer));
		const result: CliResult = { args, exitCode, signal, stdout, stderr, durationMs: Date.now() - t0 };
		this.logParts.push(
			`$ n8n ${args.join(' ')}  (exit ${exitCode ?? signal}, ${result.durationMs} ms)\n${stdout}${stderr ? `\n[stderr]\n${stderr}` : ''}`,
		);
		this.timing(`n8n ${args[0]}`, result.durationMs);
		return result;
	}

	private async cliOk(args: string[], expect: RegExp): Promise<CliResult> {
		const r = await this.cli(args);
		const out = r.stdout + r.stderr;
		if (r.exitCode !== 0 || !expect.test(out)) {
			throw new Error(`n8n ${args.join(' ')} failed (exit ${r.exitCode ?? r.signal}):\n${out}`);
		}
		return r;
	}

	private async writeTemp(prefix: string, content: unknown): Promise<string> {
		const dir = path.join(this.userFolder, 'io');
		await fsp.mkdir(dir, { recursive: true });
		const file = path.join(dir, `${prefix}-${randomId(8)}.json`);
		await fsp.writeFile(file, JSON.stringify(content, null, 2), { mode: 0o600 });
		return file;
	}

	/**
	 * Imports credentials with plaintext `data` (n8n encrypts them on import). Records
	 * without `id` get a random 16-character id, returned in order.
	 */
	async importCredentials(
		creds: Array<Partial<CredentialRecord> & { name: string; type: string; data: object }>,
	): Promise<string[]> {
		const records = creds.map((c) => ({ ...c, id: c.id ?? randomId() }));
		const file = await this.writeTemp('credentials', records);
		try {
			await this.cliOk(['import:credentials', `--input=${file}`], /Successfully imported \d+ credential/);
		} finally {
			await fsp.rm(file, { force: true });
		}
		return records.map((r) => r.id);
	}

	/**
	 * Imports one or several workflows in one n8n process. Workflows without `id` get a
	 * random one; `active` defaults to false, `settings` to {}. Returns the ids in order.
	 * Import credentials first: nodes refer to them by `{ id, name }`.
	 */
	async importWorkflows(workflows: object[]): Promise<string[]> {
		const records = workflows.map((w: any) => ({
			active: false,
			settings: {},
			connections: {},
			...w,
			id: w.id ?? randomId(),
			name: w.name ?? 'e2e workflow',
		}));
		const file = await this.writeTemp('workflows', records);
		await this.cliOk(['import:workflow', `--input=${file}`], /Successfully imported \d+ workflow/);
		return records.map((r) => r.id);
	}

	async importWorkflow(workflow: object): Promise<string> {
		return (await this.importWorkflows([workflow]))[0];
	}

	/**
	 * Activates a workflow, so n8n serves its production webhooks. While the server runs on n8n
	 * 2.x, through the editor's REST call (POST /rest/workflows/:id/activate), which registers the
	 * webhooks at once. Otherwise `n8n publish:workflow --id` (n8n 2.x's activation;
	 * `update:workflow --active` is deprecated), or on n8n 1.x `update:workflow --active=true`:
	 * those take effect at the next server start, so a running server is restarted.
	 */
	async publishWorkflow(workflowId: string): Promise<void> {
		const running = this.server?.port;
		if (running !== undefined && !n8nOlderThan(this.n8nVersion, '2.0.0')) {
			const { versionId } = (await this.rest<{ data: { versionId: string } }>('GET', `/rest/workflows/${workflowId}`))
				.data;
			await this.rest('POST', `/rest/workflows/${workflowId}/activate`, { versionId });
			return;
		}
		if (running !== undefined) {
			await this.stopServer();
			await this.publishWorkflow(workflowId);
			await this.startServer({ port: running });
			return;
		}
		if (n8nOlderThan(this.n8nVersion, '2.0.0')) {
			await this.cliOk(['update:workflow', `--id=${workflowId}`, '--active=true'], /Activating workflow with ID/);
			return;
		}
		await this.cliOk(['publish:workflow', `--id=${workflowId}`], /Publishing workflow with ID/);
	}

	/**
	 * Runs a workflow from its Manual Trigger on this instance's long-lived `n8n start` (started
	 * on first use), through the REST endpoint the editor's "Execute workflow" uses, and waits for
	 * the stored run. The server keeps the package's in-process state between runs; a check of
	 * what survives only through the credential store uses executeInNewProcess.
	 */
	async execute(workflowId: string, opts: { timeoutMs?: number } = {}): Promise<ExecutionResult> {
		const t0 = Date.now();
		await this.startServer();
		const logFrom = this.serverLog().length;
		const workflow = (await this.rest<any>('GET', `/rest/workflows/${workflowId}`)).data;
		const trigger = (workflow.nodes as Array<{ name: string; type: string }>).find((node) =>
			/manualTrigger$/i.test(node.type),
		);
		if (!trigger) throw new Error(`workflow ${workflowId} has no Manual Trigger to run it from`);
		// n8n 2.x reads the workflow from the database and this trigger; 1.x runs `workflowData`.
		const started = await this.rest<any>('POST', `/rest/workflows/${workflowId}/run`, {
			workflowData: workflow,
			triggerToStartFrom: { name: trigger.name },
			startNodes: [],
		});
		const executionId = started.data?.executionId;
		if (!executionId) throw new Error(`n8n did not start workflow ${workflowId}: ${JSON.stringify(started)}`);
		const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
		let execution: any;
		let data: any;
		for (;;) {
			execution = (await this.rest<any>('GET', `/rest/executions/${executionId}`)).data;
			data = typeof execution?.data === 'string' ? flattedOf(this.install).parse(execution.data) : execution?.data;
			// n8n 1.x may store the ended status before the run data of the last node.
			const result = data?.resultData;
			if (ENDED.has(execution?.status) && execution.stoppedAt && (result?.lastNodeExecuted || result?.error)) break;
			if (Date.now() > deadline) throw new Error(`execution ${executionId} did not end: ${execution?.status}`);
			await new Promise((r) => setTimeout(r, 50));
		}
		const status = execution.status === 'success' && !data?.resultData?.error ? 'success' : 'error';
		const output = this.serverLog().slice(logFrom);
		const cli: CliResult = {
			args: ['execute (server)', `--id=${workflowId}`],
			exitCode: status === 'success' ? 0 : 1,
			signal: null,
			stdout: output,
			stderr: '',
			durationMs: Date.now() - t0,
		};
		this.timing('execute (server)', cli.durationMs);
		return runResult(status, { data, status: execution.status, mode: execution.mode }, cli);
	}

	/**
	 * `n8n execute --id` in a new n8n process: runs the workflow from its trigger and parses the
	 * printed run. For the checks whose point is a fresh process (nothing in memory survives), or
	 * an environment for that one process (`env`, on top of the instance's).
	 */
	async executeInNewProcess(workflowId: string, env: Record<string, string> = {}): Promise<ExecutionResult> {
		const cli = await this.cli(['execute', `--id=${workflowId}`], { env });
		const out = cli.stdout + '\n' + cli.stderr;
		let raw: any;
		let status: 'success' | 'error';
		if (out.includes('Execution was successful:')) {
			raw = parseJsonAfter(out, 'Execution was successful:');
			status = 'success';
		} else if (out.includes('Execution was NOT successful')) {
			raw = parseJsonAfter(out, 'Execution was NOT successful');
			status = 'error';
		} else {
			throw new Error(`n8n execute printed no run (exit ${cli.exitCode ?? cli.signal}):\n${out}`);
		}
		if (raw === undefined) throw new Error(`could not parse the run printed by n8n execute:\n${out}`);
		return runResult(status, raw, cli);
	}

	/** A request to the running server's REST API as the owner (signed in on first use). */
	async rest<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
		if (!this.server) throw new Error('the n8n server is not running');
		const baseUrl = this.server.baseUrl;
		this.session ??= (async () => {
			// A PostgreSQL database (queue mode) starts without the template's owner.
			if (this.env.DB_TYPE !== 'sqlite')
				await fetch(`${baseUrl}/rest/owner/setup`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify(OWNER),
				});
			const response = await fetch(`${baseUrl}/rest/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID },
				// n8n 2.x names the field emailOrLdapLoginId; 1.x reads email.
				body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, email: OWNER.email, password: OWNER.password }),
			});
			const cookie = /n8n-auth=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0];
			if (!response.ok || !cookie) throw new Error(`n8n login answered ${response.status}: ${await response.text()}`);
			return cookie;
		})();
		this.session.catch(() => (this.session = undefined));
		const response = await fetch(`${baseUrl}${route}`, {
			method,
			headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID, cookie: await this.session },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		if (!response.ok) throw new Error(`n8n ${method} ${route} answered ${response.status}: ${text.slice(0, 2000)}`);
		return JSON.parse(text) as T;
	}

	private serverLog(): string {
		return this.server?.output() ?? '';
	}

	/**
	 * Every stored credential in plaintext, read from the database and decrypted with the
	 * instance's key as n8n does (harness.test.ts checks it against `n8n export:credentials`).
	 * n8n has no interface that returns a credential's secret fields.
	 */
	async exportCredentials(): Promise<CredentialRecord[]> {
		if (this.env.DB_TYPE !== 'sqlite') return this.exportCredentialsWithCli();
		const rows = await this.query<CredentialRecord & { data: string }>(
			'SELECT id, name, type, data, createdAt, updatedAt FROM credentials_entity ORDER BY id',
		);
		return rows.map((row) => ({ ...row, data: decryptCredentialData(row.data) }));
	}

	/** `n8n export:credentials --all --decrypted`: every stored credential in plaintext. */
	async exportCredentialsWithCli(): Promise<CredentialRecord[]> {
		const dir = path.join(this.userFolder, 'io');
		await fsp.mkdir(dir, { recursive: true });
		const file = path.join(dir, `export-${randomId(8)}.json`);
		try {
			await this.cliOk(['export:credentials', '--all', '--decrypted', `--output=${file}`], /Successfully exported/);
			return JSON.parse(await fsp.readFile(file, 'utf8'));
		} finally {
			await fsp.rm(file, { force: true });
		}
	}

	async exportCredential(id: string): Promise<CredentialRecord> {
		const found = (await this.exportCredentials()).find((c) => c.id === id);
		if (!found) throw new Error(`credential ${id} not found`);
		return found;
	}

	/**
	 * Runs a read-only SQL query against the instance's SQLite database with the sqlite3
	 * module of the n8n install (Node 24). Cheap (~0.2 s); waits while n8n writes.
	 */
	async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
		const n8nModules = path.resolve(path.dirname(this.install.n8nBin), '..', '..');
		const script = `
      const sqlite3 = require(${JSON.stringify(path.join(n8nModules, 'sqlite3'))});
      const db = new sqlite3.Database(process.argv[1], sqlite3.OPEN_READONLY);
      db.configure('busyTimeout', 10000);
      db.all(process.argv[2], JSON.parse(process.argv[3]), (err, rows) => {
        if (err) { console.error(err.message); process.exit(1); }
        process.stdout.write(JSON.stringify(rows));
        db.close();
      });`;
		const { stdout } = await execFileAsync(
			this.install.node24,
			['-e', script, this.dbFile, sql, JSON.stringify(params)],
			{
				maxBuffer: 256 * 1024 * 1024,
			},
		);
		return JSON.parse(stdout);
	}

	/** Stored executions (newest last) with their run data, read from the database. */
	async executions(): Promise<StoredExecution[]> {
		const rows = await this.query<any>(
			`SELECT e.id, e.workflowId, e.status, e.finished, e.mode, d.data AS rawData
         FROM execution_entity e LEFT JOIN execution_data d ON d.executionId = e.id
        ORDER BY e.id`,
		);
		const flatted = flattedOf(this.install);
		return rows.map((r: any) => ({
			id: String(r.id),
			workflowId: r.workflowId,
			status: r.status,
			finished: !!r.finished,
			mode: r.mode,
			rawData: r.rawData ?? '',
			data: r.rawData ? flatted.parse(r.rawData) : undefined,
		}));
	}

	/** The stored (encrypted) credential rows, for "plaintext never stored" checks. */
	async storedCredentialRows(): Promise<Array<{ id: string; name: string; type: string; data: string }>> {
		return this.query('SELECT id, name, type, data FROM credentials_entity ORDER BY id');
	}

	/** Everything every child printed so far (npm install, each n8n CLI call, the server). */
	logs(): string {
		return this.logParts.join('\n');
	}

	/**
	 * `n8n start` on a loopback port (free, or `port`); resolves when /healthz/readiness answers.
	 * A server already running on another port than `port` is restarted on it.
	 */
	async startServer(opts: { port?: number; timeoutMs?: number } = {}): Promise<{ baseUrl: string; port: number }> {
		if (this.server && (opts.port === undefined || opts.port === this.server.port))
			return { baseUrl: this.server.baseUrl, port: this.server.port };
		await this.stopServer();
		const port = opts.port ?? (await freePort());
		const t0 = Date.now();
		const idx = this.logParts.push(`$ n8n start (port ${port})\n`) - 1;
		const env = { N8N_RUNNERS_BROKER_PORT: String(await freePort()), ...this.env };
		this.server = await spawnServer(
			this.install,
			env,
			port,
			this.userFolder,
			(chunk) => (this.logParts[idx] += chunk),
			opts.timeoutMs,
		);
		this.timing('n8n start (ready)', Date.now() - t0);
		return { baseUrl: this.server.baseUrl, port };
	}

	async stopServer(): Promise<void> {
		const server = this.server;
		if (!server) return;
		this.server = undefined;
		this.session = undefined;
		await server.stop();
	}

	async dispose(): Promise<void> {
		await this.stopServer();
		if (this.opts.keep || process.env.N8N_E2E_KEEP === '1') {
			process.stderr.write(`[n8n harness] kept user folder ${this.userFolder}\n`);
			return;
		}
		await fsp.rm(this.userFolder, { recursive: true, force: true });
	}

	/** Durations of every step so far, in ms (name → list). */
	readonly timings: Record<string, number[]> = {};
	private timing(name: string, ms: number): void {
		(this.timings[name] ??= []).push(ms);
	}
}

export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
	});
}
