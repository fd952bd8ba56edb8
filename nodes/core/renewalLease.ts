/**
 * DESIGN: cross-process coordination of a person's token cache in n8n's queue mode.
 *
 * Why: with strict refresh-token rotation (oidc-provider's rotateRefreshToken, ADFS, some B2C
 * policies) a refresh token redeemed twice revokes the whole grant. Two workers that loaded the
 * same cache and renew at once would both redeem it; retrying after invalid_grant is too late,
 * the grant is already gone. The same race lets a worker holding an older cache write back an
 * account that Sign Out removed on another worker. So every write of a person's cache that
 * redeems a refresh token or removes an account is serialised across processes through n8n's
 * own queue Redis (no other service, no setting).
 *
 * What: per cache lineage (one credential record's cache history), Redis holds
 *   - `n8n-nodes-msal:lease:<lineage>`: one holder at a time (SET NX PX; the TTL bounds a
 *     crashed holder), released only by its holder (compare-and-delete in EVAL);
 *   - `n8n-nodes-msal:latest:<lineage>`: the write id of the newest cache a process handed to
 *     n8n to save (it expires: a save that never landed must not block renewals for ever).
 * A holder whose loaded cache has another write id than `latest` must not redeem or write: its
 * refresh token may already be spent. It throws RenewedElsewhereError; the node re-reads the
 * credential record, whose newer cache then serves silently (credentialStore.ts retries).
 * The holder keeps the lease until n8n has saved its write (cacheSession.ts awaitSave): the next
 * holder then reads that write, never an older record. A new sign-in announces its write id too.
 * App tokens (client credentials) are not coordinated: any process may fetch one, and nothing is
 * lost when two do.
 *
 * Without Redis (regular mode, or Redis unreachable) the in-process queue of cacheSession.ts is
 * the only serialisation, which is complete when one process runs every execution.
 */
import { randomUUID } from 'node:crypto';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- n8n reads secrets from <NAME>_FILE; so must the package, to reach the same Redis
import { readFileSync } from 'node:fs';

import { MsalNodeError } from './errors';
import { log } from './logging';
import { processWide } from './processWide';
import { RedisClient, type RedisConnectionOptions } from './redisClient';

const PREFIX = 'n8n-nodes-msal:';
const COMPARE_AND_DELETE =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
/** How long `latest` outlives a write: far longer than a save takes, far shorter than a token lives. */
const LATEST_TTL_MS = 120_000;
const LEASE_POLL_MS = 25;

export class RenewedElsewhereError extends MsalNodeError {
	constructor() {
		super(
			"Another n8n process renewed this credential's token at the same moment, and its newer token cache has not reached this execution yet.",
			'Run the node again (or turn on Retry On Fail): the next run is served from the renewed cache.',
		);
	}
}

/** Permission to redeem a refresh token or write a person's cache, held until `release`. */
export interface RenewalPermit {
	/** Announces the write id of the cache about to be saved, before the lease is released. */
	written(): Promise<void>;
	release(): Promise<void>;
}

const NO_COORDINATION: RenewalPermit = { written: async () => {}, release: async () => {} };

export class RenewalCoordinator {
	constructor(
		private readonly redis: RedisClient,
		private readonly leaseMs = 30_000,
	) {}

	/** One attempt; undefined when another process holds the lease. */
	async tryLease(lineage: string): Promise<{ release(): Promise<void> } | undefined> {
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

	/** Throws RenewedElsewhereError when the loaded cache is older than the newest one handed to n8n. */
	async assertLatest(lineage: string, loadedWriteId: string | undefined): Promise<void> {
		const latest = await this.redis.command(['GET', `${PREFIX}latest:${lineage}`]);
		if (typeof latest === 'string' && latest !== loadedWriteId) throw new RenewedElsewhereError();
	}

	async publishLatest(lineage: string, writeId: string): Promise<void> {
		await this.redis.command(['SET', `${PREFIX}latest:${lineage}`, writeId, 'PX', LATEST_TTL_MS]);
	}

	/** Announces the newest write id; a Redis failure is only logged (the write itself goes ahead). */
	async announce(lineage: string, writeId: string): Promise<void> {
		await this.publishLatest(lineage, writeId).catch((error: Error) =>
			log('warn', `A new token cache was not announced to other n8n processes (queue Redis: ${error.message}).`),
		);
	}

	/**
	 * Waits for the lineage's lease (a holder keeps it for one token request and n8n's save of its
	 * result), then checks that
	 * the loaded cache is the newest. Redis failing is logged and the write goes ahead
	 * uncoordinated: n8n's own queue cannot run without that Redis either.
	 */
	async permit(lineage: string, loadedWriteId: string | undefined, nextWriteId: string): Promise<RenewalPermit> {
		let lease: { release(): Promise<void> } | undefined;
		try {
			const deadline = Date.now() + this.leaseMs;
			while (!(lease = await this.tryLease(lineage))) {
				if (Date.now() > deadline) throw new Error('the renewal lease was not released in time');
				// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the core is free of n8n-workflow; a short wait between lease attempts
				await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
			}
			await this.assertLatest(lineage, loadedWriteId);
		} catch (error) {
			await lease?.release().catch(() => undefined);
			if (error instanceof RenewedElsewhereError) throw error;
			log('warn', `Renewal not coordinated across n8n processes (queue Redis: ${(error as Error).message}).`);
			return NO_COORDINATION;
		}
		const held = lease;
		return {
			written: async () => await this.announce(lineage, nextWriteId),
			release: async () => await held.release().catch(() => undefined),
		};
	}
}

/**
 * n8n's own queue Redis from its environment, read as n8n reads it (names, defaults and the
 * `<NAME>_FILE` variants from n8n 2.38.7's @n8n/config). Undefined outside queue mode, for a
 * Redis cluster (QUEUE_BULL_REDIS_CLUSTER_NODES), which this client does not speak, and when an
 * admin turned coordination off (N8N_MSAL_RENEWAL_COORDINATION=off): there the in-process queue
 * alone applies.
 */
export function queueRedisFromEnv(env: Record<string, string | undefined>): RedisConnectionOptions | undefined {
	const read = (name: string): string | undefined => {
		if (name in env) return env[name];
		const file = env[`${name}_FILE`];
		return file ? readFileSync(file, 'utf8').trim() : undefined;
	};
	if (read('EXECUTIONS_MODE') !== 'queue' || read('QUEUE_BULL_REDIS_CLUSTER_NODES')) return undefined;
	if (env.N8N_MSAL_RENEWAL_COORDINATION === 'off') return undefined;
	return {
		host: read('QUEUE_BULL_REDIS_HOST') || 'localhost',
		port: Number(read('QUEUE_BULL_REDIS_PORT') || 6379),
		username: read('QUEUE_BULL_REDIS_USERNAME') || undefined,
		password: read('QUEUE_BULL_REDIS_PASSWORD') || undefined,
		db: Number(read('QUEUE_BULL_REDIS_DB') || 0),
		tls: read('QUEUE_BULL_REDIS_TLS') === 'true',
		tlsServerName: read('QUEUE_BULL_REDIS_TLS_SERVERNAME') || undefined,
		tlsRejectUnauthorized: read('QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE') !== 'false',
	};
}

const RECONNECT_AFTER_MS = 5_000;
const connection = processWide('renewalCoordinator', () => ({
	coordinator: undefined as Promise<RenewalCoordinator | undefined> | undefined,
	failedAt: 0,
}));

/** This process's coordinator, connected on first use; undefined outside queue mode. */
export async function renewalCoordinator(): Promise<RenewalCoordinator | undefined> {
	let options: RedisConnectionOptions | undefined;
	try {
		// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- n8n's own queue settings decide whether processes share credentials
		options = queueRedisFromEnv(process.env);
	} catch (error) {
		log('warn', `Renewals are not coordinated across n8n processes: ${(error as Error).message}.`);
		return undefined;
	}
	if (!options) return undefined;
	if (connection.coordinator === undefined && Date.now() - connection.failedAt > RECONNECT_AFTER_MS) {
		connection.coordinator = RedisClient.connect(options).then(
			(client) => {
				client.onClose(() => (connection.coordinator = undefined));
				return new RenewalCoordinator(client);
			},
			(error: Error) => {
				log('warn', `Renewals are not coordinated across n8n processes: ${error.message}.`);
				connection.coordinator = undefined;
				connection.failedAt = Date.now();
				return undefined;
			},
		);
	}
	return await connection.coordinator;
}
