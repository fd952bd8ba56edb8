/**
 * A real queue-mode n8n: one `n8n start` main and two `n8n worker` processes sharing one
 * PostgreSQL database, one Redis queue, one user folder (so the package is installed once,
 * the way users install it, and every process loads the same copy) and one encryption key.
 * The harness's N8nInstance does the install, imports and exports (its CLI calls inherit
 * the PostgreSQL settings through `env`), and runs the main; this file adds the workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createN8n, ensureN8nInstalled, freePort, type N8nInstance } from '../rig/n8n';
import { startQueueServices, type QueueServices } from './services';

export interface Worker {
	name: string;
	proc: ChildProcess;
	healthPort: number;
	log: string;
}

export interface QueueCluster {
	n8n: N8nInstance;
	services: QueueServices;
	baseUrl: string;
	workers: Worker[];
	/** `env` is added to the workers' environment (e.g. to turn a feature off for a comparison). */
	startWorkers(env?: Record<string, string>): Promise<void>;
	stopWorkers(): Promise<void>;
	/**
	 * Stops and starts main and workers (the database and queue survive). `env` changes their
	 * environment from then on (undefined removes a variable), e.g. to move them to another Redis.
	 */
	restart(env?: Record<string, string | undefined>): Promise<void>;
	dispose(): Promise<void>;
}

async function waitReady(
	url: string,
	proc: ChildProcess,
	what: string,
	log: () => string,
	timeoutMs = 120_000,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited:\n${log()}`);
		try {
			if ((await fetch(url)).ok) return;
		} catch {
			/* not listening yet */
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`${what} not ready within ${timeoutMs} ms:\n${log()}`);
}

export async function startQueueCluster(opts: {
	packageTarball: string;
	env: Record<string, string>;
	workers?: number;
	/** The main's port, kept across restarts (a credential's redirect URI names it). */
	port?: number;
}): Promise<QueueCluster> {
	const services = await startQueueServices();
	const install = await ensureN8nInstalled();
	let n8n: N8nInstance | undefined;
	try {
		n8n = await createN8n({ packageTarball: opts.packageTarball, env: { ...opts.env, ...services.n8nEnv() } });
	} catch (error) {
		await services.stop();
		throw error;
	}
	const instance = n8n;
	const workers: Worker[] = [];
	let baseUrl = '';

	const port = opts.port ?? (await freePort());
	const startWorkers = async (extraEnv: Record<string, string> = {}) => {
		for (let i = 0; i < (opts.workers ?? 2); i++) {
			const healthPort = await freePort();
			const env = {
				...instance.env,
				N8N_RUNNERS_BROKER_PORT: String(await freePort()),
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				QUEUE_HEALTH_CHECK_PORT: String(healthPort),
				N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
				// Log job ids, so a test can tell which worker ran which execution.
				N8N_LOG_LEVEL: 'debug',
				...extraEnv,
			};
			const proc = spawn(install.node24, [install.n8nBin, 'worker', '--concurrency=10'], {
				cwd: instance.userFolder,
				env,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			const worker: Worker = { name: `worker${i + 1}`, proc, healthPort, log: '' };
			proc.stdout!.setEncoding('utf8').on('data', (d: string) => (worker.log += d));
			proc.stderr!.setEncoding('utf8').on('data', (d: string) => (worker.log += d));
			workers.push(worker);
		}
		await Promise.all(
			workers.map((w) => waitReady(`http://127.0.0.1:${w.healthPort}/healthz/readiness`, w.proc, w.name, () => w.log)),
		);
	};

	const stopWorkers = async () => {
		await Promise.all(
			workers.splice(0).map(
				(w) =>
					new Promise<void>((resolve) => {
						if (w.proc.exitCode !== null || w.proc.signalCode !== null) return resolve();
						w.proc.once('close', () => resolve());
						w.proc.kill('SIGTERM');
						setTimeout(() => w.proc.kill('SIGKILL'), 20_000).unref();
					}),
			),
		);
	};

	const cluster: QueueCluster = {
		n8n: instance,
		services,
		get baseUrl() {
			return baseUrl;
		},
		workers,
		startWorkers,
		stopWorkers,
		restart: async (env = {}) => {
			await stopWorkers();
			await instance.stopServer();
			for (const [name, value] of Object.entries(env)) {
				if (value === undefined) delete instance.env[name];
				else instance.env[name] = value;
			}
			baseUrl = (await instance.startServer({ port })).baseUrl;
			await startWorkers();
		},
		dispose: async () => {
			await stopWorkers();
			await instance.dispose();
			await services.stop();
		},
	};
	try {
		baseUrl = (await instance.startServer({ port })).baseUrl;
		await startWorkers();
	} catch (error) {
		await cluster.dispose();
		throw error;
	}
	return cluster;
}
