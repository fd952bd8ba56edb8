import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { queueRedisFromEnv } from '../../nodes/core/renewalLease';

describe('queueRedisFromEnv', () => {
	it('is off in regular mode, with a Redis cluster, and when an admin turned coordination off', () => {
		expect(queueRedisFromEnv({ EXECUTIONS_MODE: 'queue', N8N_MSAL_RENEWAL_COORDINATION: 'off' })).toBeUndefined();
		expect(queueRedisFromEnv({})).toBeUndefined();
		expect(queueRedisFromEnv({ EXECUTIONS_MODE: 'regular', QUEUE_BULL_REDIS_HOST: 'r' })).toBeUndefined();
		expect(queueRedisFromEnv({ EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_CLUSTER_NODES: 'a:1,b:2' })).toBeUndefined();
	});

	it("uses n8n's defaults and variables in queue mode", () => {
		expect(queueRedisFromEnv({ EXECUTIONS_MODE: 'queue' })).toEqual({
			host: 'localhost',
			port: 6379,
			username: undefined,
			password: undefined,
			db: 0,
			tls: false,
			tlsRejectUnauthorized: true,
		});
		expect(
			queueRedisFromEnv({
				EXECUTIONS_MODE: 'queue',
				QUEUE_BULL_REDIS_HOST: 'redis.internal',
				QUEUE_BULL_REDIS_PORT: '6380',
				QUEUE_BULL_REDIS_USERNAME: 'u',
				QUEUE_BULL_REDIS_PASSWORD: 'p',
				QUEUE_BULL_REDIS_DB: '3',
				QUEUE_BULL_REDIS_TLS: 'true',
				QUEUE_BULL_REDIS_TLS_SERVERNAME: 'redis.example',
				QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE: 'false',
			}),
		).toEqual({
			host: 'redis.internal',
			port: 6380,
			username: 'u',
			password: 'p',
			db: 3,
			tls: true,
			tlsServerName: 'redis.example',
			tlsRejectUnauthorized: false,
		});
	});

	it('reads <NAME>_FILE like n8n (a Docker secret), the variable itself first', () => {
		const dir = mkdtempSync(join(tmpdir(), 'redis-env-'));
		writeFileSync(join(dir, 'password'), 'from-file\n');
		writeFileSync(join(dir, 'mode'), 'queue');
		const env = { EXECUTIONS_MODE_FILE: join(dir, 'mode'), QUEUE_BULL_REDIS_PASSWORD_FILE: join(dir, 'password') };
		expect(queueRedisFromEnv(env)?.password).toBe('from-file');
		expect(queueRedisFromEnv({ ...env, QUEUE_BULL_REDIS_PASSWORD: 'direct' })?.password).toBe('direct');
	});
});
