/**
 * The process's connection to n8n's queue Redis for renewal coordination: connected on first use,
 * closed when idle, and given up quickly when Redis does not answer.
 *
 * Why this shape: renewals are rare and must never wait on Redis. A failed or slow operation
 * (refused, timed out, closed, an error reply, an unreadable reply) closes the client and, for
 * RETRY_AFTER_MS, every operation fails at once without touching the network; the next one after
 * that connects anew. One warning per outage (not one per renewal), one info line when Redis
 * answers again. Closing an idle client leaves nothing behind (a cluster client keeps a slot
 * refresh timer while open).
 */
import { log } from './logging';
import { COMMAND_TIMEOUT_MS, type QueueRedis } from './queueRedisClient';

/** Thrown by `run` when Redis cannot be used now; the outage has been logged already. */
export class QueueRedisUnavailable extends Error {}

export interface QueueRedisTiming {
	retryAfterMs: number;
	idleMs: number;
	/** Bound on one `run` (connect and command), whatever ioredis does. */
	operationMs: number;
}

const DEFAULT_TIMING: QueueRedisTiming = {
	retryAfterMs: 5_000,
	idleMs: 10_000,
	operationMs: 2 * COMMAND_TIMEOUT_MS + 1_000,
};

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		// Not unref'd, unlike the sockets: an operation under way keeps the process alive until it
		// ends, an idle connection does not.
		// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the core is free of n8n-workflow; this bounds a Redis operation
		timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
	});
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- pairs with the deadline above
	return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export class QueueRedisConnection {
	private client: QueueRedis | undefined;
	private ready: Promise<QueueRedis> | undefined;
	private lastError: Error | undefined;
	private retryAt = 0;
	private down = false;
	private inFlight = 0;
	private idleTimer: NodeJS.Timeout | undefined;

	constructor(
		private readonly create: () => QueueRedis,
		/** Where it connects, for the log (never a password). */
		private readonly where: string,
		private readonly timing: QueueRedisTiming = DEFAULT_TIMING,
	) {}

	/** Runs `operation` on a connected client; throws QueueRedisUnavailable when Redis cannot be used. */
	async run<T>(operation: (redis: QueueRedis) => Promise<T>): Promise<T> {
		if (Date.now() < this.retryAt) throw new QueueRedisUnavailable('queue Redis unavailable');
		this.inFlight++;
		// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- pairs with the idle timer below
		clearTimeout(this.idleTimer);
		const client = this.connect();
		try {
			const result = await withDeadline(
				client.ready.then(async (redis) => await operation(redis)),
				this.timing.operationMs,
			);
			this.lastError = undefined;
			if (this.down) {
				this.down = false;
				log('info', `The queue Redis (${this.where}) answers again: renewals are coordinated across n8n processes.`);
			}
			return result;
		} catch (error) {
			// The client's own error event, which names the cause better than a command's error
			// (a wrong password fails the command with NOAUTH, the client with WRONGPASS), may
			// come a moment later.
			// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the core is free of n8n-workflow; one turn of the event loop
			await new Promise((resolve) => setImmediate(resolve));
			this.fail(client.redis, error as Error);
			throw new QueueRedisUnavailable((error as Error).message);
		} finally {
			if (--this.inFlight === 0) this.armIdleClose();
		}
	}

	/** Closes the client (tests; n8n processes exit without it). */
	close(): void {
		this.drop(this.client);
	}

	private connect(): { redis: QueueRedis; ready: Promise<QueueRedis> } {
		if (!this.client || !this.ready) {
			const redis = this.create();
			// Without a listener ioredis prints errors to the console; the cause goes into the warning.
			redis.on('error', (error: Error) => {
				if (this.client === redis) this.lastError = error;
			});
			redis.once('end', () => {
				if (this.client === redis) this.client = this.ready = undefined;
			});
			this.client = redis;
			this.lastError = undefined;
			this.ready = redis.connect().then(() => redis);
			// A failed connect is reported through run(); this only keeps it from being unhandled.
			this.ready.catch(() => undefined);
		}
		return { redis: this.client, ready: this.ready };
	}

	private fail(redis: QueueRedis, error: Error): void {
		const cause = this.lastError ?? error;
		if (this.client === redis) {
			this.drop(redis);
			this.retryAt = Date.now() + this.timing.retryAfterMs;
		}
		if (!this.down) {
			this.down = true;
			log(
				'warn',
				`Renewals are not coordinated across n8n processes: the queue Redis (${this.where}) failed (${cause.message}). They go ahead uncoordinated until it answers again; with strict refresh-token rotation a sign-in can be lost meanwhile.`,
			);
		}
	}

	private drop(redis: QueueRedis | undefined): void {
		if (!redis) return;
		if (this.client === redis) this.client = this.ready = undefined;
		redis.disconnect();
	}

	private armIdleClose(): void {
		// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the core is free of n8n-workflow; closes an idle client
		this.idleTimer = setTimeout(() => this.drop(this.client), this.timing.idleMs);
		this.idleTimer.unref();
	}
}
