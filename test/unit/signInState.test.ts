import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { signInLink } from '../../nodes/core/authCode';
import {
	credentialBinding,
	deriveSignInKeys,
	isSignedLink,
	openSignInState,
	sealSignInState,
	UsedStates,
	type SignInState,
} from '../../nodes/core/signInState';
import { TokenBuckets } from '../../nodes/core/tokenBucket';
import { n8nEncryptionKey } from '../../nodes/n8n/signInKeys';

const keys = deriveSignInKeys('instance-key');
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
		expect(openSignInState(sealed, deriveSignInKeys('other-instance'), binding, 1)).toEqual({
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
	const signing = { keys, clientId: 'client-1', authority: 'https://login.example/tenant1/', record: 'cred-1' };
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

describe("n8n's instance encryption key", () => {
	it('from <N8N_USER_FOLDER>/.n8n/config first, else N8N_ENCRYPTION_KEY (normalized like n8n), else none', () => {
		const folder = mkdtempSync(join(tmpdir(), 'msal-key-'));
		try {
			expect(n8nEncryptionKey({ N8N_USER_FOLDER: folder })).toBeUndefined();
			expect(n8nEncryptionKey({ N8N_USER_FOLDER: folder, N8N_ENCRYPTION_KEY: ' "from-env" ' })).toBe('from-env');
			writeFileSync(join(folder, 'key-file'), 'from-file\n');
			expect(n8nEncryptionKey({ N8N_USER_FOLDER: folder, N8N_ENCRYPTION_KEY_FILE: join(folder, 'key-file') })).toBe(
				'from-file',
			);
			mkdirSync(join(folder, '.n8n'));
			writeFileSync(join(folder, '.n8n', 'config'), JSON.stringify({ encryptionKey: 'from-settings' }));
			expect(n8nEncryptionKey({ N8N_USER_FOLDER: folder, N8N_ENCRYPTION_KEY: 'from-env' })).toBe('from-settings');
			expect(n8nEncryptionKey({ HOME: folder })).toBe('from-settings');
		} finally {
			rmSync(folder, { recursive: true, force: true });
		}
	});
});
