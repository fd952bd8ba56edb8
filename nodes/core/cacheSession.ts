import { createHash, randomUUID } from 'node:crypto';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { INetworkModule, TokenCache } from '@azure/msal-node';
import type { FailureContext } from './errorTranslation';
import { readEnvelope, writeEnvelope, type CacheEnvelope } from './cacheEnvelope';
import { log } from './logging';
import { MsalNetworkClient } from './networkClient';
import { SerialQueue } from './serialQueue';
import { processWide } from './processWide';
import { renewalCoordinator, type RenewalCoordinator, type RenewalPermit } from './renewalLease';

/** An MSAL application ready to be built, with the identity of its token cache. */
export interface PreparedApp<TApp> {
	/** Pool key: changes with anything that changes what the app may obtain (including its secret). */
	key: string;
	/** Cache owner: authority + client ID. */
	owner: string;
	clientId: string;
	authority: string;
	/**
	 * True when every credential record with this key is the same identity (an app whose key
	 * includes its secret): its tokens may serve any of them. False for a person's cache, which
	 * must never reach another record.
	 */
	shareableAcrossRecords: boolean;
	create(network: INetworkModule, authorityMetadata: string | undefined): TApp;
}

export interface CacheWork<T> {
	value: T;
	/** True when MSAL wrote to its cache (a token fetched, refreshed, or an account removed). */
	changed: boolean;
}

export interface UseOptions {
	/**
	 * The work writes a person's cache without redeeming a refresh token (Sign Out): it holds the
	 * cross-process renewal lease from start to end (renewalLease.ts).
	 */
	exclusive?: boolean;
	/** The credential record the stored cache was read from (n8n's credential ID), when known. */
	record?: string;
}

export interface SessionOutcome<T> {
	value: T;
	/** The new content of the credential's token-cache field, when it must be saved. */
	cacheToStore?: string;
	/** Call once n8n has saved `cacheToStore` (or failed to): the next use of this cache waits for it. */
	saved?: () => void;
	warnings: string[];
}

/** How long the next use waits for a save it was not told of (a caller that failed before saving). */
const SAVE_WAIT_MS = 5_000;

/**
 * One MSAL application per credential configuration and process, kept between executions,
 * synchronised with the cache stored in the credential record before each use.
 *
 * Why keep it: building an application and deserializing the cache on every item is wasted
 * work when the stored cache has not changed since this process last saw it.
 * Why serialise uses: MSAL's cache is one in-memory object; overlapping deserialize/acquire/
 * serialize sequences could hand one execution another's half-written state.
 */
export class CacheSession<TApp extends { getTokenCache(): TokenCache }> {
	private readonly queue = new SerialQueue();
	private lineage: string | undefined;
	private revision = 0;
	/** Write id of the cache in memory; a process whose id is not the newest must not renew. */
	private writeId: string | undefined;
	private nextWriteId = randomUUID();
	/** The credential record the cache in memory belongs to, when known. */
	private record: string | undefined;
	private lastSeenStored: string | undefined;
	/** The save of this session's last write of a person's cache, until n8n reports it done. */
	private unsaved: Promise<void> | undefined;
	private metadataSaved = false;

	constructor(
		readonly app: TApp,
		readonly network: MsalNetworkClient,
		private readonly prepared: PreparedApp<TApp>,
		hasStoredMetadata: boolean,
	) {
		this.metadataSaved = hasStoredMetadata;
	}

	use<T>(
		stored: string | undefined,
		options: UseOptions,
		work: (app: TApp) => Promise<CacheWork<T>>,
	): Promise<SessionOutcome<T>> {
		return this.queue.run(async () => {
			await this.previousSave();
			const warnings = this.syncFrom(stored, options.record);
			this.network.lastFailure = undefined;
			this.network.lastDiscoveryError = undefined;
			this.network.refusedRenewal = undefined;
			this.nextWriteId = randomUUID();
			const coordinator = await this.coordinatorForWrites();
			// Held until n8n has saved what this use writes, so that no process writes after an older save.
			let permit: RenewalPermit | undefined;
			try {
				if (coordinator && options.exclusive) permit = await this.permitFrom(coordinator);
				else if (coordinator) {
					this.network.renewalGate = async () => (permit = await this.permitFrom(coordinator));
				}
				const { value, changed } = await work(this.app);
				const mustWrite =
					changed || warnings.length > 0 || (!this.metadataSaved && this.network.openIdConfiguration !== undefined);
				const cacheToStore = mustWrite ? this.snapshot() : undefined;
				if (changed && options.exclusive) await permit?.written();
				if (cacheToStore === undefined || this.prepared.shareableAcrossRecords)
					return { value, warnings, cacheToStore };
				const saved = this.awaitSave(permit);
				permit = undefined;
				return { value, warnings, cacheToStore, saved };
			} catch (error) {
				throw this.network.refusedRenewal ?? error;
			} finally {
				this.network.renewalGate = undefined;
				await permit?.release();
			}
		});
	}

	/**
	 * n8n saves what preAuthentication returns after it returns, and concurrent executions' saves
	 * can land in any order: the next use of a person's cache (and, in queue mode, the lease)
	 * waits until this write is saved, or SAVE_WAIT_MS when nobody reports it.
	 */
	private awaitSave(permit: RenewalPermit | undefined): () => void {
		let done: () => void = () => {};
		const saved = new Promise<void>((resolve) => {
			// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the core is free of n8n-workflow; bounds a save nobody reports
			const timer = setTimeout(resolve, SAVE_WAIT_MS);
			timer.unref();
			done = () => {
				// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- pairs with the timer above
				clearTimeout(timer);
				resolve();
			};
		});
		this.unsaved = saved.then(async () => await permit?.release());
		return done;
	}

	private async previousSave(): Promise<void> {
		const unsaved = this.unsaved;
		this.unsaved = undefined;
		await unsaved;
	}

	/** Only a person's cache is coordinated: app tokens from two processes merge without loss. */
	private async coordinatorForWrites(): Promise<RenewalCoordinator | undefined> {
		if (this.prepared.shareableAcrossRecords || this.lineage === undefined) return undefined;
		return await renewalCoordinator();
	}

	private async permitFrom(coordinator: RenewalCoordinator): Promise<RenewalPermit> {
		return await coordinator.permit(this.lineage as string, this.writeId, this.nextWriteId);
	}

	/** What the network saw of the last failure, for error translation. */
	failureContext(): FailureContext {
		return {
			authority: this.prepared.authority,
			networkFailure: this.network.lastFailure,
			discoveryError: this.network.lastDiscoveryError,
		};
	}

	/**
	 * Takes over the cache of a sign-in that ran outside the session (a device-code or browser
	 * sign-in can take minutes; holding the session that long would stall every other use).
	 * The sign-in's application started from the stored cache, so its cache is a superset of it.
	 */
	adopt(stored: string | undefined, signedInMsalCache: string, record?: string): Promise<string> {
		return this.queue.run(async () => {
			await this.previousSave();
			this.syncFrom(stored, record);
			this.app.getTokenCache().deserialize(signedInMsalCache);
			const snapshot = this.snapshot();
			// A new sign-in is the newest cache: other processes' renewals must not refuse it.
			await (await this.coordinatorForWrites())?.announce(this.lineage as string, this.writeId as string);
			return snapshot;
		});
	}

	/**
	 * A stand-alone application loaded with the stored cache, for a long-running sign-in.
	 * `network` may wrap the session's network client (it must delegate to it) for a flow that
	 * needs to see or answer its requests, e.g. a device-code sign-in resumed in a later run.
	 */
	detachedApp(stored: string | undefined, network: INetworkModule = this.network): TApp {
		// Shares the network client so the OpenID configuration it fetches is saved with the cache.
		const app = this.prepared.create(network, this.network.openIdConfiguration);
		const outcome = readEnvelope(stored, this.prepared.owner, this.prepared.clientId);
		if (outcome.kind === 'ok') {
			try {
				app.getTokenCache().deserialize(outcome.msalText);
			} catch {
				// Unreadable: the sign-in starts from an empty cache, as syncFrom does.
			}
		}
		return app;
	}

	/** Loads the stored cache into MSAL unless this process already holds it (or a newer copy). */
	private syncFrom(stored: string | undefined, record: string | undefined): string[] {
		const sameRecord = record === undefined || this.record === undefined || record === this.record;
		if (stored !== undefined && stored === this.lastSeenStored && sameRecord) {
			this.record ??= record;
			return [];
		}
		let outcome = readEnvelope(stored, this.prepared.owner, this.prepared.clientId);
		if (outcome.kind === 'ok') {
			const { envelope } = outcome;
			const lineage = lineageOf(envelope, record);
			if (lineage === this.lineage && envelope.revision < this.revision) {
				// An older copy of what this process holds (read before our last write landed).
				this.lastSeenStored = stored;
				return [];
			}
			// A newer copy of the same record only adds tokens to an app's cache: merging is enough.
			const merge = this.prepared.shareableAcrossRecords && lineage === this.lineage;
			if (this.tryReplaceCache(outcome.msalText, merge)) {
				this.lineage = lineage;
				this.record = record ?? envelope.record;
				this.revision = envelope.revision;
				this.writeId = envelope.writeId;
				this.metadataSaved = envelope.authorityMetadata !== undefined;
				this.lastSeenStored = stored;
				return [];
			}
			outcome = { kind: 'discarded', reason: 'MSAL could not read its entries' };
		}
		if (outcome.kind === 'empty' && this.prepared.shareableAcrossRecords && this.lineage !== undefined) {
			// A record read before this process saved its first cache (many items sent at once):
			// the app's tokens serve it as well, and fetching again per item would be waste.
			this.lastSeenStored = stored;
			return [];
		}
		// Empty or unusable: start from an empty cache so nothing of another record leaks in.
		this.replaceCache('{}');
		this.lineage = undefined;
		this.record = record;
		this.revision = 0;
		this.writeId = undefined;
		this.metadataSaved = false;
		this.lastSeenStored = stored;
		if (outcome.kind === 'discarded') {
			const warning = `The token cache stored in the credential was discarded because ${outcome.reason}; a new token will be requested.`;
			log('warn', warning);
			return [warning];
		}
		return [];
	}

	/**
	 * MSAL's TokenCache.deserialize merges into what is in memory; without clearing first, the
	 * accounts and tokens of another credential record using the same app (or of an account
	 * signed out elsewhere) would survive the switch.
	 */
	private replaceCache(msalCache: string, merge = false): void {
		if (!merge) (this.app as { clearCache?: () => void }).clearCache?.();
		this.app.getTokenCache().deserialize(msalCache);
	}

	private tryReplaceCache(msalCache: string, merge: boolean): boolean {
		try {
			this.replaceCache(msalCache, merge);
			return true;
		} catch {
			return false;
		}
	}

	private snapshot(): string {
		this.lineage ??= randomUUID();
		this.revision += 1;
		this.writeId = this.nextWriteId;
		this.nextWriteId = randomUUID();
		const envelope: CacheEnvelope = {
			format: 'n8n-nodes-msal/token-cache@1',
			owner: this.prepared.owner,
			lineage: this.lineage,
			revision: this.revision,
			writeId: this.writeId,
			record: this.record,
			authorityMetadata: this.network.openIdConfiguration,
			msal: JSON.parse(this.app.getTokenCache().serialize()) as Record<string, unknown>,
		};
		const serialized = writeEnvelope(envelope);
		this.metadataSaved = envelope.authorityMetadata !== undefined;
		this.lastSeenStored = serialized;
		return serialized;
	}
}

/**
 * A record copied through export/import carries its original's cache, lineage included. Bound to
 * the record it was written for, the copy's cache gets a lineage of its own, so that it never
 * takes the original's newer cache in memory for a newer copy of itself, nor shares its
 * renewal lease. (Only the nodes know the record; n8n's HTTP Request node does not say.)
 */
function lineageOf(envelope: CacheEnvelope, record: string | undefined): string {
	if (record === undefined || envelope.record === undefined || envelope.record === record) return envelope.lineage;
	return createHash('sha256').update(`${envelope.lineage}|${record}`).digest('base64url').slice(0, 22);
}

const POOL_LIMIT = 200;
const pool = processWide('cacheSessions', () => new Map<string, CacheSession<{ getTokenCache(): TokenCache }>>());

/** The process-wide session of a prepared app, created on first use. */
export function sessionFor<TApp extends { getTokenCache(): TokenCache }>(
	prepared: PreparedApp<TApp>,
	stored: string | undefined,
): CacheSession<TApp> {
	const existing = pool.get(prepared.key) as CacheSession<TApp> | undefined;
	if (existing) {
		// Refresh LRU position.
		pool.delete(prepared.key);
		pool.set(prepared.key, existing);
		return existing;
	}
	const metadata = storedAuthorityMetadata(stored, prepared);
	const network = new MsalNetworkClient();
	network.openIdConfiguration = metadata;
	const session = new CacheSession(prepared.create(network, metadata), network, prepared, metadata !== undefined);
	pool.set(prepared.key, session);
	if (pool.size > POOL_LIMIT) pool.delete(pool.keys().next().value as string);
	return session;
}

/**
 * The OpenID configuration stored with a cache, if every endpoint in it is https on the
 * authority's own host. The application built from it serves every record of the same app, so
 * a record edited to point the token endpoint elsewhere must not redirect the others' refresh
 * tokens; such metadata is ignored and discovery runs instead.
 */
function storedAuthorityMetadata(stored: string | undefined, prepared: PreparedApp<unknown>): string | undefined {
	const outcome = readEnvelope(stored, prepared.owner, prepared.clientId);
	const metadata = outcome.kind === 'ok' ? outcome.envelope.authorityMetadata : undefined;
	return metadata !== undefined && endpointsOnAuthorityHost(metadata, prepared.authority) ? metadata : undefined;
}

const METADATA_ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'end_session_endpoint', 'jwks_uri'];

function endpointsOnAuthorityHost(metadata: string, authority: string): boolean {
	try {
		const document = JSON.parse(metadata) as Record<string, unknown>;
		const origin = new URL(authority).origin;
		if (typeof document.token_endpoint !== 'string' || typeof document.authorization_endpoint !== 'string')
			return false;
		return METADATA_ENDPOINTS.every(
			(field) =>
				document[field] === undefined ||
				(typeof document[field] === 'string' && new URL(document[field] as string).origin === origin),
		);
	} catch {
		return false;
	}
}
