import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as net from 'node:net';
import { existsSync } from 'node:fs';

import { RedisClient, RedisReplyError } from '../../nodes/core/redisClient';
import { RenewalCoordinator, RenewedElsewhereError } from '../../nodes/core/renewalLease';

const COMPARE_AND_DELETE =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

async function freePort(): Promise<number> {
	return await new Promise((resolve) => {
		const server = net.createServer().listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

describe('RedisClient against a real redis-server', () => {
	let redis: ChildProcess;
	let port: number;

	beforeAll(async () => {
		const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
		if (!bin) throw new Error('redis-server missing: the queue suite installs it (test/queue/services.ts)');
		port = await freePort();
		redis = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--requirepass', 'pw'], {
			stdio: 'ignore',
		});
		for (let i = 0; i < 50; i++) {
			const up = await new Promise<boolean>((resolve) => {
				const s = net.connect(port, '127.0.0.1', () => {
					s.destroy();
					resolve(true);
				});
				s.on('error', () => resolve(false));
			});
			if (up) return;
			await new Promise((r) => setTimeout(r, 100));
		}
		throw new Error('redis-server did not start');
	});

	afterAll(() => {
		redis.kill('SIGKILL');
	});

	it('refuses commands with a wrong password and works with the right one and a database', async () => {
		await expect(RedisClient.connect({ host: '127.0.0.1', port, password: 'wrong' })).rejects.toThrow(RedisReplyError);
		const client = await RedisClient.connect({ host: '127.0.0.1', port, password: 'pw', db: 2 });
		expect(await client.command(['SET', 'k', 'v'])).toBe('OK');
		expect(await client.command(['GET', 'k'])).toBe('v');
		const other = await RedisClient.connect({ host: '127.0.0.1', port, password: 'pw', db: 0 });
		expect(await other.command(['GET', 'k'])).toBeNull();
		client.close();
		other.close();
	});

	it('gives a lease to one holder only (SET NX PX) and releases it only for that holder (EVAL)', async () => {
		const a = await RedisClient.connect({ host: '127.0.0.1', port, password: 'pw' });
		const b = await RedisClient.connect({ host: '127.0.0.1', port, password: 'pw' });
		const results = await Promise.all([
			a.command(['SET', 'n8n-nodes-msal:lease:x', 'a', 'NX', 'PX', 5000]),
			b.command(['SET', 'n8n-nodes-msal:lease:x', 'b', 'NX', 'PX', 5000]),
		]);
		expect(results.filter((r) => r === 'OK')).toHaveLength(1);
		const winner = results[0] === 'OK' ? 'a' : 'b';
		const loser = winner === 'a' ? 'b' : 'a';
		expect(await a.command(['EVAL', COMPARE_AND_DELETE, 1, 'n8n-nodes-msal:lease:x', loser])).toBe(0);
		expect(await a.command(['EVAL', COMPARE_AND_DELETE, 1, 'n8n-nodes-msal:lease:x', winner])).toBe(1);
		expect(await b.command(['GET', 'n8n-nodes-msal:lease:x'])).toBeNull();
		a.close();
		b.close();
	});

	it('matches pipelined replies in order, including large and multi-byte values', async () => {
		const c = await RedisClient.connect({ host: '127.0.0.1', port, password: 'pw' });
		const big = 'é'.repeat(100_000);
		const replies = await Promise.all([
			c.command(['SET', 'big', big]),
			c.command(['GET', 'big']),
			c.command(['GET', 'missing']),
			c.command(['INCR', 'n']),
		]);
		expect(replies).toEqual(['OK', big, null, 1]);
		c.close();
		await expect(c.command(['PING'])).rejects.toThrow('Redis connection closed');
	});
});

describe('RenewalCoordinator against a real redis-server', () => {
	let redis: ChildProcess;
	let port: number;

	beforeAll(async () => {
		port = await freePort();
		redis = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], {
			stdio: 'ignore',
		});
		for (let i = 0; i < 50; i++) {
			try {
				(await RedisClient.connect({ host: '127.0.0.1', port })).close();
				return;
			} catch {
				await new Promise((r) => setTimeout(r, 100));
			}
		}
	});

	afterAll(() => {
		redis.kill('SIGKILL');
	});

	it('lets one process renew a lineage at a time and tells a stale loader it was renewed elsewhere', async () => {
		const a = new RenewalCoordinator(await RedisClient.connect({ host: '127.0.0.1', port }), 5000);
		const b = new RenewalCoordinator(await RedisClient.connect({ host: '127.0.0.1', port }), 5000);
		const leaseA = await a.tryLease('L1');
		expect(leaseA).toBeDefined();
		expect(await b.tryLease('L1')).toBeUndefined();
		expect(await b.tryLease('L2')).toBeDefined();
		await a.assertLatest('L1', 'w0');
		await a.publishLatest('L1', 'w1');
		await leaseA!.release();
		const leaseB = await b.tryLease('L1');
		expect(leaseB).toBeDefined();
		await expect(b.assertLatest('L1', 'w0')).rejects.toThrow(RenewedElsewhereError);
		await b.assertLatest('L1', 'w1');
		await leaseA!.release(); // a late release by the old holder must not free b's lease
		expect(await a.tryLease('L1')).toBeUndefined();
	});
});
