/**
 * n8n's own queue Redis, read from the environment exactly as n8n reads it, so that renewal
 * coordination reaches the Redis n8n's queue uses wherever that queue runs (single Redis or
 * cluster). Names, defaults and parsing are @n8n/config's (n8n 2.38.7 configs/scaling-mode.config.js
 * and decorators.js; the same names in 1.123.81, which lacks only the TLS, keep-alive, slot
 * refresh and DNS settings and so reads their defaults): a variable wins over `<NAME>_FILE`;
 * numbers through Number(); booleans are `true`/`1`/`false`/`0` in any case, anything else
 * keeps the default; strings are trimmed and lose one pair of surrounding quotes.
 */
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- n8n reads secrets from <NAME>_FILE; so must the package, to reach the same Redis
import { readFileSync } from 'node:fs';

export interface QueueRedisNode {
	host: string;
	port: number;
}

export interface QueueRedisSettings {
	host: string;
	port: number;
	username: string;
	password: string;
	db: number;
	/** QUEUE_BULL_REDIS_CLUSTER_NODES: `host:port` pairs; empty for a single Redis. */
	clusterNodes: QueueRedisNode[];
	tls: boolean;
	tlsServerName: string;
	tlsRejectUnauthorized: boolean;
	/** QUEUE_BULL_REDIS_DUALSTACK: IPv4 and IPv6 (ioredis family 0). */
	dualStack: boolean;
	keepAlive: boolean;
	/** TCP keep-alive delay (ms) when keepAlive is on. n8n also passes keepAliveInterval, which ioredis 5.3.2 ignores. */
	keepAliveDelay: number;
	slotsRefreshTimeout: number;
	slotsRefreshInterval: number;
	/** `NONE`: cluster nodes' addresses are used as given (no DNS lookup; TLS with host names). */
	dnsResolveStrategy: string;
}

type Env = Record<string, string | undefined>;

function reader(env: Env) {
	const raw = (name: string): string | undefined => {
		if (name in env) return env[name];
		const file = env[`${name}_FILE`];
		return file ? readFileSync(file, 'utf8').trim() : undefined;
	};
	const normalize = (value: string) => value.trim().replace(/^(['"])(.*)\1$/, '$2');
	return {
		string: (name: string, fallback: string): string => {
			const value = raw(name);
			return value === undefined ? fallback : normalize(value);
		},
		number: (name: string, fallback: number): number => {
			const value = raw(name);
			const parsed = Number(value);
			return value === undefined || Number.isNaN(parsed) ? fallback : parsed;
		},
		boolean: (name: string, fallback: boolean): boolean => {
			const value = raw(name)?.toLowerCase();
			if (value === 'true' || value === '1') return true;
			if (value === 'false' || value === '0') return false;
			return fallback;
		},
	};
}

/** As n8n's RedisClientService.clusterNodes(). */
function parseClusterNodes(value: string): QueueRedisNode[] {
	return value
		.split(',')
		.filter((pair) => pair.trim().length > 0)
		.map((pair) => {
			const [host, port] = pair.split(':');
			return { host, port: parseInt(port) };
		});
}

/**
 * Undefined outside queue mode and when an admin turned coordination off
 * (N8N_MSAL_RENEWAL_COORDINATION=off): there the in-process queue alone applies.
 */
export function queueRedisFromEnv(env: Env): QueueRedisSettings | undefined {
	const read = reader(env);
	if (read.string('EXECUTIONS_MODE', 'regular') !== 'queue') return undefined;
	if (env.N8N_MSAL_RENEWAL_COORDINATION === 'off') return undefined;
	return {
		host: read.string('QUEUE_BULL_REDIS_HOST', 'localhost'),
		port: read.number('QUEUE_BULL_REDIS_PORT', 6379),
		username: read.string('QUEUE_BULL_REDIS_USERNAME', ''),
		password: read.string('QUEUE_BULL_REDIS_PASSWORD', ''),
		db: read.number('QUEUE_BULL_REDIS_DB', 0),
		clusterNodes: parseClusterNodes(read.string('QUEUE_BULL_REDIS_CLUSTER_NODES', '')),
		tls: read.boolean('QUEUE_BULL_REDIS_TLS', false),
		tlsServerName: read.string('QUEUE_BULL_REDIS_TLS_SERVERNAME', ''),
		tlsRejectUnauthorized: read.boolean('QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE', true),
		dualStack: read.boolean('QUEUE_BULL_REDIS_DUALSTACK', false),
		keepAlive: read.boolean('QUEUE_BULL_REDIS_KEEP_ALIVE', false),
		keepAliveDelay: read.number('QUEUE_BULL_REDIS_KEEP_ALIVE_DELAY', 5000),
		slotsRefreshTimeout: read.number('QUEUE_BULL_REDIS_SLOT_REFRESH_TIMEOUT', 1000),
		slotsRefreshInterval: read.number('QUEUE_BULL_REDIS_SLOT_REFRESH_INTERVAL', 5000),
		dnsResolveStrategy: read.string('QUEUE_BULL_REDIS_DNS_LOOKUP_STRATEGY', 'LOOKUP'),
	};
}
