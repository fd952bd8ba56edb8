/**
 * DESIGN: cross-process coordination of refresh-token redemptions in n8n's queue mode.
 *
 * Why: with strict refresh-token rotation (oidc-provider's rotateRefreshToken, ADFS, some B2C
 * policies) a refresh token redeemed twice revokes the whole grant. Two workers that loaded the
 * same cache and renew at once would both redeem it; retrying after invalid_grant is too late,
 * the grant is already gone. So renewals are serialised across processes through n8n's own Redis.
 *
 * What: per cache lineage, Redis holds
 *   - `n8n-nodes-msal:lease:<lineage>`: one holder at a time (SET NX PX, TTL bounds a crashed
 *     holder), released only by its holder (compare-and-delete in EVAL);
 *   - `n8n-nodes-msal:latest:<lineage>`: the write id of the newest envelope handed to n8n.
 * A holder that loaded an older write id than `latest` must not redeem: another process renewed
 * and n8n saved a newer cache; the caller re-reads the record and is served from that cache.
 *
 * Not wired into the acquisition path yet (see the branch's report): this module is the logic,
 * tested against a real redis-server.
 */
import { randomUUID } from 'node:crypto';

import type { RedisClient, RedisConnectionOptions } from './redisClient';

const PREFIX = 'n8n-nodes-msal:';
const COMPARE_AND_DELETE =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

export class RenewedElsewhereError extends Error {
	constructor() {
		super('The token cache was renewed by another n8n process; read the stored cache again');
	}
}

export interface Lease {
	release(): Promise<void>;
}

export class RenewalCoordinator {
	constructor(
		private readonly redis: RedisClient,
		private readonly leaseMs = 30_000,
	) {}

	/** One attempt; undefined when another process holds the lease. */
	async tryLease(lineage: string): Promise<Lease | undefined> {
		const key = `${PREFIX}lease:${lineage}`;
		const holder = randomUUID();
		const reply = await this.redis.command(['SET', key, holder, 'NX', 'PX', this.leaseMs]);
		if (reply !== 'OK') return undefined;
		return {
			release: async () => {
				await this.redis.command(['EVAL', COMPARE_AND_DELETE, 1, key, holder]);
			},
		};
	}

	/** Throws RenewedElsewhereError when the loaded cache is older than the newest one saved. */
	async assertLatest(lineage: string, loadedWriteId: string | undefined): Promise<void> {
		const latest = await this.redis.command(['GET', `${PREFIX}latest:${lineage}`]);
		if (typeof latest === 'string' && latest !== loadedWriteId) throw new RenewedElsewhereError();
	}

	async publishLatest(lineage: string, writeId: string): Promise<void> {
		await this.redis.command(['SET', `${PREFIX}latest:${lineage}`, writeId]);
	}
}

/**
 * n8n's own queue Redis from its environment (names and defaults from n8n 2.38.7's
 * @n8n/config scaling-mode config). Undefined outside queue mode, and for a Redis cluster
 * (QUEUE_BULL_REDIS_CLUSTER_NODES), which this client does not speak: there the in-process
 * queue alone applies.
 */
export function queueRedisFromEnv(env: Record<string, string | undefined>): RedisConnectionOptions | undefined {
	if (env.EXECUTIONS_MODE !== 'queue' || env.QUEUE_BULL_REDIS_CLUSTER_NODES) return undefined;
	return {
		host: env.QUEUE_BULL_REDIS_HOST || 'localhost',
		port: Number(env.QUEUE_BULL_REDIS_PORT || 6379),
		username: env.QUEUE_BULL_REDIS_USERNAME || undefined,
		password: env.QUEUE_BULL_REDIS_PASSWORD || undefined,
		db: Number(env.QUEUE_BULL_REDIS_DB || 0),
		tls: env.QUEUE_BULL_REDIS_TLS === 'true',
	};
}
