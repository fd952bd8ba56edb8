// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- types only; jose itself through ./jose
import type { createLocalJWKSet, JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { readBoundedText } from '../boundedBody';
import { assertDiscoveredEndpoints } from '../discovery';
import { describeFetchFailure, describeRedirect } from '../networkClient';
import { outboundFetch } from '../outbound';
import { processWide } from '../processWide';
import { jose } from './jose';

/**
 * The signing keys of an authority, discovered once per process and kept: validating a token
 * makes no request. The key set is fetched again only when a token names a key ID it does not
 * hold (key rollover), at most once per `minRefreshIntervalMs` whatever the tokens say, and in
 * the background of a use once it is older than `maxAgeMs`.
 * Fetching stays ours (outbound.ts: proxy, SSRF filter, no redirect, 1 MB); jose's
 * createRemoteJWKSet would fetch on its own. jose picks the key (createLocalJWKSet: kid, kty and
 * use matching the token's alg) and imports it.
 */
export interface SigningKeySetOptions {
	/** Fewest milliseconds between two fetches caused by unknown key IDs. */
	minRefreshIntervalMs?: number;
	/** Age after which the next use refreshes the keys (the cached ones keep serving meanwhile). */
	maxAgeMs?: number;
	/** GET a JSON document (injectable for tests); the default is fetchJsonDocument. */
	fetchJson?: (url: string) => Promise<unknown>;
}

export interface OpenIdDocument {
	issuer: string;
	jwks_uri: string;
}

const DEFAULT_MIN_REFRESH_MS = 60_000;
const DEFAULT_MAX_AGE_MS = 24 * 3600_000;
const FETCH_TIMEOUT_MS = 15_000;

/**
 * GET a discovery document or key set the way MSAL's requests go (outbound.ts): https only,
 * n8n's SSRF filter and proxy settings, no redirect followed (keys must come from the authority
 * itself), at most 1 MB read, a timeout. Nothing of the answer is quoted into an error.
 */
export async function fetchJsonDocument(url: string): Promise<unknown> {
	const target = new URL(url);
	const source = `${target.host} answered GET ${target.pathname}`;
	if (target.protocol !== 'https:')
		throw new Error(`Refused to fetch ${target.origin}: signing keys are fetched over https only. Nothing was sent.`);
	let response: Response;
	try {
		response = await outboundFetch(target, {
			headers: { accept: 'application/json' },
			signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
			redirect: 'manual',
		});
	} catch (error) {
		throw new Error(describeFetchFailure(error, url, FETCH_TIMEOUT_MS));
	}
	if (response.status >= 300 && response.status < 400) {
		await response.body?.cancel().catch(() => undefined);
		throw new Error(describeRedirect('GET', target, response.status, response.headers.get('location')));
	}
	if (!response.ok) {
		await response.body?.cancel().catch(() => undefined);
		throw new Error(`${source} with HTTP ${response.status}.`);
	}
	let text: string;
	try {
		text = await readBoundedText(response, source);
	} catch (error) {
		throw new Error(describeFetchFailure(error, url, FETCH_TIMEOUT_MS));
	}
	try {
		return JSON.parse(text) as unknown;
	} catch {
		throw new Error(`${source} with a body that is not JSON.`);
	}
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

export class SigningKeySet {
	/** Fetches made (discovery document and key set), for tests and the benchmark. */
	fetches = 0;
	private document: OpenIdDocument | undefined;
	private keys: LocalKeySet | undefined;
	private fetchedAt = 0;
	private inFlight: Promise<void> | undefined;
	private readonly minRefreshIntervalMs: number;
	private readonly maxAgeMs: number;
	private readonly fetchJson: (url: string) => Promise<unknown>;

	constructor(
		/** e.g. https://login.microsoftonline.com/<tenant> */
		readonly authority: string,
		options: SigningKeySetOptions = {},
	) {
		this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_MS;
		this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
		this.fetchJson = options.fetchJson ?? fetchJsonDocument;
	}

	/** The discovery document (issuer, jwks_uri), fetched on first use. */
	async openIdDocument(): Promise<OpenIdDocument> {
		if (!this.document) await this.refresh();
		return this.document!;
	}

	/**
	 * jose's key resolver (jwtVerify's second argument): the published key for the token's kid and
	 * alg. An unknown kid fetches the key set again (rate-limited) before jose's
	 * ERR_JWKS_NO_MATCHING_KEY is thrown.
	 */
	readonly getKey: JWTVerifyGetKey = async (header, token) => {
		if (!this.keys) await this.refresh();
		const now = Date.now();
		if (now - this.fetchedAt > this.maxAgeMs && !this.inFlight) void this.refresh().catch(() => undefined);
		try {
			return await this.keys!(header, token);
		} catch (error) {
			if ((error as { code?: unknown }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
			if (now - this.fetchedAt < this.minRefreshIntervalMs) throw error;
		}
		await this.refresh();
		return await this.keys!(header, token);
	};

	private refresh(): Promise<void> {
		this.inFlight ??= this.load().finally(() => (this.inFlight = undefined));
		return this.inFlight;
	}

	private async load(): Promise<void> {
		const origin = new URL(this.authority).origin;
		if (!this.document) {
			const discoveryUrl = `${this.authority}/v2.0/.well-known/openid-configuration`;
			this.fetches++;
			const document = (await this.fetchJson(discoveryUrl)) as Partial<OpenIdDocument>;
			if (typeof document?.issuer !== 'string' || typeof document.jwks_uri !== 'string')
				throw new Error(`The OpenID configuration at ${discoveryUrl} has no issuer or jwks_uri.`);
			// The checks MSAL's discovery gets (discovery.ts): a tampered document must not swap the keys.
			assertDiscoveredEndpoints(document, discoveryUrl);
			const jwksUrl = new URL(document.jwks_uri);
			// Stricter still: the keys come from the authority's own origin.
			if (jwksUrl.origin !== origin)
				throw new Error(`The jwks_uri ${jwksUrl.origin} is not on the authority's host ${origin}.`);
			this.document = { issuer: document.issuer, jwks_uri: document.jwks_uri };
		}
		this.fetches++;
		const body = (await this.fetchJson(this.document.jwks_uri)) as { keys?: unknown };
		if (!Array.isArray(body?.keys)) throw new Error(`${this.document.jwks_uri} returned no "keys".`);
		const { createLocalJWKSet } = await jose();
		try {
			this.keys = createLocalJWKSet(body as JSONWebKeySet);
		} catch {
			throw new Error(`${this.document.jwks_uri} returned "keys" that are not all JSON Web Keys.`);
		}
		this.fetchedAt = Date.now();
	}
}

const keySets = processWide('entraApiSigningKeys', () => new Map<string, SigningKeySet>());
const KEY_SET_LIMIT = 100;

/** The process-wide key set of an authority. */
export function signingKeysFor(authority: string): SigningKeySet {
	let set = keySets.get(authority);
	if (!set) {
		set = new SigningKeySet(authority);
		keySets.set(authority, set);
		if (keySets.size > KEY_SET_LIMIT) keySets.delete(keySets.keys().next().value as string);
	}
	return set;
}
