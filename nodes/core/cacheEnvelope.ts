import { createHash } from 'node:crypto';

/**
 * What this package stores in the credential's hidden token-cache field: MSAL's serialized
 * cache, wrapped with what is needed to trust it and to skip network round trips.
 */
export interface CacheEnvelope {
	format: typeof FORMAT;
	/** Fingerprint of authority + client ID: a cache from another app or authority is foreign. */
	owner: string;
	/** Random per credential record: tells "an older copy of this record" from "another record". */
	lineage: string;
	/** Increases on every write, so a process never replaces a newer cache with an older one. */
	revision: number;
	/** Random per write: tells processes apart that wrote the same revision (renewalLease.ts). */
	writeId?: string;
	/** The credential record (n8n's credential ID) the cache was written for, when known. */
	record?: string;
	/** The authority's OpenID configuration, so later executions make no discovery request. */
	authorityMetadata?: string;
	/** MSAL's cache (its serialize() JSON, parsed). */
	msal: Record<string, unknown>;
}

const FORMAT = 'n8n-nodes-msal/token-cache@1';
const MSAL_SECTIONS = ['Account', 'IdToken', 'AccessToken', 'RefreshToken', 'AppMetadata'];

export type ReadOutcome =
	| { kind: 'empty' }
	| {
			kind: 'ok';
			envelope: CacheEnvelope;
			/** MSAL's part as JSON text, for TokenCache.deserialize. */ msalText: string;
	  }
	| { kind: 'discarded'; reason: string };

export function cacheOwner(authority: string, clientId: string): string {
	return createHash('sha256')
		.update(`${authority.toLowerCase()}|${clientId.toLowerCase()}`)
		.digest('base64url')
		.slice(0, 22);
}

/** Reads the stored field. Anything unusable is reported, never thrown: the caller starts afresh. */
export function readEnvelope(stored: unknown, owner: string, clientId: string): ReadOutcome {
	if (stored === undefined || stored === null || stored === '') return { kind: 'empty' };
	if (typeof stored !== 'string') return { kind: 'discarded', reason: 'the token cache field is not text' };
	let parsed: unknown;
	try {
		parsed = JSON.parse(stored);
	} catch {
		return { kind: 'discarded', reason: 'the token cache is not valid JSON (edited by hand or truncated)' };
	}
	const envelope = parsed as Partial<CacheEnvelope>;
	if (envelope?.format !== FORMAT || typeof envelope.msal !== 'object' || envelope.msal === null) {
		return { kind: 'discarded', reason: 'the token cache is not in the format this package writes' };
	}
	if (typeof envelope.authorityMetadata !== 'string' && envelope.authorityMetadata !== undefined) {
		return { kind: 'discarded', reason: 'the token cache has malformed authority metadata' };
	}
	if (
		(typeof envelope.writeId !== 'string' && envelope.writeId !== undefined) ||
		(typeof envelope.record !== 'string' && envelope.record !== undefined)
	) {
		return { kind: 'discarded', reason: 'the token cache has a malformed write id or record' };
	}
	if (envelope.owner !== owner) {
		return { kind: 'discarded', reason: 'the token cache belongs to another client ID or authority' };
	}
	if (
		!Number.isInteger(envelope.revision) ||
		(envelope.revision as number) < 0 ||
		typeof envelope.lineage !== 'string'
	) {
		return { kind: 'discarded', reason: 'the token cache has no valid revision' };
	}
	const problem = findMsalCacheProblem(envelope.msal, clientId);
	if (problem) return { kind: 'discarded', reason: problem };
	return { kind: 'ok', envelope: envelope as CacheEnvelope, msalText: msalTextOf(stored, envelope) };
}

export function writeEnvelope(envelope: CacheEnvelope): string {
	// `msal` last, so that msalTextOf can cut it out of the stored text.
	const { msal, ...rest } = envelope;
	return JSON.stringify({ ...rest, msal });
}

/**
 * MSAL's part as text. Re-serialising the parsed object costs more than MSAL's own
 * deserialisation, so when `msal` is the last key (as writeEnvelope puts it) the text is cut
 * out of the stored string: the other top-level values are strings and numbers, whose quotes
 * are escaped, so the first unescaped `"msal":` is that key.
 */
function msalTextOf(stored: string, envelope: Partial<CacheEnvelope>): string {
	const keys = Object.keys(envelope);
	const at = stored.indexOf('"msal":');
	if (keys[keys.length - 1] === 'msal' && at > 0 && at === stored.lastIndexOf('"msal":')) {
		return stored.slice(at + '"msal":'.length, stored.lastIndexOf('}'));
	}
	return JSON.stringify(envelope.msal);
}

/** MSAL's deserialize trusts its input; check the shape and that every entry is for our client. */
function findMsalCacheProblem(msal: Record<string, unknown>, clientId: string): string | undefined {
	for (const [section, entries] of Object.entries(msal)) {
		if (!MSAL_SECTIONS.includes(section)) return `the token cache has an unknown section "${section}"`;
		if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
			return `the token cache section "${section}" is malformed`;
		}
		for (const entry of Object.values(entries as Record<string, unknown>)) {
			if (typeof entry !== 'object' || entry === null) return `an entry of "${section}" is malformed`;
			const entryClientId = (entry as { client_id?: unknown }).client_id;
			if (
				section !== 'Account' &&
				typeof entryClientId === 'string' &&
				entryClientId.toLowerCase() !== clientId.toLowerCase()
			) {
				return 'the token cache holds tokens of another client ID';
			}
		}
	}
	return undefined;
}
