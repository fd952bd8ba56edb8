import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The browser sign-in keeps nothing on the server between its two steps: what the second step
 * needs (PKCE verifier, expiry, the scopes / claims / login hint in effect) travels in the OAuth
 * `state`, encrypted and authenticated (AES-256-GCM). So an anonymous request for the sign-in
 * link writes nothing, and any n8n process holding the same instance key can complete it.
 *
 * The same instance secret also signs the sign-in links the nodes generate, so that extra
 * scopes, claims and a login hint are honoured only from those links. Both keys are derived
 * with HKDF under their own labels, so neither can stand in for the other (or for n8n's use of
 * the secret). Both bind the credential record (n8n's credential ID) with its client ID, authority
 * and redirect URI: a state or link made for one credential is useless for another, even for a
 * look-alike record an editor made with the same app and redirect URI.
 */

export interface SignInKeys {
	/** AES-256-GCM key for the state. */
	state: Buffer;
	/** HMAC-SHA256 key for the sign-in link's signature. */
	link: Buffer;
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

const STATE_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'n8n-nodes-msal';
const STATE_KEY_LABEL = 'n8n-nodes-msal browser sign-in state v1 (AES-256-GCM)';
const LINK_KEY_LABEL = 'n8n-nodes-msal browser sign-in link signature v1 (HMAC-SHA256)';

export function deriveSignInKeys(secret: string | Buffer): SignInKeys {
	const derive = (label: string) => Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, label, 32));
	return { state: derive(STATE_KEY_LABEL), link: derive(LINK_KEY_LABEL) };
}

/** The credential a state or link belongs to (authenticated, never sent). `record`: n8n's credential ID. */
export function credentialBinding(clientId: string, authority: string, redirectUri: string, record: string): string {
	return JSON.stringify(['credential', record, clientId, authority, redirectUri]);
}

export function sealSignInState(state: SignInState, keys: SignInKeys, binding: string): string {
	const iv = randomBytes(IV_BYTES);
	const cipher = createCipheriv('aes-256-gcm', keys.state, iv);
	cipher.setAAD(Buffer.from(binding, 'utf8'));
	const body = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
	return Buffer.concat([Buffer.from([STATE_VERSION]), iv, body, cipher.getAuthTag()]).toString('base64url');
}

export type OpenedState = { ok: true; state: SignInState } | { ok: false; reason: 'invalid' | 'expired' };

/** Decrypts and checks a state; 'invalid' covers tampered, foreign (other credential or instance) and garbage. */
export function openSignInState(token: string, keys: SignInKeys, binding: string, now = Date.now()): OpenedState {
	const raw = /^[A-Za-z0-9_-]{1,8192}$/.test(token) ? Buffer.from(token, 'base64url') : Buffer.alloc(0);
	if (raw.length < 1 + IV_BYTES + TAG_BYTES + 2 || raw[0] !== STATE_VERSION) return { ok: false, reason: 'invalid' };
	let state: unknown;
	try {
		const decipher = createDecipheriv('aes-256-gcm', keys.state, raw.subarray(1, 1 + IV_BYTES));
		decipher.setAAD(Buffer.from(binding, 'utf8'));
		decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
		const body = Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
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
	const canonical = JSON.stringify([
		'sign-in link v1',
		binding,
		extras.scopes ?? '',
		extras.claims ?? '',
		extras.loginHint ?? '',
	]);
	return createHmac('sha256', keys.link).update(canonical, 'utf8').digest('base64url');
}

export function isSignedLink(
	extras: LinkExtras,
	signature: string | undefined,
	keys: SignInKeys,
	binding: string,
): boolean {
	if (!signature) return false;
	const expected = Buffer.from(linkSignature(extras, keys, binding), 'utf8');
	const given = Buffer.from(signature, 'utf8');
	return given.length === expected.length && timingSafeEqual(given, expected);
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
