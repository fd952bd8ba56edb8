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
 * Key names in a Redis cluster: every command names one key (the compare-and-delete script
 * declares its one key in KEYS), so a lineage's two keys may live on different slots.
 *
 * Without Redis (regular mode, or Redis failing: queueRedisConnection.ts) the in-process queue of
 * cacheSession.ts is the only serialisation, which is complete when one process runs every
 * execution.
 */
import { randomUUID } from 'node:crypto';

import { MsalNodeError } from './errors';
import { log } from './logging';
import { processWide } from './processWide';
import { createQueueRedis, describeQueueRedis, type QueueRedis } from './queueRedisClient';
import { QueueRedisConnection, QueueRedisUnavailable } from './queueRedisConnection';
import { queueRedisFromEnv } from './queueRedisSettings';

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

/** A reply no Redis gives to these commands: the server is not one to coordinate with. */
function expectReply<T>(reply: unknown, valid: (reply: unknown) => reply is T, command: string): T {
	if (!valid(reply)) throw new Error(`unexpected reply to ${command}`);
	return reply;
}
const isOkOrNull = (reply: unknown): reply is 'OK' | null => reply === 'OK' || reply === null;
const isStringOrNull = (reply: unknown): reply is string | null => typeof reply === 'string' || reply === null;
const isCount = (reply: unknown): reply is number => reply === 0 || reply === 1;

export class RenewalCoordinator {
	constructor(
		private readonly redis: QueueRedisConnection,
		private readonly leaseMs = 30_000,
	) {}

	/** One attempt; undefined when another process holds the lease. */
	async tryLease(lineage: string): Promise<{ release(): Promise<void> } | undefined> {
		const key = `${PREFIX}lease:${lineage}`;
		const holder = randomUUID();
		const reply = await this.redis.run(async (r: QueueRedis) =>
			expectReply(await r.set(key, holder, 'PX', this.leaseMs, 'NX'), isOkOrNull, 'SET NX'),
		);
		if (reply !== 'OK') return undefined;
		return {
			release: async () => {
				await this.redis.run(async (r) =>
					expectReply(await r.eval(COMPARE_AND_DELETE, 1, key, holder), isCount, 'EVAL'),
				);
			},
		};
	}

	private async waitForLease(lineage: string): Promise<{ release(): Promise<void> }> {
		const deadline = Date.now() + this.leaseMs;
		let lease: { release(): Promise<void> } | undefined;
		while (!(lease = await this.tryLease(lineage))) {
			if (Date.now() > deadline) throw new Error('the renewal lease was not released in time');
			// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the core is free of n8n-workflow; a short wait between lease attempts
			await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
		}
		return lease;
	}

	/**
	 * Runs `work` while holding the lease `name` (one process at a time). Redis failing means the
	 * work runs uncoordinated, as renewals do.
	 */
	async exclusively<T>(name: string, work: () => Promise<T>): Promise<T> {
		let lease: { release(): Promise<void> } | undefined;
		try {
			lease = await this.waitForLease(name);
		} catch (error) {
			if (!(error instanceof QueueRedisUnavailable))
				log('warn', `Not coordinated across n8n processes (queue Redis: ${(error as Error).message}).`);
		}
		try {
			return await work();
		} finally {
			await lease?.release().catch(() => undefined);
		}
	}

	/** Throws RenewedElsewhereError when the loaded cache is older than the newest one handed to n8n. */
	async assertLatest(lineage: string, loadedWriteId: string | undefined): Promise<void> {
		const latest = await this.redis.run(async (r) =>
			expectReply(await r.get(`${PREFIX}latest:${lineage}`), isStringOrNull, 'GET'),
		);
		if (typeof latest === 'string' && latest !== loadedWriteId) throw new RenewedElsewhereError();
	}

	async publishLatest(lineage: string, writeId: string): Promise<void> {
		await this.redis.run(async (r) =>
			expectReply(await r.set(`${PREFIX}latest:${lineage}`, writeId, 'PX', LATEST_TTL_MS), isOkOrNull, 'SET'),
		);
	}

	/** Announces the newest write id; a Redis failure is only logged (the write itself goes ahead). */
	async announce(lineage: string, writeId: string): Promise<void> {
		await this.publishLatest(lineage, writeId).catch((error: Error) => {
			// An outage has its one warning already (queueRedisConnection.ts).
			if (!(error instanceof QueueRedisUnavailable))
				log('warn', `A new token cache was not announced to other n8n processes (queue Redis: ${error.message}).`);
		});
	}

	/**
	 * Waits for the lineage's lease (a holder keeps it for one token request and n8n's save of its
	 * result), then checks that the loaded cache is the newest. Redis failing means the write goes
	 * ahead uncoordinated: n8n's own queue cannot run without that Redis either.
	 */
	async permit(lineage: string, loadedWriteId: string | undefined, nextWriteId: string): Promise<RenewalPermit> {
		let lease: { release(): Promise<void> } | undefined;
		try {
			lease = await this.waitForLease(lineage);
			await this.assertLatest(lineage, loadedWriteId);
		} catch (error) {
			await lease?.release().catch(() => undefined);
			if (error instanceof RenewedElsewhereError) throw error;
			if (!(error instanceof QueueRedisUnavailable))
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

const shared = processWide('queueRedisCoordinator', () => ({
	coordinator: undefined as RenewalCoordinator | undefined,
	settingsFailed: false,
}));

/** This process's coordinator (it connects on first use); undefined outside queue mode. */
export async function renewalCoordinator(): Promise<RenewalCoordinator | undefined> {
	if (shared.coordinator) return shared.coordinator;
	if (shared.settingsFailed) return undefined;
	try {
		// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- n8n's own queue settings decide whether processes share credentials
		const settings = queueRedisFromEnv(process.env);
		if (!settings) return undefined;
		const connection = new QueueRedisConnection(() => createQueueRedis(settings), describeQueueRedis(settings));
		shared.coordinator = new RenewalCoordinator(connection);
		return shared.coordinator;
	} catch (error) {
		// n8n reads the same settings at start-up; this is a _FILE it could read and this process cannot.
		shared.settingsFailed = true;
		log('warn', `Renewals are not coordinated across n8n processes: ${(error as Error).message}.`);
		return undefined;
	}
}
