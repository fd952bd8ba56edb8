import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { queueRedisFromEnv } from '../../nodes/core/queueRedisSettings';
import { COMMAND_TIMEOUT_MS, queueRedisOptions } from '../../nodes/core/queueRedisClient';

const queue = { EXECUTIONS_MODE: 'queue' };

describe('queueRedisFromEnv', () => {
	it('is off in regular mode and when an admin turned coordination off; on for a Redis cluster', () => {
		expect(queueRedisFromEnv({ ...queue, N8N_MSAL_RENEWAL_COORDINATION: 'off' })).toBeUndefined();
		expect(queueRedisFromEnv({})).toBeUndefined();
		expect(queueRedisFromEnv({ EXECUTIONS_MODE: 'regular', QUEUE_BULL_REDIS_HOST: 'r' })).toBeUndefined();
		expect(queueRedisFromEnv({ ...queue, QUEUE_BULL_REDIS_CLUSTER_NODES: 'a:1,b:2,' })?.clusterNodes).toEqual([
			{ host: 'a', port: 1 },
			{ host: 'b', port: 2 },
		]);
	});

	it("uses n8n's defaults in queue mode (n8n 2.38.7 @n8n/config scaling-mode.config.js)", () => {
		expect(queueRedisFromEnv(queue)).toEqual({
			host: 'localhost',
			port: 6379,
			username: '',
			password: '',
			db: 0,
			clusterNodes: [],
			tls: false,
			tlsServerName: '',
			tlsRejectUnauthorized: true,
			dualStack: false,
			keepAlive: false,
			keepAliveDelay: 5000,
			slotsRefreshTimeout: 1000,
			slotsRefreshInterval: 5000,
			dnsResolveStrategy: 'LOOKUP',
		});
	});

	it("parses each variable as @n8n/config does (numbers, booleans 'true'/'1'/'false'/'0', quoted strings)", () => {
		expect(
			queueRedisFromEnv({
				EXECUTIONS_MODE: '"queue"',
				QUEUE_BULL_REDIS_HOST: " 'redis.internal' ",
				QUEUE_BULL_REDIS_PORT: '6380',
				QUEUE_BULL_REDIS_USERNAME: 'u',
				QUEUE_BULL_REDIS_PASSWORD: 'p',
				QUEUE_BULL_REDIS_DB: '3',
				QUEUE_BULL_REDIS_TLS: 'TRUE',
				QUEUE_BULL_REDIS_TLS_SERVERNAME: 'redis.example',
				QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE: '0',
				QUEUE_BULL_REDIS_DUALSTACK: '1',
				QUEUE_BULL_REDIS_KEEP_ALIVE: 'true',
				QUEUE_BULL_REDIS_KEEP_ALIVE_DELAY: '7000',
				QUEUE_BULL_REDIS_SLOT_REFRESH_TIMEOUT: '2000',
				QUEUE_BULL_REDIS_SLOT_REFRESH_INTERVAL: 'soon',
				QUEUE_BULL_REDIS_DNS_LOOKUP_STRATEGY: 'NONE',
			}),
		).toEqual({
			host: 'redis.internal',
			port: 6380,
			username: 'u',
			password: 'p',
			db: 3,
			clusterNodes: [],
			tls: true,
			tlsServerName: 'redis.example',
			tlsRejectUnauthorized: false,
			dualStack: true,
			keepAlive: true,
			keepAliveDelay: 7000,
			slotsRefreshTimeout: 2000,
			slotsRefreshInterval: 5000, // not a number: n8n keeps the default
			dnsResolveStrategy: 'NONE',
		});
		expect(queueRedisFromEnv({ ...queue, QUEUE_BULL_REDIS_TLS: 'yes' })?.tls).toBe(false); // n8n: invalid, default
	});

	it('reads <NAME>_FILE like n8n (a Docker secret), the variable itself first', () => {
		const dir = mkdtempSync(join(tmpdir(), 'redis-env-'));
		writeFileSync(join(dir, 'password'), 'from-file\n');
		writeFileSync(join(dir, 'mode'), 'queue');
		writeFileSync(join(dir, 'nodes'), '10.0.0.1:7000,10.0.0.2:7000');
		const env = {
			EXECUTIONS_MODE_FILE: join(dir, 'mode'),
			QUEUE_BULL_REDIS_PASSWORD_FILE: join(dir, 'password'),
			QUEUE_BULL_REDIS_CLUSTER_NODES_FILE: join(dir, 'nodes'),
		};
		expect(queueRedisFromEnv(env)?.password).toBe('from-file');
		expect(queueRedisFromEnv(env)?.clusterNodes).toHaveLength(2);
		expect(queueRedisFromEnv({ ...env, QUEUE_BULL_REDIS_PASSWORD: 'direct' })?.password).toBe('direct');
	});
});

describe('queueRedisOptions: the options n8n 2.38.7 gives ioredis (redis-client.service.js), plus failing fast', () => {
	const failFast = {
		commandTimeout: COMMAND_TIMEOUT_MS,
		connectTimeout: COMMAND_TIMEOUT_MS,
		maxRetriesPerRequest: 0,
		enableOfflineQueue: false,
		lazyConnect: true,
	};

	it('a single Redis: host, port, user, password, database; TLS, family 0 and keep-alive when set', () => {
		const plain = queueRedisOptions(queueRedisFromEnv(queue)!);
		if (plain.cluster) throw new Error('expected a single Redis');
		expect(plain.options).toMatchObject({
			host: 'localhost',
			port: 6379,
			username: '',
			password: '',
			db: 0,
			enableReadyCheck: false,
			...failFast,
		});
		expect(plain.options).not.toHaveProperty('family');
		expect(plain.options).not.toHaveProperty('tls');
		expect(plain.options).not.toHaveProperty('keepAlive');
		expect(plain.options.retryStrategy?.(1)).toBeNull();

		const all = queueRedisOptions(
			queueRedisFromEnv({
				...queue,
				QUEUE_BULL_REDIS_TLS: 'true',
				QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE: 'false',
				QUEUE_BULL_REDIS_DUALSTACK: 'true',
				QUEUE_BULL_REDIS_KEEP_ALIVE: 'true',
			})!,
		);
		expect(all.options).toMatchObject({
			tls: { servername: undefined, rejectUnauthorized: false },
			family: 0,
			keepAlive: 5000,
		});
		const named = queueRedisOptions(
			queueRedisFromEnv({ ...queue, QUEUE_BULL_REDIS_TLS: 'true', QUEUE_BULL_REDIS_TLS_SERVERNAME: 'r.example' })!,
		);
		expect(named.options).toMatchObject({ tls: { servername: 'r.example', rejectUnauthorized: true } });
	});

	it('a cluster: ioredis Cluster on the nodes, node options as above, slot refresh and DNS strategy as n8n', () => {
		const built = queueRedisOptions(
			queueRedisFromEnv({
				...queue,
				QUEUE_BULL_REDIS_CLUSTER_NODES: 'r1:7000,r2:7001',
				QUEUE_BULL_REDIS_PASSWORD: 'p',
				QUEUE_BULL_REDIS_DNS_LOOKUP_STRATEGY: 'NONE',
			})!,
		);
		if (!built.cluster) throw new Error('expected a cluster');
		expect(built.nodes).toEqual([
			{ host: 'r1', port: 7000 },
			{ host: 'r2', port: 7001 },
		]);
		expect(built.options).toMatchObject({
			slotsRefreshTimeout: 1000,
			slotsRefreshInterval: 5000,
			enableOfflineQueue: false,
			redisOptions: { password: 'p', enableReadyCheck: false, ...failFast },
		});
		expect(built.options.redisOptions).not.toHaveProperty('host');
		expect(built.options.clusterRetryStrategy?.(1)).toBeNull();
		const lookedUp: string[] = [];
		built.options.dnsLookup?.('r1', (_error, address) => lookedUp.push(address));
		expect(lookedUp).toEqual(['r1']);
		const withLookup = queueRedisOptions(queueRedisFromEnv({ ...queue, QUEUE_BULL_REDIS_CLUSTER_NODES: 'r1:7000' })!);
		expect(withLookup.options).not.toHaveProperty('dnsLookup');
	});
});
