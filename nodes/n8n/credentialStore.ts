// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, allowed for self-hosted n8n
import { AsyncLocalStorage } from 'node:async_hooks';
import {
	sleep,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type INode,
} from 'n8n-workflow';
import { describeError, InvalidInputError } from '../core/errors';
import { assertTokenMayGo } from '../core/http/tokenGuard';
import { currentEgressFilter, egressFilterOf, withEgressFilter, type EgressFilter } from '../core/outbound';
import { processWide } from '../core/processWide';
import { RenewedElsewhereError } from '../core/renewalLease';
import type { NodeTokenRequest } from '../core/signIn';
import type { TokenOutcome, TokenResult } from '../core/tokenResult';
import { cloudOf, domainRestrictionOf } from './credentialFields';
import { useN8nLogger } from './logSink';
import { fieldsForN8n, storedExpressionsReader, type StoredExpressionsReader } from './olderN8nWrites';
import { quote } from '../core/quote';
import { checkTokenRequest } from './requestPolicy';

/**
 * The one place that reads and writes the MSAL token cache of a credential in n8n's
 * encrypted credential store.
 *
 * n8n's public write path is a credential type's `preAuthentication`: n8n calls it before
 * `httpRequestWithAuthentication` when the credential's expirable hidden field is '', and
 * saves (encrypted) every declared field it returns, provided the expirable one is among them.
 * We keep that field '' for ever, so `preAuthentication` runs on every request: it does the
 * silent-first acquisition against the stored cache and returns the cache only when MSAL
 * changed it (returning {} writes nothing). A node that needs a token without an HTTP call
 * goes through the same path with a request that `authenticate` stops before it leaves.
 * The node's wishes (scopes, force refresh, claims) reach `preAuthentication`, which only
 * receives the credential data, through an AsyncLocalStorage context.
 */
export const CACHE_MARKER_FIELD = 'cacheMarker';
export const TOKEN_CACHE_FIELD = 'tokenCache';

/** Other declared hidden fields to save with the cache (e.g. a pending sign-in); '' clears one. */
export type FieldsToStore = Record<string, string>;

export type Acquirer = (
	credentials: ICredentialDataDecryptedObject,
	storedCache: string | undefined,
	request: NodeTokenRequest,
) => Promise<TokenOutcome & { fieldsToStore?: FieldsToStore }>;

/**
 * Thrown by an acquirer that fails but must still save fields (a sign-in code the next run
 * redeems): they are saved, then `cause` is what the node (or n8n's HTTP Request node) sees.
 */
export class SaveThenFail extends Error {
	constructor(
		readonly cause: unknown,
		readonly fieldsToStore: FieldsToStore,
	) {
		super(describeError(cause));
	}
}

/** Work other than a token (e.g. signing an account out) that changes what is stored. */
export type StoreWork<T> = (
	credentials: ICredentialDataDecryptedObject,
	storedCache: string | undefined,
	/** The credential record (n8n's credential ID). */
	record: string | undefined,
) => Promise<{ value: T; cacheToStore?: string; fieldsToStore?: FieldsToStore; saved?: () => void }>;

interface PendingAcquisition {
	/** Whose request this is: another credential type's preAuthentication must not take it. */
	credentialType: string;
	request: NodeTokenRequest;
	outcome?: TokenOutcome;
	error?: unknown;
	work?: StoreWork<unknown>;
	workResult?: { value: unknown };
	/** n8n before 2.34 only: the stored expressions to hand back with a write (olderN8nWrites.ts). */
	storedExpressions?: StoredExpressionsReader;
	/** Taken by the first preAuthentication in the context: n8n's for this request. */
	claimed?: boolean;
	/** Reports the cache written in this context saved (CacheSession.use). */
	saved?: () => void;
}

const pendingContext = processWide('pendingAcquisition', () => new AsyncLocalStorage<PendingAcquisition>());

// Every way into the core passes here, including a credential used alone by n8n's HTTP Request
// node (n8n then loads none of our nodes): the core's logs must reach n8n's log from the start.
useN8nLogger();

/** Token obtained in preAuthentication, for the authenticate call n8n makes next with the same object. */
const tokensForCredentials = new WeakMap<ICredentialDataDecryptedObject, TokenResult>();
/**
 * Reports a written cache saved. n8n saves what preAuthentication returns before it calls
 * authenticate with the same object, so authenticate reports it.
 */
const savesForCredentials = new WeakMap<ICredentialDataDecryptedObject, () => void>();
/** A failure of preAuthentication that saved fields first; authenticate (HTTP Request node path) rethrows it. */
const failuresForCredentials = new WeakMap<ICredentialDataDecryptedObject, unknown>();

/** Marks the request a node sends only to obtain a token; it never reaches the network. */
const TOKEN_ONLY_URL = 'https://token-only.n8n-nodes-msal.invalid/';

class TokenOnlyRequestStopped extends Error {}

/**
 * The request of n8n's own HTTP Request node (no node of ours around it): no cancel signal reaches
 * a wait there, so a device-code sign-in always stops and shows the code.
 */
const HTTP_REQUEST_NODE_REQUEST: NodeTokenRequest = { signIn: { mode: 'stop' } };

/** The node's pending acquisition, when it is for this credential type. */
function pendingFor(credentialType: string): PendingAcquisition | undefined {
	const pending = pendingContext.getStore();
	return pending?.credentialType === credentialType ? pending : undefined;
}

/**
 * The node's pending acquisition for the preAuthentication n8n runs for it. Only the first one in
 * the context is the node's own: n8n runs it for the node's request before anything else can run
 * there, so any later one (another record used by code the acquisition started) acts as if no
 * node of ours were around it.
 */
function claimPending(credentialType: string): PendingAcquisition | undefined {
	const pending = pendingFor(credentialType);
	if (!pending || pending.claimed) return undefined;
	pending.claimed = true;
	return pending;
}

/**
 * Runs `fn` outside any pending acquisition: a workflow that a node starts (the sign-in prompt
 * workflow) must not see the node's scopes, account or claims, nor land its own results in the
 * node's acquisition.
 */
export function outsideAcquisition<T>(fn: () => T): T {
	return pendingContext.exit(fn);
}

/** The credential's stored token cache, or undefined when there is none yet. */
export function storedCacheOf(credentials: ICredentialDataDecryptedObject): string | undefined {
	const value = credentials[TOKEN_CACHE_FIELD];
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Body of the credential types' `preAuthentication`. `helpers` (n8n's, from `this`) carry n8n's
 * SSRF egress filter, which the identity-provider requests then honour.
 */
export async function preAuthenticate(
	credentialType: string,
	credentials: ICredentialDataDecryptedObject,
	acquire: Acquirer,
	helpers?: unknown,
): Promise<IDataObject> {
	return await withEgressFilter(
		egressFilterForPreAuthentication(helpers),
		async () => await preAuthenticateWithin(claimPending(credentialType), credentials, withinPolicy(acquire)),
	);
}

/**
 * n8n 2.41's preAuthentication helpers lack getSecureEgressFilter; when our own node started the
 * request, the filter it set around the call still applies, and must not be replaced by none.
 */
function egressFilterForPreAuthentication(helpers: unknown): EgressFilter | undefined {
	return egressFilterOf(helpers) ?? currentEgressFilter();
}

/**
 * Every token of every path (our nodes, n8n's HTTP Request node) is minted here, so the
 * credential's policy (requestPolicy.ts) is checked here, on the record the token would come from.
 */
function withinPolicy(acquire: Acquirer): Acquirer {
	return async (credentials, storedCache, request) => {
		checkTokenRequest(credentials, request);
		return await acquire(credentials, storedCache, request);
	};
}

async function preAuthenticateWithin(
	pending: PendingAcquisition | undefined,
	credentials: ICredentialDataDecryptedObject,
	acquire: Acquirer,
): Promise<IDataObject> {
	failuresForCredentials.delete(credentials);
	try {
		if (pending?.work) {
			const result = await pending.work(credentials, storedCacheOf(credentials), pending.request.record);
			pending.workResult = { value: result.value };
			expectSave(credentials, pending, result.saved);
			return await forN8n(pending, toSave(result.cacheToStore, result.fieldsToStore), false);
		}
		const outcome = await acquire(
			credentials,
			storedCacheOf(credentials),
			pending?.request ?? HTTP_REQUEST_NODE_REQUEST,
		);
		if (pending) pending.outcome = outcome;
		expectSave(credentials, pending, outcome.saved);
		tokensForCredentials.set(credentials, outcome.token);
		return await forN8n(pending, toSave(outcome.cacheToStore, outcome.fieldsToStore), false);
	} catch (error) {
		if (error instanceof SaveThenFail) {
			if (pending) pending.error = error.cause;
			tokensForCredentials.delete(credentials);
			failuresForCredentials.set(credentials, error.cause);
			return await forN8n(pending, toSave(undefined, error.fieldsToStore), true);
		}
		if (pending) pending.error = error;
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- rethrown to the node, which turns it into a NodeOperationError (nodes/n8n/itemErrors.ts)
		throw error;
	}
}

function expectSave(
	credentials: ICredentialDataDecryptedObject,
	pending: PendingAcquisition | undefined,
	saved: (() => void) | undefined,
): void {
	if (!saved) return;
	savesForCredentials.set(credentials, saved);
	if (pending) pending.saved = saved;
}

const forN8n = (pending: PendingAcquisition | undefined, fields: IDataObject, failing: boolean) =>
	fieldsForN8n(fields, { viaOurNode: pending !== undefined, reader: pending?.storedExpressions, failing });

function toSave(cacheToStore: string | undefined, fieldsToStore: FieldsToStore | undefined): IDataObject {
	const fields: IDataObject = { ...(fieldsToStore ?? {}) };
	if (cacheToStore !== undefined) fields[TOKEN_CACHE_FIELD] = cacheToStore;
	return Object.keys(fields).length === 0 ? {} : { [CACHE_MARKER_FIELD]: '', ...fields };
}

/** Body of the credential types' `authenticate`: adds the bearer token (n8n's HTTP Request node path). */
export async function authenticateRequest(
	credentialType: string,
	credentials: ICredentialDataDecryptedObject,
	requestOptions: IHttpRequestOptions,
	unchecked: Acquirer,
): Promise<IHttpRequestOptions> {
	const acquire = withinPolicy(unchecked);
	savesForCredentials.get(credentials)?.();
	savesForCredentials.delete(credentials);
	const pending = pendingFor(credentialType);
	if (pending && requestOptions.url === TOKEN_ONLY_URL) {
		// preAuthentication did not run (n8n skips it when the marker is not ''): acquire without saving.
		if (!pending.outcome && !pending.error && !pending.work) {
			try {
				pending.outcome = await acquire(credentials, storedCacheOf(credentials), pending.request);
			} catch (error) {
				pending.error = error;
			}
		}
		throw new TokenOnlyRequestStopped('token obtained; request not sent');
	}
	if (failuresForCredentials.has(credentials)) throw failuresForCredentials.get(credentials);
	const token =
		tokensForCredentials.get(credentials) ??
		(await acquire(credentials, storedCacheOf(credentials), HTTP_REQUEST_NODE_REQUEST)).token;
	refuseAmbiguousUrl(requestOptions);
	guardDestination(credentials, requestOptions, token.scopes);
	return {
		...requestOptions,
		headers: { ...(requestOptions.headers ?? {}), Authorization: `Bearer ${token.accessToken}` },
		// A redirect to another origin never carries the token.
		sendCredentialsOnCrossOriginRedirect: false,
	};
}

/**
 * The token guard of the Call API node, applied to n8n's own HTTP Request node too: a token goes
 * only to its API's hosts or the credential's Allowed Domains, so a prompt-injected AI agent
 * using the HTTP Request tool cannot send a Graph token to an arbitrary URL.
 */
function guardDestination(
	credentials: ICredentialDataDecryptedObject,
	requestOptions: IHttpRequestOptions,
	scopes: string[],
): void {
	const legacy = requestOptions as IHttpRequestOptions & { uri?: string; baseUrl?: string };
	let url: URL;
	try {
		url = new URL(legacy.uri ?? requestOptions.url, requestOptions.baseURL ?? legacy.baseUrl);
	} catch {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- rethrown to the node, which turns it into a NodeOperationError (nodes/n8n/itemErrors.ts)
		throw new InvalidInputError(
			`Refused to send the access token: ${quote(legacy.uri ?? requestOptions.url)} is not an absolute URL.`,
			'Use a full https:// URL.',
			'URL',
		);
	}
	assertTokenMayGo(url, scopes, cloudOf(credentials), domainRestrictionOf(credentials));
}

/** What the nodes and the sign-in webhook need of n8n's context: its authenticated request helper, and the node. */
export type CredentialStoreContext = {
	helpers: Pick<IExecuteFunctions['helpers'], 'httpRequestWithAuthentication'>;
	getNode?: () => INode;
};

/**
 * Sends the never-sent request that makes n8n run the credential type's preAuthentication with
 * `pending` in reach, and saves what it returns.
 */
async function throughCredentialStore(
	context: CredentialStoreContext,
	credentialType: string,
	pending: PendingAcquisition,
): Promise<PendingAcquisition> {
	pending.storedExpressions = storedExpressionsReader(context, credentialType);
	pending.request = { ...pending.request, record: context.getNode?.().credentials?.[credentialType]?.id ?? undefined };
	try {
		await withEgressFilter(egressFilterOf(context.helpers), () =>
			pendingContext.run(pending, () =>
				context.helpers.httpRequestWithAuthentication.call(context as unknown as IExecuteFunctions, credentialType, {
					url: TOKEN_ONLY_URL,
					method: 'GET',
				}),
			),
		);
	} catch (error) {
		if (!pending.outcome && !pending.workResult && !pending.error) pending.error = error;
	} finally {
		// n8n's save is over by now, or failed.
		pending.saved?.();
	}
	if (pending.error !== undefined) throw pending.error;
	return pending;
}

/**
 * Silent-first acquisition for a node, persisted through n8n: the cache is read from the
 * credential record and written back there when it changed.
 */
export async function acquireThroughCredentialStore(
	context: IExecuteFunctions,
	credentialType: string,
	request: NodeTokenRequest,
): Promise<TokenOutcome> {
	const { outcome } = await rereadWhileRenewedElsewhere(
		async () => await throughCredentialStore(context, credentialType, { credentialType, request }),
	);
	if (!outcome) throw new Error('No token was obtained (the credential type did not run).');
	return outcome;
}

/**
 * Runs `work` against the credential's stored data inside n8n's preAuthentication, so what it
 * returns (a new cache, other fields) is saved like a renewed token. Used by Sign Out and the
 * browser sign-in steps.
 */
export async function runThroughCredentialStore<T>(
	context: CredentialStoreContext,
	credentialType: string,
	work: StoreWork<T>,
): Promise<T> {
	const { workResult } = await rereadWhileRenewedElsewhere(
		async () =>
			await throughCredentialStore(context, credentialType, {
				credentialType,
				request: {},
				work: work as StoreWork<unknown>,
			}),
	);
	if (!workResult) throw new Error('The credential type did not run.');
	return workResult.value as T;
}

/** Longer than a few renewals by other processes take one after the other. */
const REREAD_FOR_MS = 30_000;

/**
 * Queue mode: another process renewed the cache this execution read (renewalLease.ts). n8n reads
 * the record anew on every attempt, and that process held the lease until its save, so the
 * next attempt normally finds the renewed cache; while other processes keep renewing, the
 * jittered wait lets their saves through.
 */
async function rereadWhileRenewedElsewhere<T>(attempt: () => Promise<T>): Promise<T> {
	const deadline = Date.now() + REREAD_FOR_MS;
	for (;;) {
		try {
			return await attempt();
		} catch (error) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- rethrown to the node, which turns it into a NodeOperationError (nodes/n8n/itemErrors.ts)
			if (!(error instanceof RenewedElsewhereError) || Date.now() > deadline) throw error;
			await sleep(50 + Math.random() * 150);
		}
	}
}

/** A request naming two destinations (`url` and the legacy `uri`) is refused: the guard checks one, the client might use the other. */
function refuseAmbiguousUrl(requestOptions: IHttpRequestOptions): void {
	const legacy = requestOptions as IHttpRequestOptions & { uri?: unknown };
	if (legacy.uri === undefined || requestOptions.url === undefined || String(legacy.uri) === requestOptions.url) return;
	throw new InvalidInputError(
		`Refused to send the access token: the request names two destinations (${quote(requestOptions.url)} and ${quote(legacy.uri)}).`,
		'Send the request to one URL.',
		'URL',
	);
}
