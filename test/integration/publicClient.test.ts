/**
 * The public-client credential's core flows with real MSAL against the rig: browser sign-in
 * (authorization code + PKCE, through the rig's login page), silent use afterwards, another API
 * from the same refresh token, incremental consent and a claims step-up ending in a sign-in
 * link, username/password only when turned on, and every broken sign-in leaving the cache alone.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { beginAuthCodeSignIn, completeAuthCodeSignIn, SignInCallbackError } from '../../nodes/core/authCode';
import { listAccounts, SignInRequiredError } from '../../nodes/core/delegated';
import {
	publicClientAcquirer,
	publicClientAppFrom,
	publicClientSettingsFrom,
} from '../../nodes/n8n/publicClientAdapter';
import { deriveSignInKeys, formatSignInSecret, newSignInSecret, SignInKeyNeeded } from '../../nodes/core/signInState';
import { SIGN_IN_KEY_FIELD } from '../../nodes/n8n/signInKeys';
import { browse } from '../rig/publicClientBrowser';
import { startRig, type Rig } from '../rig/rig';

jest.setTimeout(60_000);

interface ExtraApis {
	secondApi: { resource: string; delegatedScopes: string[] };
	consentApi: { resource: string; delegatedScopes: string[] };
}

const claimsOf = (jwt: string) =>
	JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
const refreshTokens = (cache: string) =>
	Object.values(JSON.parse(cache).msal.RefreshToken as Record<string, { secret: string }>).map((t) => t.secret);

describe('public-client credential against the identity provider', () => {
	let rig: Rig & ExtraApis;
	let data: ICredentialDataDecryptedObject;
	let stored: string | undefined;
	const redirectUri = 'http://127.0.0.1:5999/webhook/msal-sign-in';
	const alice = { username: 'alice@contoso.test', password: 'Alice-Passw0rd!' };

	const prepared = () => publicClientAppFrom(data);
	const settings = () => publicClientSettingsFrom(data);
	const record = 'credential-1';
	const secret = newSignInSecret();
	const keys = deriveSignInKeys(secret, record);
	const complete = (
		callback: Record<string, string | undefined>,
		options: { now?: number; redirectUri?: string } = {},
	) =>
		completeAuthCodeSignIn(prepared(), stored, callback, {
			redirectUri,
			keys,
			record,
			allowedAccounts: settings().allowedAccounts,
			...options,
		});
	// As the nodes call it: with the credential record, whose sign-in trigger honours the signed links.
	const acquire = (request: Parameters<typeof publicClientAcquirer>[2] = {}, credential = data) =>
		publicClientAcquirer(credential, stored, { record, ...request });
	/** Begin at the link's query, play the browser, return the callback query. */
	async function signInThroughLink(link: string, options: { user?: typeof alice; decline?: boolean } = {}) {
		const query = new URL(link).searchParams;
		const begun = await beginAuthCodeSignIn(prepared(), settings(), stored, {
			redirectUri,
			keys,
			record,
			scopes: query.get('scopes') ?? undefined,
			claims: query.get('claims') ?? undefined,
			loginHint: query.get('login_hint') ?? undefined,
		});
		const back = await browse(begun.authorizeUrl, {
			idpOrigin: rig.authorityHost,
			stopAtRedirectBack: true,
			...options,
		});
		return { begun, back: back.url, callback: Object.fromEntries(back.url.searchParams) };
	}
	async function expectSignInRequired(promise: Promise<unknown>): Promise<SignInRequiredError> {
		const error = await promise.then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(SignInRequiredError);
		return error as SignInRequiredError;
	}
	const linkIn = (message: string) => /Open (\S+) in a browser/.exec(message)?.[1] ?? '';

	beforeAll(async () => {
		rig = (await startRig()) as Rig & ExtraApis;
		data = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.public.clientId,
			scopes: rig.api.delegatedScopes[0],
			redirectUri,
			// As the credential record holds it once a node needed it (nodes/n8n/signInKeys.ts).
			[SIGN_IN_KEY_FIELD]: formatSignInSecret(secret),
		};
	});
	afterAll(async () => {
		await rig.settings({ accessTokenTtlSeconds: 3600 });
		await rig.stop();
	});

	it('without a signed-in person: a sign-in error carrying the link, and no request', async () => {
		await rig.reset();
		const error = await expectSignInRequired(acquire());
		expect(error.reason).toBe('no-account');
		expect(error.message).toContain(`Open ${redirectUri} in a browser`);
		expect((await rig.stats()).requests.token).toBe(0);
	});

	it('a browser sign-in (authorization code + PKCE) puts the account and refresh token in the cache', async () => {
		await rig.reset();
		const { begun, back, callback } = await signInThroughLink(redirectUri, { user: alice });
		const authorize = new URL(begun.authorizeUrl);
		expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
		expect(authorize.searchParams.get('redirect_uri')).toBe(redirectUri);
		expect(back.origin + back.pathname).toBe(redirectUri);
		expect(callback.state).toBe(authorize.searchParams.get('state'));
		// The state is sealed: the PKCE verifier does not show.
		expect(Buffer.from(callback.state, 'base64url').toString('latin1')).not.toContain('verifier');

		const done = await complete(callback);
		expect(done.account.username).toBe(alice.username);
		expect(done.cacheToStore).toContain('"RefreshToken"');
		const stats = await rig.stats();
		expect(stats.grants.authorization_code).toBe(1);
		expect(stats.tokenRequests[0]).toMatchObject({ grant: 'authorization_code', clientAuth: 'none', status: 200 });
		stored = done.cacheToStore;
		expect((await listAccounts(prepared(), stored)).accounts.map((a) => a.username)).toEqual([alice.username]);
	});

	it('the next acquisitions are silent: no request at all', async () => {
		await rig.reset();
		const again = await acquire();
		expect(again.token.fromCache).toBe(true);
		expect(again.cacheToStore).toBeUndefined();
		expect(again.token.account?.username).toBe(alice.username);
		// (This process may still fetch the OpenID configuration once for its shared app; a new
		// n8n process reads it from the stored cache: see the e2e test.)
		expect((await rig.stats()).requests.token).toBe(0);
	});

	it('after access-token expiry: exactly one refresh-token request, and the rotated refresh token is kept', async () => {
		await rig.settings({ accessTokenTtlSeconds: 5 });
		stored = (await acquire({ forceRefresh: true })).cacheToStore;
		await rig.settings({ accessTokenTtlSeconds: 3600 });
		const before = refreshTokens(stored!);
		await rig.reset();
		const renewed = await acquire();
		expect((await rig.stats()).grants).toMatchObject({ refresh_token: 1, authorization_code: 0 });
		expect(renewed.token.fromCache).toBe(false);
		expect(refreshTokens(renewed.cacheToStore!)).not.toEqual(before);
		stored = renewed.cacheToStore;
	});

	it('a token for a second API comes from the same refresh token, with no interactive step', async () => {
		await rig.reset();
		const other = await acquire({ scopes: rig.secondApi.delegatedScopes[0] });
		expect(claimsOf(other.token.accessToken)).toMatchObject({
			aud: rig.secondApi.resource,
			scp: 'Files.Read',
			preferred_username: alice.username,
		});
		expect((await rig.stats()).grants).toMatchObject({ refresh_token: 1, authorization_code: 0, password: 0 });
		stored = other.cacheToStore;
	});

	it('incremental consent: a permission not consented yet ends in the exact sign-in link, which adds it', async () => {
		await rig.reset();
		const scope = rig.consentApi.delegatedScopes[0];
		const error = await expectSignInRequired(acquire({ scopes: scope }));
		expect(error.reason).toBe('interaction-required');
		const link = linkIn(error.message);
		expect(link).toMatch(
			new RegExp(
				`^${redirectUri}\\?scopes=${encodeURIComponent(scope)}&login_hint=${encodeURIComponent(alice.username)}&sig=[\\w-]{43}$`,
			),
		);
		expect(error.message).toContain(`consent to ${scope}`);
		expect((await rig.stats()).tokenRequests.map((r) => r.status)).toEqual([400]);

		// The person opens it: signed in by the hint, consents, and the permission is kept.
		const { begun, callback } = await signInThroughLink(link);
		expect(new URL(begun.authorizeUrl).searchParams.get('login_hint')).toBe(alice.username);
		const done = await complete(callback);
		expect(claimsOf(done.token.accessToken)).toMatchObject({ aud: rig.consentApi.resource, scp: 'Mail.Send' });
		stored = done.cacheToStore;
		await rig.reset();
		expect((await acquire({ scopes: scope })).token.fromCache).toBe(true);
		await acquire({ scopes: scope, forceRefresh: true });
		expect((await rig.stats()).grants).toMatchObject({ refresh_token: 1, authorization_code: 0 });
		expect((await listAccounts(prepared(), stored)).accounts).toHaveLength(1);
	});

	it('a link that needs signing, on a record without a sign-in key yet: SignInKeyNeeded, and the node creates the key and asks again', async () => {
		const withoutKey = { ...data, [SIGN_IN_KEY_FIELD]: '' };
		await rig.reset();
		// The person must sign in again: the link carries their login hint, which is signed.
		await rig.failNextTokenRequest({ error: 'interaction_required', error_codes: [50076], suberror: 'basic_action' });
		const error = await acquire({ forceRefresh: true }, withoutKey).then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(SignInKeyNeeded);
		// The silent attempt ran (one refused refresh), and nothing was signed.
		expect((await rig.stats()).tokenRequests.map((r) => r.status)).toEqual([400]);
		// The bare link (no extras) needs no key.
		const nobody = await expectSignInRequired(publicClientAcquirer(withoutKey, undefined, { record }));
		expect(nobody.message).toContain(`Open ${redirectUri} in a browser`);
	});

	it('a claims challenge that needs the person ends in a link carrying the claims; the sign-in satisfies it', async () => {
		const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } });
		await rig.reset();
		await rig.failNextTokenRequest({ error: 'interaction_required', error_codes: [50076], suberror: 'basic_action' });
		const error = await expectSignInRequired(acquire({ claims }));
		expect(error.reason).toBe('claims');
		const link = new URL(linkIn(error.message));
		expect(JSON.parse(Buffer.from(link.searchParams.get('claims')!, 'base64url').toString())).toEqual(
			claims && JSON.parse(claims),
		);
		const { begun, callback } = await signInThroughLink(link.toString());
		expect(new URL(begun.authorizeUrl).searchParams.get('claims')).toContain('"acrs"');
		const done = await complete(callback);
		expect(claimsOf(done.token.accessToken).xms_rig_claims).toMatchObject({ acrs: { essential: true, value: 'c1' } });
		stored = done.cacheToStore;
	});

	describe('username and password', () => {
		const ropc = (overrides: ICredentialDataDecryptedObject): ICredentialDataDecryptedObject => ({
			...data,
			username: alice.username,
			password: alice.password,
			...overrides,
		});

		it('is refused unless turned on: the stored password is not sent', async () => {
			await rig.reset();
			const error = await expectSignInRequired(
				publicClientAcquirer(ropc({ usernameFlowEnabled: false }), undefined, {}),
			);
			expect(error.message).toContain('"Sign In With Username and Password" is off');
			expect(error.message).not.toContain(alice.password);
			expect((await rig.stats()).grants.password).toBe(0);
		});

		it('works against the provider when turned on, then silently', async () => {
			await rig.reset();
			const credential = ropc({ usernameFlowEnabled: true, clientId: rig.clients.public.clientId });
			const first = await publicClientAcquirer(credential, undefined, {});
			expect(first.token.account?.username).toBe(alice.username);
			expect(first.cacheToStore).toContain('"RefreshToken"');
			expect((await rig.stats()).grants.password).toBe(1);
			await rig.reset();
			const second = await publicClientAcquirer(credential, first.cacheToStore, {});
			expect(second.token.fromCache).toBe(true);
			expect((await rig.stats()).requests.token).toBe(0);
		});

		it('a wrong password gives a clear error without the password and saves nothing', async () => {
			const credential = ropc({ usernameFlowEnabled: true, password: 'Wrong-Passw0rd!' });
			const error = (await publicClientAcquirer(credential, undefined, {}).catch((e: unknown) => e)) as Error & {
				fix: string;
			};
			expect(error.message).toContain('AADSTS50126');
			expect(`${error.message} ${error.fix}`).not.toContain('Wrong-Passw0rd!');
		});
	});

	describe('a broken browser sign-in writes nothing', () => {
		let before: string;
		beforeAll(() => {
			before = stored!;
		});
		const unchanged = async () => {
			expect(stored).toBe(before);
			expect((await listAccounts(prepared(), stored)).accounts.map((a) => a.username)).toEqual([alice.username]);
			// The session still serves the stored cache: silent, no request.
			await rig.reset();
			expect((await acquire()).token.fromCache).toBe(true);
			expect((await rig.stats()).requests.token).toBe(0);
		};
		const failure = async (promise: Promise<unknown>) => {
			const error = await promise.then(
				() => undefined,
				(e: unknown) => e,
			);
			expect(error).toBeInstanceOf(SignInCallbackError);
			return error as SignInCallbackError;
		};

		it('state mismatch: not redeemed at all', async () => {
			const { callback } = await signInThroughLink(redirectUri, { user: alice });
			await rig.reset();
			const error = await failure(complete({ ...callback, state: 'forged-state' }));
			expect(error.message).toContain('state mismatch');
			expect((await rig.stats()).requests.token).toBe(0);
			await unchanged();
		});

		it('consent declined on the sign-in page', async () => {
			const { callback } = await signInThroughLink(redirectUri, { decline: true });
			expect(callback.error).toBe('access_denied');
			const error = await failure(complete(callback));
			expect(error.message).toMatch(/^Sign-in cancelled: the person declined/);
			expect(error.message).toContain('AADSTS65004');
			await unchanged();
		});

		it("PKCE mismatch: a code from another sign-in with this sign-in's state", async () => {
			const first = await signInThroughLink(redirectUri, { user: alice });
			const second = await signInThroughLink(redirectUri, { user: alice });
			const error = await failure(complete({ code: second.callback.code, state: first.callback.state }));
			expect(error.message).toContain('AADSTS501481');
			await unchanged();
		});

		it('reused authorization code', async () => {
			const { callback } = await signInThroughLink(redirectUri, { user: alice });
			await complete(callback); // redeemed once (result dropped)
			await rig.reset();
			const error = await failure(complete(callback));
			// Refused in this process before the provider is asked; another process would get AADSTS54005.
			expect(error.message).toContain('already used');
			expect((await rig.stats()).requests.token).toBe(0);
			await unchanged();
		});

		it('wrong redirect URI: refused by the provider at sign-in, or at redemption', async () => {
			const unregistered = 'http://127.0.0.1:5999/webhook/not-registered';
			const begun = await beginAuthCodeSignIn(prepared(), settings(), stored, {
				redirectUri: unregistered,
				keys,
				record,
			});
			const page = await browse(begun.authorizeUrl, {
				idpOrigin: rig.authorityHost,
				user: alice,
				stopAtRedirectBack: true,
			});
			expect(page.status).toBe(400);
			expect(page.body).toContain('AADSTS50011');

			// The state is bound to the redirect URI: completed under another one, it is refused unredeemed.
			const { callback } = await signInThroughLink(redirectUri, { user: alice });
			await rig.reset();
			const error = await failure(complete(callback, { redirectUri: 'http://127.0.0.1:6000/webhook/msal-sign-in' }));
			expect(error.message).toContain('state mismatch');
			expect((await rig.stats()).requests.token).toBe(0);
			await unchanged();
		});

		it('an expired sign-in is refused', async () => {
			const { callback } = await signInThroughLink(redirectUri, { user: alice });
			const error = await failure(complete(callback, { now: Date.now() + 16 * 60_000 }));
			expect(error.message).toContain('more than 15 minutes ago');
			await unchanged();
		});

		it('an account outside Allowed Accounts is refused', async () => {
			data = { ...data, allowedAccounts: 'bob@contoso.test' };
			try {
				const { callback } = await signInThroughLink(redirectUri, { user: alice });
				const error = await failure(complete(callback));
				expect(error.message).toContain('"alice@contoso.test" may not sign in');
			} finally {
				delete data.allowedAccounts;
			}
			await unchanged();
		});
	});
});
