/**
 * Renewal coordination's Redis client (ioredis, nodes/core/queueRedis*.ts) against a real
 * redis-server, a real 3-node Redis cluster, and two loopback servers that misbehave: one
 * accepts connections and never answers, one answers with a reply nested 100,000 deep. The
 * checks that are about a process (does it exit, does it crash) run in a child process that
 * renews like an n8n worker (support/renewInChild.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import * as net from 'node:net';
import * as path from 'node:path';
import { Cluster, Redis } from 'ioredis';

import { setLogSink } from '../../nodes/core/logging';
import { COMMAND_TIMEOUT_MS, createQueueRedis, describeQueueRedis } from '../../nodes/core/queueRedisClient';
import { QueueRedisConnection, type QueueRedisTiming } from '../../nodes/core/queueRedisConnection';
import { queueRedisFromEnv } from '../../nodes/core/queueRedisSettings';
import { RenewalCoordinator, RenewedElsewhereError } from '../../nodes/core/renewalLease';
import { freePort } from '../rig/n8n';
import { startRedisCluster, type RedisCluster } from './services';

const PASSWORD = 'queue-redis-pw';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const logs: Array<{ level: string; message: string }> = [];
const warnings = () => logs.filter((l) => l.level === 'warn').map((l) => l.message);

/** A coordinator on the Redis that `env` (n8n's variables) names, with its own connection. */
function coordinatorFor(env: Record<string, string>, timing?: Partial<QueueRedisTiming>, leaseMs = 5000) {
	const settings = queueRedisFromEnv({ EXECUTIONS_MODE: 'queue', ...env });
	if (!settings) throw new Error('queue mode expected');
	const connection = new QueueRedisConnection(
		() => createQueueRedis(settings),
		describeQueueRedis(settings),
		timing && { retryAfterMs: 5_000, idleMs: 10_000, operationMs: 7_000, ...timing },
	);
	return { coordinator: new RenewalCoordinator(connection, leaseMs), connection };
}

/** A TCP server on loopback; `onSocket` decides what it does with each connection. */
async function tcpServer(onSocket: (socket: net.Socket) => void) {
	const sockets = new Set<net.Socket>();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => undefined);
		onSocket(socket);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as net.AddressInfo).port,
		close: async () => {
			for (const s of sockets) s.destroy();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}

/** Runs support/renewInChild.ts; resolves with its output, exit code, and how long it lived after `done`. */
async function renewInChild(env: Record<string, string>) {
	const tsx = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
	const { NODE_ENV: _n, JEST_WORKER_ID: _j, ...parentEnv } = process.env;
	const child = spawn(tsx, [path.join(__dirname, 'support', 'renewInChild.ts')], {
		env: { ...parentEnv, EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_HOST: '127.0.0.1', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let out = '';
	let doneAt = 0;
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
		out += chunk;
		if (!doneAt && /^done \d+$/m.test(out)) doneAt = Date.now();
	});
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
	const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
	const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
	clearTimeout(killer);
	return {
		code,
		out,
		renewMs: Number(/^done (\d+)$/m.exec(out)?.[1] ?? NaN),
		livedAfterDoneMs: doneAt ? Date.now() - doneAt : NaN,
		warnings: out.split('\n').filter((line) => line.startsWith('warn ')),
	};
}

let redis: ChildProcess;
let redisPort: number;
let observer: Redis;
const single = () => ({ QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(redisPort) });

beforeAll(async () => {
	setLogSink((level, message) => logs.push({ level, message }));
	redisPort = await freePort();
	redis = spawn(
		'/usr/bin/redis-server',
		['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--requirepass', PASSWORD],
		{ stdio: 'ignore' },
	);
	for (let i = 0; i < 50; i++) {
		const up = await new Promise<boolean>((resolve) => {
			const s = net.connect(redisPort, '127.0.0.1', () => (s.destroy(), resolve(true)));
			s.on('error', () => resolve(false));
		});
		if (up) {
			observer = new Redis({ port: redisPort, host: '127.0.0.1', password: PASSWORD });
			return;
		}
		await sleep(100);
	}
	throw new Error('redis-server did not start');
});

afterAll(() => {
	observer?.disconnect();
	redis?.kill('SIGKILL');
});

beforeEach(() => {
	logs.length = 0;
});

/** The lease protocol, on whichever Redis `make` connects to. */
async function leaseProtocol(make: () => RenewalCoordinator, lineage: (name: string) => string) {
	const a = make();
	const b = make();
	const leaseA = await a.tryLease(lineage('L1'));
	expect(leaseA).toBeDefined();
	expect(await b.tryLease(lineage('L1'))).toBeUndefined();
	expect(await b.tryLease(lineage('L2'))).toBeDefined();
	await a.assertLatest(lineage('L1'), 'w0');
	await a.publishLatest(lineage('L1'), 'w1');
	await leaseA!.release();
	const leaseB = await b.tryLease(lineage('L1'));
	expect(leaseB).toBeDefined();
	await expect(b.assertLatest(lineage('L1'), 'w0')).rejects.toThrow(RenewedElsewhereError);
	await b.assertLatest(lineage('L1'), 'w1');
	await leaseA!.release(); // a late release by the old holder must not free b's lease
	expect(await a.tryLease(lineage('L1'))).toBeUndefined();
}

describe('a single Redis with a password and a database (QUEUE_BULL_REDIS_PASSWORD, _DB)', () => {
	it('lets one process renew a lineage at a time and tells a stale loader it was renewed elsewhere', async () => {
		const env = { ...single(), QUEUE_BULL_REDIS_PASSWORD: PASSWORD, QUEUE_BULL_REDIS_DB: '2' };
		const connections: QueueRedisConnection[] = [];
		await leaseProtocol(
			() => {
				const { coordinator, connection } = coordinatorFor(env);
				connections.push(connection);
				return coordinator;
			},
			(name) => `single-${name}`,
		);
		// In database 2, where n8n's settings put it.
		await observer.select(2);
		expect(await observer.exists('n8n-nodes-msal:lease:single-L1', 'n8n-nodes-msal:latest:single-L1')).toBe(2);
		await observer.select(0);
		expect(await observer.exists('n8n-nodes-msal:lease:single-L1')).toBe(0);
		for (const c of connections) c.close();
		expect(warnings()).toEqual([]);
	});

	it('a wrong password: the renewal goes ahead uncoordinated, with one warning naming the refusal and never the password', async () => {
		const { coordinator, connection } = coordinatorFor({ ...single(), QUEUE_BULL_REDIS_PASSWORD: 'not-the-password' });
		const permits = await Promise.all([1, 2, 3].map((i) => coordinator.permit(`wrong-${i}`, undefined, `w${i}`)));
		for (const p of permits) await p.release();
		expect(warnings()).toHaveLength(1);
		expect(warnings()[0]).toMatch(/Renewals are not coordinated.*127\.0\.0\.1:\d+.*failed \(WRONGPASS/);
		expect(JSON.stringify(logs)).not.toContain('not-the-password');
		expect(await observer.keys('n8n-nodes-msal:lease:wrong-*')).toEqual([]);
		connection.close();
	});
});

describe('a Redis that accepts connections and stops answering', () => {
	it('renewals go ahead uncoordinated within a few seconds with one warning; the next ones do not wait; coordinated again once it answers', async () => {
		let answering = false;
		const proxy = await tcpServer((socket) => {
			if (!answering) return; // accepted, never answered
			const upstream = net.connect(redisPort, '127.0.0.1');
			upstream.on('error', () => socket.destroy());
			socket.pipe(upstream).pipe(socket);
		});
		const env = { QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(proxy.port) };
		const { coordinator, connection } = coordinatorFor(
			{ ...env, QUEUE_BULL_REDIS_PASSWORD: PASSWORD },
			{ retryAfterMs: 1_000 },
		);
		try {
			let t0 = Date.now();
			const permits = await Promise.all(
				Array.from({ length: 10 }, (_, i) => coordinator.permit(`silent-${i}`, undefined, `w${i}`)),
			);
			const firstMs = Date.now() - t0;
			for (const p of permits) await p.release();
			expect(firstMs).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 100);
			expect(firstMs).toBeLessThan(COMMAND_TIMEOUT_MS + 2_000);
			expect(warnings()).toHaveLength(1);
			expect(warnings()[0]).toMatch(/Renewals are not coordinated.*failed \(Command timed out\)/);

			t0 = Date.now();
			await (await coordinator.permit('silent-again', undefined, 'w')).release();
			expect(Date.now() - t0).toBeLessThan(200);
			expect(warnings()).toHaveLength(1);

			answering = true;
			await sleep(1_100);
			const permit = await coordinator.permit('recovered', undefined, 'w');
			expect(await observer.exists('n8n-nodes-msal:lease:recovered')).toBe(1);
			await permit.release();
			expect(await observer.exists('n8n-nodes-msal:lease:recovered')).toBe(0);
			expect(warnings()).toHaveLength(1);
			expect(logs.filter((l) => l.level === 'info').map((l) => l.message)).toEqual([
				expect.stringMatching(/answers again: renewals are coordinated/),
			]);
		} finally {
			connection.close();
			await proxy.close();
		}
	});
});

describe('a process that renews (support/renewInChild.ts, as an n8n worker would)', () => {
	it('through a real Redis: coordinated, and the process exits at once afterwards (nothing of the client keeps it alive)', async () => {
		const child = await renewInChild({ ...single(), QUEUE_BULL_REDIS_PASSWORD: PASSWORD, RENEWALS: '3' });
		expect(child.code).toBe(0);
		expect(child.warnings).toEqual([]);
		// Announced through Redis: the renewals were coordinated.
		expect(await observer.exists('n8n-nodes-msal:latest:child-0', 'n8n-nodes-msal:latest:child-2')).toBe(2);
		// The client closes idle connections after 10 s; the process must not wait for that.
		expect(child.livedAfterDoneMs).toBeLessThan(2_000);
	});

	it('against a Redis that never answers: done within a few seconds, one warning, and the process exits', async () => {
		const silent = await tcpServer(() => undefined);
		try {
			const child = await renewInChild({ QUEUE_BULL_REDIS_PORT: String(silent.port), RENEWALS: '5' });
			expect(child.code).toBe(0);
			expect(child.renewMs).toBeLessThan(COMMAND_TIMEOUT_MS + 2_000);
			expect(child.warnings).toHaveLength(1);
			expect(child.livedAfterDoneMs).toBeLessThan(2_000);
		} finally {
			await silent.close();
		}
	});

	it('a hostile reply (arrays nested 100,000 deep) does not crash the process: the renewal goes ahead uncoordinated', async () => {
		const nested = Buffer.from('*1\r\n'.repeat(100_000) + ':1\r\n');
		const hostile = await tcpServer((socket) => socket.on('data', () => socket.write(nested)));
		try {
			const child = await renewInChild({ QUEUE_BULL_REDIS_PORT: String(hostile.port), RENEWALS: '3' });
			expect(child.out).toMatch(/^done \d+$/m);
			expect(child.code).toBe(0);
			expect(child.warnings).toHaveLength(1);
			expect(child.warnings[0]).toMatch(/failed \(unreadable reply \(Maximum call stack size exceeded\)\)/);
			expect(child.renewMs).toBeLessThan(COMMAND_TIMEOUT_MS + 2_000);
		} finally {
			await hostile.close();
		}
	});
});

describe('a Redis cluster of three primaries (QUEUE_BULL_REDIS_CLUSTER_NODES)', () => {
	let cluster: RedisCluster;
	beforeAll(async () => (cluster = await startRedisCluster(3)));
	afterAll(async () => await cluster?.stop());

	it("the same lease protocol, with a lineage's keys on whichever node holds their slot", async () => {
		const env = cluster.n8nEnv();
		const connections: QueueRedisConnection[] = [];
		const make = () => {
			const { coordinator, connection } = coordinatorFor(env);
			connections.push(connection);
			return coordinator;
		};
		await leaseProtocol(make, (name) => `cluster-${name}`);
		// Twenty lineages spread over the three nodes: commands really are routed by slot.
		const coordinator = make();
		for (let i = 0; i < 20; i++) await coordinator.publishLatest(`spread-${i}`, 'w');
		const perNode = await Promise.all(
			cluster.nodes.map(async ({ host, port }) => {
				const node = new Redis({ host, port });
				try {
					return (await node.keys('n8n-nodes-msal:latest:spread-*')).length;
				} finally {
					node.disconnect();
				}
			}),
		);
		expect(perNode.reduce((a, b) => a + b, 0)).toBe(20);
		expect(perNode.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
		const viaCluster = new Cluster(cluster.nodes);
		expect(await viaCluster.get('n8n-nodes-msal:latest:spread-7')).toBe('w');
		viaCluster.disconnect();
		for (const c of connections) c.close();
		expect(warnings()).toEqual([]);
	});
});
