/**
 * PostgreSQL and Redis for queue-mode n8n, from Debian's packages, started by the test
 * suite itself so that `.ci/run` on a fresh machine needs nothing prepared. Each runs on a
 * free loopback port with its data in a temporary folder, and is stopped (and the folder
 * removed) by `stop()`.
 *
 * Why `runuser -u postgres`: PostgreSQL refuses to run as root, and the suite runs as root
 * in CI. Why install on demand: the image may carry PostgreSQL 15's server binaries
 * (`/usr/lib/postgresql/15/bin`) but never Redis; `apt-get update` runs at most once.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../rig/n8n';

let aptUpdated = false;
function aptInstall(packages: string[]): void {
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	if (!aptUpdated) {
		execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
		aptUpdated = true;
	}
	execFileSync('apt-get', ['install', '-y', '-q', ...packages], { stdio: 'ignore', env });
}

function postgresBin(): string {
	const root = '/usr/lib/postgresql';
	const find = () =>
		fs.existsSync(root)
			? fs
					.readdirSync(root)
					.map((v) => path.join(root, v, 'bin'))
					.filter((b) => fs.existsSync(path.join(b, 'postgres')))
					.sort()
					.pop()
			: undefined;
	let bin = find();
	if (!bin) {
		aptInstall(['postgresql']);
		bin = find();
	}
	if (!bin) throw new Error('PostgreSQL server binaries not found after installing Debian package postgresql');
	return bin;
}

function redisBin(): string {
	const candidates = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];
	let bin = candidates.find((c) => fs.existsSync(c));
	if (!bin) {
		aptInstall(['redis-server']);
		bin = candidates.find((c) => fs.existsSync(c));
	}
	if (!bin) throw new Error('redis-server not found after installing Debian package redis-server');
	return bin;
}

async function waitForPort(port: number, proc: ChildProcess, what: string, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
		const ok = await new Promise<boolean>((resolve) => {
			const s = net.connect(port, '127.0.0.1');
			s.once('connect', () => (s.destroy(), resolve(true)));
			s.once('error', () => resolve(false));
		});
		if (ok) return;
		await new Promise((r) => setTimeout(r, 200));
	}
	throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
}

/** A port whose cluster bus port (port + 10000, Redis's rule) is free too. */
async function clusterPort(): Promise<number> {
	const free = (port: number) =>
		new Promise<boolean>((resolve) => {
			const srv = net.createServer();
			srv.once('error', () => resolve(false));
			srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
		});
	for (;;) {
		const port = await freePort();
		if (port + 10000 <= 65535 && (await free(port + 10000))) return port;
	}
}

export interface RedisCluster {
	nodes: Array<{ host: string; port: number }>;
	/** n8n's settings for it: QUEUE_BULL_REDIS_CLUSTER_NODES (n8n then wraps its Bull prefix in `{…}`). */
	n8nEnv(): Record<string, string>;
	stop(): Promise<void>;
}

/**
 * A Redis cluster of `count` primaries on loopback (no replicas), as an administrator builds
 * one: `redis-server --cluster-enabled yes` per node, then `redis-cli --cluster create`
 * (redis-cli comes with Debian's redis-server, through redis-tools).
 */
export async function startRedisCluster(count = 3): Promise<RedisCluster> {
	const bin = redisBin();
	const cli = path.join(path.dirname(bin), 'redis-cli');
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msal-redis-cluster-'));
	const procs: ChildProcess[] = [];
	const nodes: RedisCluster['nodes'] = [];
	const stop = async () => {
		await Promise.all(
			procs.map(
				(p) =>
					new Promise<void>((resolve) => {
						if (p.exitCode !== null || p.signalCode !== null) return resolve();
						p.once('exit', () => resolve());
						p.kill('SIGKILL');
					}),
			),
		);
		fs.rmSync(dir, { recursive: true, force: true });
	};
	try {
		for (let i = 0; i < count; i++) {
			const port = await clusterPort();
			const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
			args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`);
			procs.push(spawn(bin, args, { stdio: 'ignore' }));
			nodes.push({ host: '127.0.0.1', port });
		}
		await Promise.all(nodes.map((n, i) => waitForPort(n.port, procs[i], `redis-server (cluster node ${n.port})`)));
		const addresses = nodes.map((n) => `${n.host}:${n.port}`);
		execFileSync(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
			stdio: 'ignore',
		});
		const deadline = Date.now() + 30_000;
		const clusterOk = () =>
			nodes.every((n) =>
				/cluster_state:ok/.test(execFileSync(cli, ['-p', String(n.port), 'cluster', 'info'], { encoding: 'utf8' })),
			);
		while (!clusterOk()) {
			if (Date.now() > deadline) throw new Error('the Redis cluster did not reach cluster_state:ok within 30 s');
			await new Promise((r) => setTimeout(r, 200));
		}
		return {
			nodes,
			n8nEnv: () => ({ QUEUE_BULL_REDIS_CLUSTER_NODES: addresses.join(',') }),
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}

export interface QueueServices {
	postgres: { host: string; port: number; user: string; password: string; database: string };
	redis: { host: string; port: number };
	/** Environment for n8n processes: DB_TYPE=postgresdb, QUEUE_BULL_REDIS_*. */
	n8nEnv(): Record<string, string>;
	stop(): Promise<void>;
}

export async function startQueueServices(): Promise<QueueServices> {
	const pgBin = postgresBin();
	const redis = redisBin();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msal-queue-'));
	fs.chmodSync(dir, 0o755);
	const pgData = path.join(dir, 'pg');
	fs.mkdirSync(pgData);
	const asRoot = process.getuid?.() === 0;
	if (asRoot) execFileSync('chown', ['postgres:postgres', pgData]);
	const asPostgres = (bin: string, args: string[]): [string, string[]] =>
		asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];

	// Password auth over TCP only; the password is a throw-away for this temp cluster.
	const password = 'n8n-queue-test';
	const pwFile = path.join(dir, 'pw');
	fs.writeFileSync(pwFile, password);
	if (asRoot) execFileSync('chown', ['postgres:postgres', pwFile]);
	const [initCmd, initArgs] = asPostgres(path.join(pgBin, 'initdb'), [
		'-D',
		pgData,
		'-U',
		'n8n',
		'--pwfile',
		pwFile,
		'-A',
		'scram-sha-256',
		'-E',
		'UTF8',
	]);
	execFileSync(initCmd, initArgs, { stdio: 'ignore' });

	const pgPort = await freePort();
	const [pgCmd, pgArgs] = asPostgres(path.join(pgBin, 'postgres'), [
		'-D',
		pgData,
		'-p',
		String(pgPort),
		'-c',
		'listen_addresses=127.0.0.1',
		'-c',
		`unix_socket_directories=${pgData}`,
		'-c',
		'fsync=off',
		'-c',
		'max_connections=200',
	]);
	const pg = spawn(pgCmd, pgArgs, { stdio: 'ignore', detached: false });
	await waitForPort(pgPort, pg, 'postgres');
	// The database n8n uses; createdb over TCP with the password.
	execFileSync(path.join(pgBin, 'createdb'), ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'n8n', 'n8n'], {
		env: { ...process.env, PGPASSWORD: password },
		stdio: 'ignore',
	});

	const redisPort = await freePort();
	const rd = spawn(
		redis,
		['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
		{ stdio: 'ignore' },
	);
	await waitForPort(redisPort, rd, 'redis-server');

	const services: QueueServices = {
		postgres: { host: '127.0.0.1', port: pgPort, user: 'n8n', password, database: 'n8n' },
		redis: { host: '127.0.0.1', port: redisPort },
		n8nEnv: () => ({
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(pgPort),
			DB_POSTGRESDB_USER: 'n8n',
			DB_POSTGRESDB_PASSWORD: password,
			DB_POSTGRESDB_DATABASE: 'n8n',
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redisPort),
		}),
		stop: async () => {
			const stopOne = (p: ChildProcess) =>
				new Promise<void>((resolve) => {
					if (p.exitCode !== null || p.signalCode !== null) return resolve();
					p.once('exit', () => resolve());
					p.kill('SIGTERM');
					setTimeout(() => p.kill('SIGKILL'), 10_000).unref();
				});
			await Promise.all([stopOne(pg), stopOne(rd)]);
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
	return services;
}
