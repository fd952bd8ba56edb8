import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { MsalNodeError } from './errors';

/**
 * The browser sign-in keeps nothing on the server between its two steps: what the second step
 * needs (PKCE verifier, expiry, the scopes / claims / login hint in effect) travels in the OAuth
 * `state`, encrypted and authenticated (AES-256-GCM). So an anonymous request for the sign-in
 * link writes nothing, and any n8n process that reads the same credential record can complete it.
 *
 * The keys come from a random secret kept in the credential record itself (n8n encrypts it like
 * every field; nodes/n8n/signInKeys.ts), never from n8n's instance key. The same secret signs the
 * sign-in links the nodes generate, so that extra scopes, claims and a login hint are honoured
 * only from those links. Both keys are derived with HKDF under their own labels and the record's
 * ID, so neither can stand in for the other, and a secret copied into another record derives
 * other keys. Both also bind the record with its client ID, authority and redirect URI: a state or
 * link made for one credential is useless for another, even for a look-alike record an editor
 * made with the same app and redirect URI. Sign Out replaces the secret with one of the next
 * generation: states and links of an earlier generation are refused as such.
 */

/** The secret stored in the credential record, and how often it was replaced (Sign Out). */
export interface SignInSecret {
	generation: number;
	secret: Buffer;
	/** The secret it replaced: kept only to tell a link made before Sign Out from a forged one. */
	previous?: Buffer;
}

export interface SignInKeys {
	/** AES-256-GCM key for the state. */
	state: Buffer;
	/** HMAC-SHA256 key for the sign-in link's signature. */
	link: Buffer;
	/** The secret's generation: states carry it, so one of an earlier generation is told apart. */
	generation: number;
	/** The link key of the previous generation: recognises, never honours, a link made before Sign Out. */
	previousLink?: Buffer;
}

/** What the state carries from the first step to the second. Secret (holds the PKCE verifier). */
export interface SignInState {
	verifier: string;
	scopes: string[];
	claims?: string;
	loginHint?: string;
	/** Milliseconds since the epoch. */
	expiresAt: number;
	/** Makes each state unique, and usable once per process. */
	nonce: string;
}

/** The extras of a sign-in link, as they appear in its query string. */
export interface LinkExtras {
	scopes?: string;
	claims?: string;
	loginHint?: string;
}

/** The credential has no sign-in secret yet: the node creates one through the credential store, then asks again. */
export class SignInKeyNeeded extends MsalNodeError {
	constructor() {
		super(
			'This credential has no sign-in key yet, so no sign-in link can be signed.',
			'Run the node again: it creates the key in the credential.',
		);
	}
}

/** Version 2: the secret's generation follows the version byte (version 1 came from n8n's instance key). */
const STATE_VERSION = 2;
const GENERATION_BYTES = 4;
const HEADER_BYTES = 1 + GENERATION_BYTES;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SECRET_BYTES = 32;
const HKDF_SALT = 'n8n-nodes-msal';
const STATE_KEY_LABEL = 'n8n-nodes-msal browser sign-in state v2 (AES-256-GCM)';
const LINK_KEY_LABEL = 'n8n-nodes-msal browser sign-in link signature v2 (HMAC-SHA256)';
const STORED_FORMAT = /^v1\.([1-9][0-9]{0,8})\.([A-Za-z0-9_-]{43})(?:\.([A-Za-z0-9_-]{43}))?$/;

/** A new random secret, one generation after `current` (the first when there is none). */
export function newSignInSecret(current?: SignInSecret): SignInSecret {
	return {
		generation: (current?.generation ?? 0) + 1,
		secret: randomBytes(SECRET_BYTES),
		...(current ? { previous: current.secret } : {}),
	};
}

/** The secret as the credential record holds it: `v1.<generation>.<secret>[.<previous secret>]` (base64url). */
export function formatSignInSecret(secret: SignInSecret): string {
	const previous = secret.previous ? `.${secret.previous.toString('base64url')}` : '';
	return `v1.${secret.generation}.${secret.secret.toString('base64url')}${previous}`;
}

/** The stored secret, or undefined when the field is empty or not one this package wrote. */
export function parseSignInSecret(stored: unknown): SignInSecret | undefined {
	const match = typeof stored === 'string' ? STORED_FORMAT.exec(stored) : null;
	if (!match) return undefined;
	return {
		generation: Number(match[1]),
		secret: Buffer.from(match[2], 'base64url'),
		...(match[3] ? { previous: Buffer.from(match[3], 'base64url') } : {}),
	};
}

/** The keys of one credential record (`record`: n8n's credential ID, bound into the derivation). */
export function deriveSignInKeys(secret: SignInSecret, record: string): SignInKeys {
	const derive = (ikm: Buffer, label: string) =>
		Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, JSON.stringify([label, record]), 32));
	return {
		state: derive(secret.secret, STATE_KEY_LABEL),
		link: derive(secret.secret, LINK_KEY_LABEL),
		generation: secret.generation,
		...(secret.previous ? { previousLink: derive(secret.previous, LINK_KEY_LABEL) } : {}),
	};
}

/** The credential a state or link belongs to (authenticated, never sent). `record`: n8n's credential ID. */
export function credentialBinding(clientId: string, authority: string, redirectUri: string, record: string): string {
	return JSON.stringify(['credential', record, clientId, authority, redirectUri]);
}

export function sealSignInState(state: SignInState, keys: SignInKeys, binding: string): string {
	const header = Buffer.alloc(HEADER_BYTES);
	header[0] = STATE_VERSION;
	header.writeUInt32BE(keys.generation, 1);
	const iv = randomBytes(IV_BYTES);
	const cipher = createCipheriv('aes-256-gcm', keys.state, iv);
	cipher.setAAD(Buffer.concat([header, Buffer.from(binding, 'utf8')]));
	const body = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
	return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** 'rotated': sealed with an earlier generation of the secret (the credential was signed out since). */
export type OpenedState = { ok: true; state: SignInState } | { ok: false; reason: 'invalid' | 'expired' | 'rotated' };

/** Decrypts and checks a state; 'invalid' covers tampered, foreign (other credential or instance) and garbage. */
export function openSignInState(token: string, keys: SignInKeys, binding: string, now = Date.now()): OpenedState {
	const raw = /^[A-Za-z0-9_-]{1,8192}$/.test(token) ? Buffer.from(token, 'base64url') : Buffer.alloc(0);
	if (raw.length < HEADER_BYTES + IV_BYTES + TAG_BYTES + 2 || raw[0] !== STATE_VERSION)
		return { ok: false, reason: 'invalid' };
	// Only a message depends on this unauthenticated read: an earlier generation's key is gone, so
	// such a state cannot be opened either way.
	if (raw.readUInt32BE(1) < keys.generation) return { ok: false, reason: 'rotated' };
	let state: unknown;
	try {
		const decipher = createDecipheriv('aes-256-gcm', keys.state, raw.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES));
		decipher.setAAD(Buffer.concat([raw.subarray(0, HEADER_BYTES), Buffer.from(binding, 'utf8')]));
		decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
		const body = Buffer.concat([
			decipher.update(raw.subarray(HEADER_BYTES + IV_BYTES, raw.length - TAG_BYTES)),
			decipher.final(),
		]);
		state = JSON.parse(body.toString('utf8'));
	} catch {
		return { ok: false, reason: 'invalid' };
	}
	if (!isSignInState(state)) return { ok: false, reason: 'invalid' };
	if (now >= state.expiresAt) return { ok: false, reason: 'expired' };
	return { ok: true, state };
}

function isSignInState(value: unknown): value is SignInState {
	const s = value as Partial<SignInState> | null;
	return (
		typeof s === 'object' &&
		s !== null &&
		typeof s.verifier === 'string' &&
		Array.isArray(s.scopes) &&
		s.scopes.every((scope) => typeof scope === 'string') &&
		(s.claims === undefined || typeof s.claims === 'string') &&
		(s.loginHint === undefined || typeof s.loginHint === 'string') &&
		typeof s.expiresAt === 'number' &&
		typeof s.nonce === 'string'
	);
}

/** HMAC over the link's extras exactly as they appear in its query string, and the credential. */
export function linkSignature(extras: LinkExtras, keys: SignInKeys, binding: string): string {
	return signLink(extras, keys.link, keys.generation, binding);
}

function signLink(extras: LinkExtras, key: Buffer, generation: number, binding: string): string {
	const canonical = JSON.stringify([
		'sign-in link v2',
		generation,
		binding,
		extras.scopes ?? '',
		extras.claims ?? '',
		extras.loginHint ?? '',
	]);
	return createHmac('sha256', key).update(canonical, 'utf8').digest('base64url');
}

function sameSignature(signature: string, expected: string): boolean {
	const given = Buffer.from(signature, 'utf8');
	const wanted = Buffer.from(expected, 'utf8');
	return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export function isSignedLink(
	extras: LinkExtras,
	signature: string | undefined,
	keys: SignInKeys,
	binding: string,
): boolean {
	return Boolean(signature) && sameSignature(signature!, linkSignature(extras, keys, binding));
}

/** A genuine link of this credential, signed before its secret was last replaced (Sign Out). */
export function isSignedBeforeRotation(
	extras: LinkExtras,
	signature: string | undefined,
	keys: SignInKeys,
	binding: string,
): boolean {
	if (!signature || !keys.previousLink) return false;
	return sameSignature(signature, signLink(extras, keys.previousLink, keys.generation - 1, binding));
}

export function hasExtras(extras: LinkExtras): boolean {
	return Boolean(extras.scopes || extras.claims || extras.loginHint);
}

/**
 * States already redeemed in this process (nonce → expiry): a sign-in response completes one
 * sign-in. Another process would send a replayed response to the identity provider, which
 * refuses the used code.
 */
export class UsedStates {
	private readonly used = new Map<string, number>();

	/** False when the nonce was used already. */
	use(nonce: string, expiresAt: number, now = Date.now()): boolean {
		for (const [key, expiry] of this.used) if (expiry <= now) this.used.delete(key);
		if (this.used.has(nonce)) return false;
		this.used.set(nonce, expiresAt);
		return true;
	}
}
