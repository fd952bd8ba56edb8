/**
 * An ioredis client for n8n's own queue Redis, built with the options n8n 2.38.7 builds its Bull
 * clients with (services/redis-client.service.js getOptions / getClusterOptions): the same
 * server or cluster, user, password, database, TLS, IPv4+IPv6 (family 0), keep-alive, slot
 * refresh and DNS strategy. So coordination works wherever n8n's queue does.
 *
 * Where this client differs from n8n's, on purpose: n8n's queue must outlive a Redis outage and
 * waits for it (offline queue, unlimited retries, exit after QUEUE_BULL_REDIS_TIMEOUT_THRESHOLD);
 * a renewal must not wait on Redis — it goes ahead uncoordinated. So commands time out after a
 * few seconds, nothing is queued while disconnected, and ioredis never reconnects by itself: the
 * next use reconnects (queueRedisConnection.ts). That also leaves no reconnect timer behind, and
 * makes n8n's READONLY-after-failover reconnect (reconnectOnError) unnecessary: the failed
 * command ends the connection and the next one finds the new primary.
 */
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- n8n's own queue Redis, with the client n8n uses for it (self-hosted only, README: n8n Cloud)
import { Cluster, Redis, type ClusterOptions, type RedisOptions, type StandaloneConnectionOptions } from 'ioredis';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- see above; the connector is where each socket is made (version pinned in package.json)
import StandaloneConnector from 'ioredis/built/connectors/StandaloneConnector';

import type { QueueRedisNode, QueueRedisSettings } from './queueRedisSettings';

export type QueueRedis = Redis | Cluster;

/** How long connecting or one command may take before coordination gives up on Redis. */
export const COMMAND_TIMEOUT_MS = 3_000;

type Socket = Awaited<ReturnType<StandaloneConnector['connect']>>;

/**
 * Each socket the client opens, prepared before ioredis reads from it:
 * - unref'd: the connection never keeps an n8n process (or a test) from exiting;
 * - guarded: ioredis's reply parser (redis-parser 3) recurses once per nesting level of a reply,
 *   so a reply nested deeply enough (a broken or hostile server) overflows the stack inside the
 *   socket's 'data' event, where nothing catches it and the exception reaches n8n's process. The
 *   guard ends that connection instead; its commands fail and the renewal goes ahead uncoordinated.
 */
class GuardedConnector extends StandaloneConnector {
	constructor(options: unknown) {
		// ioredis hands a connector the client's options, of which it reads the socket's.
		super(options as StandaloneConnectionOptions);
	}

	async connect(onError: Parameters<StandaloneConnector['connect']>[0]): Promise<Socket> {
		const socket = await super.connect(onError);
		socket.unref();
		const emit = socket.emit as (this: Socket, event: string | symbol, ...args: unknown[]) => boolean;
		socket.emit = function (this: Socket, event: string | symbol, ...args: unknown[]): boolean {
			if (event !== 'data') return emit.call(this, event, ...args);
			try {
				return emit.call(this, event, ...args);
			} catch (error) {
				this.destroy(new Error(`unreadable reply (${(error as Error).message})`));
				return false;
			}
		} as Socket['emit'];
		return socket;
	}
}

export type QueueRedisOptions =
	| { cluster: false; options: RedisOptions }
	| { cluster: true; nodes: QueueRedisNode[]; options: ClusterOptions };

/** The ioredis options for n8n's settings (pure; the unit tests compare them with n8n's). */
export function queueRedisOptions(settings: QueueRedisSettings): QueueRedisOptions {
	const options: RedisOptions = {
		username: settings.username,
		password: settings.password,
		db: settings.db,
		enableReadyCheck: false,
		// Fail fast (see the top of this file).
		commandTimeout: COMMAND_TIMEOUT_MS,
		connectTimeout: COMMAND_TIMEOUT_MS,
		maxRetriesPerRequest: 0,
		enableOfflineQueue: false,
		retryStrategy: () => null,
		// A closed client's socket is destroyed this soon when the server does not close its side
		// (ioredis waits 2 s), so a Redis that stopped answering holds no process up.
		disconnectTimeout: 200,
		lazyConnect: true,
		Connector: GuardedConnector,
	};
	if (settings.dualStack) options.family = 0;
	if (settings.tls)
		options.tls = {
			servername: settings.tlsServerName || undefined,
			rejectUnauthorized: settings.tlsRejectUnauthorized,
		};
	if (settings.keepAlive) options.keepAlive = settings.keepAliveDelay;
	if (settings.clusterNodes.length === 0)
		return { cluster: false, options: { ...options, host: settings.host, port: settings.port } };

	const clusterOptions: ClusterOptions = {
		redisOptions: options,
		slotsRefreshTimeout: settings.slotsRefreshTimeout,
		slotsRefreshInterval: settings.slotsRefreshInterval,
		clusterRetryStrategy: () => null,
		enableOfflineQueue: false,
		lazyConnect: true,
	};
	if (settings.dnsResolveStrategy === 'NONE') clusterOptions.dnsLookup = (address, lookup) => lookup(null, address);
	return { cluster: true, nodes: settings.clusterNodes, options: clusterOptions };
}

/** A client, not yet connected (`connect()` connects). */
export function createQueueRedis(settings: QueueRedisSettings): QueueRedis {
	const built = queueRedisOptions(settings);
	return built.cluster ? new Cluster(built.nodes, built.options) : new Redis(built.options);
}

/** Where the client connects, for log messages (never the password). */
export function describeQueueRedis(settings: QueueRedisSettings): string {
	return settings.clusterNodes.length
		? `cluster ${settings.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`
		: `${settings.host}:${settings.port}`;
}
