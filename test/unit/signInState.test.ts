import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { signInLink } from '../../nodes/core/authCode';
import {
	credentialBinding,
	deriveSignInKeys,
	formatSignInSecret,
	isSignedBeforeRotation,
	isSignedLink,
	newSignInSecret,
	openSignInState,
	parseSignInSecret,
	sealSignInState,
	UsedStates,
	type SignInState,
} from '../../nodes/core/signInState';
import { TokenBuckets } from '../../nodes/core/tokenBucket';
import { rotatingSignInKey, SIGN_IN_KEY_FIELD } from '../../nodes/n8n/signInKeys';

const secret = newSignInSecret();
const keys = deriveSignInKeys(secret, 'cred-1');
const binding = credentialBinding(
	'client-1',
	'https://login.example/tenant1/',
	'https://n8n.example/webhook/sign-in',
	'cred-1',
);
const state: SignInState = {
	verifier: 'v'.repeat(43),
	scopes: ['api://x/read'],
	claims: '{"access_token":{}}',
	loginHint: 'alice@contoso.test',
	expiresAt: 2_000_000,
	nonce: 'n1',
};

describe('sign-in state (AES-256-GCM, bound to the credential)', () => {
	it('round-trips, and hides the verifier', () => {
		const sealed = sealSignInState(state, keys, binding);
		expect(sealed).toMatch(/^[\w-]+$/);
		expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('vvvv');
		expect(openSignInState(sealed, keys, binding, 1_000_000)).toEqual({ ok: true, state });
	});

	it('refuses a tampered, foreign, expired or garbage state', () => {
		const sealed = sealSignInState(state, keys, binding);
		const raw = Buffer.from(sealed, 'base64url');
		raw[20] ^= 1;
		expect(openSignInState(raw.toString('base64url'), keys, binding, 1)).toEqual({ ok: false, reason: 'invalid' });
		const other = credentialBinding(
			'client-2',
			'https://login.example/tenant1/',
			'https://n8n.example/webhook/sign-in',
			'cred-1',
		);
		expect(openSignInState(sealed, keys, other, 1)).toEqual({ ok: false, reason: 'invalid' });
		// A look-alike record of the same app, authority and redirect URI.
		const lookAlike = credentialBinding(
			'client-1',
			'https://login.example/tenant1/',
			'https://n8n.example/webhook/sign-in',
			'cred-2',
		);
		expect(openSignInState(sealed, keys, lookAlike, 1)).toEqual({ ok: false, reason: 'invalid' });
		expect(openSignInState(sealed, deriveSignInKeys(newSignInSecret(), 'cred-1'), binding, 1)).toEqual({
			ok: false,
			reason: 'invalid',
		});
		expect(openSignInState(sealed, keys, binding, 2_000_000)).toEqual({ ok: false, reason: 'expired' });
		expect(openSignInState('forged-state', keys, binding, 1)).toEqual({ ok: false, reason: 'invalid' });
		expect(openSignInState('a b', keys, binding, 1)).toEqual({ ok: false, reason: 'invalid' });
	});

	it('a state is usable once per process', () => {
		const used = new UsedStates();
		expect(used.use('n1', 10, 0)).toBe(true);
		expect(used.use('n1', 10, 1)).toBe(false);
		expect(used.use('n1', 10, 11)).toBe(true); // forgotten once expired (the state is refused anyway)
	});
});

describe('signed sign-in links', () => {
	const redirectUri = 'https://n8n.example/webhook/sign-in';
	const signing = {
		keys: () => keys,
		clientId: 'client-1',
		authority: 'https://login.example/tenant1/',
		record: 'cred-1',
	};
	const extrasOf = (link: string) => {
		const q = new URL(link).searchParams;
		return {
			extras: {
				scopes: q.get('scopes') ?? undefined,
				claims: q.get('claims') ?? undefined,
				loginHint: q.get('login_hint') ?? undefined,
			},
			sig: q.get('sig') ?? undefined,
		};
	};

	it('a link with extras is signed; one without stays bare', () => {
		expect(signInLink(redirectUri, {}, signing)).toBe(redirectUri);
		const link = signInLink(redirectUri, { scopes: ['api://x/read'], claims: '{}', loginHint: 'a@b.c' }, signing);
		const { extras, sig } = extrasOf(link);
		expect(isSignedLink(extras, sig, keys, binding)).toBe(true);
	});

	it('tampered, unsigned or other-credential links are not honoured', () => {
		const { extras, sig } = extrasOf(signInLink(redirectUri, { scopes: ['api://x/read'] }, signing));
		expect(isSignedLink({ ...extras, scopes: 'api://x/read api://x/write' }, sig, keys, binding)).toBe(false);
		expect(isSignedLink({ ...extras, loginHint: 'mallory@x' }, sig, keys, binding)).toBe(false);
		expect(isSignedLink(extras, undefined, keys, binding)).toBe(false);
		expect(isSignedLink(extras, `${sig}x`, keys, binding)).toBe(false);
		const other = credentialBinding('client-2', signing.authority, redirectUri, signing.record);
		expect(isSignedLink(extras, sig, keys, other)).toBe(false);
	});

	it("a look-alike record's link (same app, authority and redirect URI) is not honoured by another record", () => {
		const lookAlike = { ...signing, record: 'cred-2' };
		const { extras, sig } = extrasOf(signInLink(redirectUri, { scopes: ['api://x/read'] }, lookAlike));
		expect(isSignedLink(extras, sig, keys, binding)).toBe(false);
		const ownBinding = credentialBinding(signing.clientId, signing.authority, redirectUri, 'cred-2');
		expect(isSignedLink(extras, sig, keys, ownBinding)).toBe(true);
	});

	it('the state and link keys differ (HKDF labels)', () => {
		expect(keys.state.equals(keys.link)).toBe(false);
		expect(keys.state).toHaveLength(32);
	});
});

describe('per-credential token buckets', () => {
	it('30 at once, then 429 with a Retry-After, refilled over the minute, per key', () => {
		const buckets = new TokenBuckets(30, 30);
		for (let i = 0; i < 30; i++) expect(buckets.take('a', 0)).toEqual({ ok: true });
		expect(buckets.take('a', 0)).toEqual({ ok: false, retryAfterSeconds: 2 });
		expect(buckets.take('b', 0)).toEqual({ ok: true });
		expect(buckets.take('a', 2_000)).toEqual({ ok: true });
		expect(buckets.take('a', 2_000).ok).toBe(false);
	});
});

describe("the credential's sign-in secret", () => {
	const redirectUri = 'https://n8n.example/webhook/sign-in';
	const signedLink = (linkKeys: typeof keys, record = 'cred-1') => {
		const link = new URL(
			signInLink(
				redirectUri,
				{ scopes: ['api://x/read'] },
				{ keys: () => linkKeys, clientId: 'client-1', authority: 'https://login.example/tenant1/', record },
			),
		);
		return { extras: { scopes: link.searchParams.get('scopes') ?? undefined }, sig: link.searchParams.get('sig')! };
	};

	it('is stored as text the record round-trips; anything else is no secret', () => {
		const stored = formatSignInSecret(secret);
		expect(stored).toMatch(/^v1\.1\.[\w-]{43}$/);
		expect(parseSignInSecret(stored)).toEqual(secret);
		const rotated = newSignInSecret(secret);
		expect(parseSignInSecret(formatSignInSecret(rotated))).toEqual(rotated);
		for (const garbage of ['', 'v1.1.short', 'v2.1.' + 'a'.repeat(43), 'v1.0.' + 'a'.repeat(43), undefined, 42, {}])
			expect(parseSignInSecret(garbage)).toBeUndefined();
	});

	it("derives other keys for another record's ID from the same secret (HKDF bound to the credential ID)", () => {
		const copied = deriveSignInKeys(secret, 'cred-2');
		expect(copied.state.equals(keys.state)).toBe(false);
		expect(copied.link.equals(keys.link)).toBe(false);
		// A secret copied into another record: its states and links are still not this record's.
		const sealed = sealSignInState(state, copied, binding);
		expect(openSignInState(sealed, keys, binding, 1)).toEqual({ ok: false, reason: 'invalid' });
		const { extras, sig } = signedLink(copied);
		expect(isSignedLink(extras, sig, keys, binding)).toBe(false);
	});

	it("a link of one record is refused by another record's keys, even with the same app and redirect URI", () => {
		const other = deriveSignInKeys(newSignInSecret(), 'cred-2');
		const { extras, sig } = signedLink(other, 'cred-2');
		const otherBinding = credentialBinding('client-1', 'https://login.example/tenant1/', redirectUri, 'cred-2');
		expect(isSignedLink(extras, sig, other, otherBinding)).toBe(true);
		expect(isSignedLink(extras, sig, keys, binding)).toBe(false);
		expect(isSignedBeforeRotation(extras, sig, keys, binding)).toBe(false);
	});

	it('after rotation (Sign Out), earlier links and states are refused and recognised as earlier', () => {
		const rotated = deriveSignInKeys(newSignInSecret(secret), 'cred-1');
		expect(rotated.generation).toBe(2);
		const { extras, sig } = signedLink(keys);
		expect(isSignedLink(extras, sig, rotated, binding)).toBe(false);
		expect(isSignedBeforeRotation(extras, sig, rotated, binding)).toBe(true);
		// A tampered earlier link is not recognised as genuine.
		expect(isSignedBeforeRotation({ scopes: 'api://x/write' }, sig, rotated, binding)).toBe(false);
		const sealed = sealSignInState(state, keys, binding);
		expect(openSignInState(sealed, rotated, binding, 1)).toEqual({ ok: false, reason: 'rotated' });
		// Two rotations later the secret is gone altogether: still refused.
		const twice = deriveSignInKeys(newSignInSecret(newSignInSecret(secret)), 'cred-1');
		expect(isSignedLink(extras, sig, twice, binding)).toBe(false);
		expect(openSignInState(sealed, twice, binding, 1).ok).toBe(false);
	});

	it("Sign Out's write replaces the record's secret (generation + 1, the old one kept for recognition only)", async () => {
		const work = async () => ({ value: 'removed', fieldsToStore: { other: '' } });
		const stored = formatSignInSecret(secret);
		const result = await rotatingSignInKey(work)({ [SIGN_IN_KEY_FIELD]: stored }, undefined, 'cred-1');
		expect(result.value).toBe('removed');
		expect(result.fieldsToStore?.other).toBe('');
		const rotated = parseSignInSecret(result.fieldsToStore?.[SIGN_IN_KEY_FIELD])!;
		expect(rotated.generation).toBe(2);
		expect(rotated.secret.equals(secret.secret)).toBe(false);
		expect(rotated.previous?.equals(secret.secret)).toBe(true);
		// A record that never had a secret signed nothing: no key is created by Sign Out.
		const without = await rotatingSignInKey(work)({}, undefined, 'cred-1');
		expect(without.fieldsToStore).toEqual({ other: '' });
	});

	it("nothing in the package reads n8n's instance encryption key or its settings file", () => {
		const sources = (folder: string): string[] =>
			readdirSync(folder).flatMap((name) => {
				const path = join(folder, name);
				return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
			});
		const root = join(__dirname, '..', '..');
		const files = [...sources(join(root, 'nodes')), ...sources(join(root, 'credentials')), join(root, 'index.ts')];
		expect(files.length).toBeGreaterThan(50);
		// (nodes/core/fileAccess.ts names the .n8n folder to keep nodes out of it: not a read.)
		const readers = files.filter((file) =>
			/N8N_ENCRYPTION_KEY|encryptionKey|\.n8n['"]?\s*,\s*['"]config|\.n8n\/config/.test(readFileSync(file, 'utf8')),
		);
		expect(readers).toEqual([]);
	});
});
