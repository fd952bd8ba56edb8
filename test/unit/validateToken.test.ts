/**
 * Token validation rules that the rig cannot show (its issuer has no tenant GUID): Entra's v1 and
 * v2 issuers, multi-tenant Allowed Tenants, the common endpoint's {tenantid} template, the key
 * set's rate-limited refresh on an unknown kid; and what an attacker writes into a token's
 * unverified header never reaching a log line or the WWW-Authenticate header.
 */
import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, sign } from 'node:crypto';
import { validateHeaderValue } from 'node:http';
import { SigningKeySet } from '../../nodes/core/entraApi/signingKeys';
import { TokenRejectedError, validateAccessToken } from '../../nodes/core/entraApi/validateToken';

const HOME = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const CLIENT = '11111111-2222-4333-8444-555555555555';
const CALLER_APP = '99999999-8888-4777-8666-555555555555';
const AUTHORITY = `https://login.microsoftonline.com/${HOME}`;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' };

function token(
	claims: Record<string, unknown>,
	kid = 'k1',
	headerFields: Record<string, unknown> = {},
	signingKey = privateKey,
): string {
	const now = Math.floor(Date.now() / 1000);
	const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid, ...headerFields })).toString('base64url');
	const payload = Buffer.from(
		JSON.stringify({
			aud: CLIENT,
			tid: HOME,
			iss: `https://login.microsoftonline.com/${HOME}/v2.0`,
			exp: now + 600,
			nbf: now,
			scp: 'access_as_user',
			azp: CALLER_APP,
			...claims,
		}),
	).toString('base64url');
	return `${header}.${payload}.${sign('sha256', Buffer.from(`${header}.${payload}`), signingKey).toString('base64url')}`;
}

function keySet(
	issuer: string,
	authority = AUTHORITY,
	{ keys = [jwk], ...options }: { minRefreshIntervalMs?: number; keys?: object[] } = {},
) {
	const fetched: string[] = [];
	const set = new SigningKeySet(authority, {
		...options,
		fetchJson: async (url) => {
			fetched.push(url);
			return url.includes('openid-configuration')
				? { issuer, jwks_uri: `${new URL(authority).origin}/${HOME}/discovery/v2.0/keys` }
				: { keys };
		},
	});
	return { set, fetched };
}

const reason = async (promise: Promise<unknown>) => {
	try {
		await promise;
	} catch (error) {
		if (error instanceof TokenRejectedError) return `${error.status} ${error.description}`;
		throw error;
	}
	return 'accepted';
};

describe('validateAccessToken issuers', () => {
	const v2 = `https://login.microsoftonline.com/${HOME}/v2.0`;

	it('accepts the v2 and v1 issuers of the home tenant, with aud = client ID or api://client ID', async () => {
		const { set } = keySet(v2);
		const settings = { clientId: CLIENT, cloud: 'global' as const };
		await expect(validateAccessToken(token({}), set, settings)).resolves.toMatchObject({ tid: HOME });
		await expect(
			validateAccessToken(
				token({
					iss: `https://sts.windows.net/${HOME}/`,
					aud: `api://${CLIENT}`,
					ver: '1.0',
					azp: undefined,
					appid: CALLER_APP,
				}),
				set,
				settings,
			),
		).resolves.toMatchObject({ ver: '1.0' });
	});

	it('refuses another tenant unless it is an Allowed Tenant, whose own issuer is then expected', async () => {
		const { set } = keySet(v2);
		const foreign = token({ tid: OTHER, iss: `https://login.microsoftonline.com/${OTHER}/v2.0` });
		expect(await reason(validateAccessToken(foreign, set, { clientId: CLIENT, cloud: 'global' }))).toMatch(
			/^401 .*tenant/,
		);
		const settings = { clientId: CLIENT, cloud: 'global' as const, allowedTenants: [OTHER] };
		await expect(validateAccessToken(foreign, set, settings)).resolves.toMatchObject({ tid: OTHER });
		const spoofed = token({ tid: OTHER, iss: `https://login.microsoftonline.com/${HOME}/v2.0` });
		expect(await reason(validateAccessToken(spoofed, set, settings))).toMatch(/issuer/);
	});

	it('the common endpoint ({tenantid}) needs Allowed Tenants, * for any', async () => {
		const { set } = keySet(
			'https://login.microsoftonline.com/{tenantid}/v2.0',
			'https://login.microsoftonline.com/organizations',
		);
		const foreign = token({ tid: OTHER, iss: `https://login.microsoftonline.com/${OTHER}/v2.0` });
		expect(await reason(validateAccessToken(foreign, set, { clientId: CLIENT }))).toMatch(/Allowed Tenants/);
		await expect(validateAccessToken(foreign, set, { clientId: CLIENT, allowedTenants: ['*'] })).resolves.toBeDefined();
	});

	it('refuses alg none, HS256 and a payload changed after signing', async () => {
		const { set } = keySet(v2);
		const [, payload, signature] = token({}).split('.');
		const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.x`;
		expect(await reason(validateAccessToken(none, set, { clientId: CLIENT }))).toMatch(/algorithm/);
		const hs = `${Buffer.from('{"alg":"HS256","kid":"k1"}').toString('base64url')}.${payload}.${signature}`;
		expect(await reason(validateAccessToken(hs, set, { clientId: CLIENT }))).toMatch(/algorithm/);
		const [header] = token({}).split('.');
		const changed = Buffer.from(
			JSON.stringify({ aud: CLIENT, tid: HOME, iss: v2, exp: 9999999999, roles: ['Admin'] }),
		).toString('base64url');
		expect(await reason(validateAccessToken(`${header}.${changed}.${signature}`, set, { clientId: CLIENT }))).toMatch(
			/signature/,
		);
	});

	it('an unknown kid refetches the keys at most once per interval', async () => {
		const { set, fetched } = keySet(v2, AUTHORITY, { minRefreshIntervalMs: 60_000 });
		await validateAccessToken(token({}), set, { clientId: CLIENT });
		for (let i = 0; i < 50; i++)
			expect(await reason(validateAccessToken(token({}, `k${i + 2}`), set, { clientId: CLIENT }))).toMatch(/kid/);
		expect(fetched).toHaveLength(2);
	});
});

const rejected = async (promise: Promise<unknown>): Promise<TokenRejectedError> => {
	try {
		await promise;
	} catch (error) {
		if (error instanceof TokenRejectedError) return error;
		throw error;
	}
	throw new Error('expected a rejection');
};

describe('what a token must be: an access token with a permission, from an allowed app', () => {
	const v2 = `https://login.microsoftonline.com/${HOME}/v2.0`;
	const settings = { clientId: CLIENT, cloud: 'global' as const };

	it('no scp and no roles: 403 insufficient_scope, unless Accept Tokens Without Scopes or Roles', async () => {
		const { set } = keySet(v2);
		for (const claims of [{ scp: undefined }, { scp: '' }, { scp: undefined, roles: [] }]) {
			const refused = await rejected(validateAccessToken(token(claims), set, settings));
			expect(refused.status).toBe(403);
			expect(refused.wwwAuthenticate).toMatch(
				/^Bearer error="insufficient_scope", error_description="The token carries no permission: neither delegated scopes \(scp\) nor app roles \(roles\)\./,
			);
		}
		await expect(
			validateAccessToken(token({ scp: undefined }), set, { ...settings, acceptTokensWithoutPermissions: true }),
		).resolves.toMatchObject({ callerType: 'app', azp: CALLER_APP });
		await expect(
			validateAccessToken(token({ scp: undefined, roles: ['Jobs.Run'] }), set, settings),
		).resolves.toMatchObject({
			callerType: 'app',
			roles: ['Jobs.Run'],
		});
	});

	it('an ID token (nonce, at_hash, c_hash) or a token naming no client app is 401 invalid_token, whatever the options', async () => {
		const { set } = keySet(v2);
		const lenient = { ...settings, acceptTokensWithoutPermissions: true, requiredRoles: [] };
		for (const claim of ['nonce', 'at_hash', 'c_hash']) {
			// An ID token with app roles assigned to the person carries `roles` too.
			const idToken = token({ scp: undefined, roles: ['Admin'], azp: undefined, [claim]: 'x' });
			const refused = await rejected(validateAccessToken(idToken, set, { ...lenient, requiredRoles: ['Admin'] }));
			expect(refused.status).toBe(401);
			expect(refused.description).toBe(
				`The token is an ID token (it carries "${claim}"), not an access token: the client must send an access token for this API.`,
			);
		}
		const noClient = await rejected(validateAccessToken(token({ scp: undefined, azp: undefined }), set, lenient));
		expect(noClient.status).toBe(401);
		expect(noClient.description).toMatch(/names no client app \(azp or appid\)/);
		// Other providers' RFC 9068 access tokens name the client in client_id.
		await expect(
			validateAccessToken(token({ azp: undefined, client_id: CALLER_APP }), set, settings),
		).resolves.toBeDefined();
	});

	it('Allowed Client Apps: azp (v2) or appid (v1) must be listed, case-insensitively; another app gets 403', async () => {
		const { set } = keySet(v2);
		const allowed = { ...settings, allowedClientApps: [CALLER_APP.toUpperCase(), 'ignored-extra'] };
		await expect(validateAccessToken(token({}), set, allowed)).resolves.toMatchObject({ azp: CALLER_APP });
		await expect(
			validateAccessToken(
				token({ iss: `https://sts.windows.net/${HOME}/`, ver: '1.0', azp: undefined, appid: CALLER_APP }),
				set,
				allowed,
			),
		).resolves.toMatchObject({ appid: CALLER_APP });
		const other = await rejected(validateAccessToken(token({ azp: OTHER }), set, allowed));
		expect(other.status).toBe(403);
		expect(other.wwwAuthenticate).toBe(
			`Bearer error="insufficient_scope", error_description="The client app ${OTHER} is not among the Allowed Client Apps of this API."`,
		);
	});
});

describe("the token's unverified header is never quoted", () => {
	const v2 = `https://login.microsoftonline.com/${HOME}/v2.0`;
	const INJECTED = 'evil\r\nX-Injected: 1\r\n\r\n[ERROR] forged log line';

	it('alg and kid with CR/LF: a 401 whose reason and WWW-Authenticate hold none of it, and a valid header value', async () => {
		const { set } = keySet(v2);
		const [, payload, signature] = token({}).split('.');
		const withHeader = (header: Record<string, unknown>) =>
			`${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${signature}`;
		for (const forged of [
			withHeader({ alg: `RS256${INJECTED}`, kid: 'k1' }),
			withHeader({ alg: 'RS256', kid: `k1${INJECTED}` }),
			withHeader({ alg: 'RS256', kid: INJECTED }),
			withHeader({ alg: 'toString' }),
		]) {
			const refused = await rejected(validateAccessToken(forged, set, { clientId: CLIENT }));
			expect(refused.status).toBe(401);
			for (const text of [refused.description, refused.wwwAuthenticate]) {
				expect(text).not.toMatch(/[\r\n]/);
				expect(text).not.toContain('evil');
				expect(text).not.toContain('forged');
			}
			// What node:http (Express under n8n) checks before sending a header: no throw, no 500.
			expect(() => validateHeaderValue('WWW-Authenticate', refused.wwwAuthenticate)).not.toThrow();
		}
	});

	it("a signed token's claims with control or non-ASCII characters are shown as '?' in the reason", async () => {
		const { set } = keySet(v2);
		const refused = await rejected(
			validateAccessToken(token({ aud: `other\r\napi\u00e9` }), set, { clientId: CLIENT }),
		);
		expect(refused.description).toContain('audience "other??api?"');
		expect(() => validateHeaderValue('WWW-Authenticate', refused.wwwAuthenticate)).not.toThrow();
	});
});

describe('what jose checks: critical header parameters, lifetime, audience, keys', () => {
	const v2 = `https://login.microsoftonline.com/${HOME}/v2.0`;
	const CRIT_REFUSED =
		"401 The token's header names critical parameters (crit) this API does not process: refused, as RFC 7515 (4.1.11) requires.";

	it('a correctly signed token whose header has a crit parameter this API does not process is refused before any key request', async () => {
		const INJECTED = 'x-evil\r\n[ERROR] forged log line';
		for (const header of [
			{ crit: ['exp'], exp: 1 },
			{ crit: [INJECTED], [INJECTED]: true },
			{ crit: ['x-ms-policy'], 'x-ms-policy': 'strict' },
			// Malformed: not an array, empty, or naming a parameter the header lacks.
			{ crit: 'exp' },
			{ crit: [] },
			{ crit: ['x-absent'] },
		]) {
			const { set, fetched } = keySet(v2);
			const refused = await rejected(validateAccessToken(token({}, 'k1', header), set, { clientId: CLIENT }));
			expect(`${refused.status} ${refused.description}`).toBe(CRIT_REFUSED);
			expect(refused.wwwAuthenticate).not.toContain('evil');
			expect(() => validateHeaderValue('WWW-Authenticate', refused.wwwAuthenticate)).not.toThrow();
			expect(fetched).toEqual([]);
		}
	});

	it('crit b64 (RFC 7797), the one extension jose understands: an unencoded payload is no JWT, refused', async () => {
		const { set } = keySet(v2);
		const refused = await rejected(
			validateAccessToken(token({}, 'k1', { crit: ['b64'], b64: false }), set, { clientId: CLIENT }),
		);
		expect(`${refused.status} ${refused.description}`).toBe(CRIT_REFUSED);
	});

	it('lifetime: no exp, exp not a number, expired beyond the skew, not yet valid; within the skew is accepted', async () => {
		const { set } = keySet(v2);
		const now = Math.floor(Date.now() / 1000);
		const settings = { clientId: CLIENT, clockSkewSeconds: 60 };
		expect(await reason(validateAccessToken(token({ exp: undefined }), set, settings))).toBe(
			'401 The token has no expiry (exp) or it is not a number.',
		);
		expect(await reason(validateAccessToken(token({ exp: String(now + 600) }), set, settings))).toBe(
			'401 The token has no expiry (exp) or it is not a number.',
		);
		expect(await reason(validateAccessToken(token({ exp: now - 61 }), set, settings))).toBe(
			`401 The token expired at ${new Date((now - 61) * 1000).toISOString()}.`,
		);
		expect(await reason(validateAccessToken(token({ nbf: now + 120 }), set, settings))).toBe(
			`401 The token is not valid before ${new Date((now + 120) * 1000).toISOString()}.`,
		);
		await expect(validateAccessToken(token({ exp: now - 30, nbf: now + 30 }), set, settings)).resolves.toMatchObject({
			expiresOn: new Date((now - 30) * 1000).toISOString(),
		});
	});

	it('an aud array is accepted when it holds an accepted audience, which the claims then name', async () => {
		const { set } = keySet(v2);
		await expect(
			validateAccessToken(token({ aud: ['https://graph.microsoft.com', `api://${CLIENT}`] }), set, {
				clientId: CLIENT,
			}),
		).resolves.toMatchObject({ aud: `api://${CLIENT}` });
		expect(await reason(validateAccessToken(token({ aud: ['a', 'b'] }), set, { clientId: CLIENT }))).toMatch(
			/^401 The token is for audience "a b", not for this API/,
		);
	});

	it('a token without kid: the one key of its type is used; with two, it is refused', async () => {
		const { set } = keySet(v2, AUTHORITY, { keys: [{ ...jwk, kid: undefined }] });
		await expect(
			validateAccessToken(token({}, 'k1', { kid: undefined }), set, { clientId: CLIENT }),
		).resolves.toBeDefined();
		const second = {
			...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
			kid: 'k2',
		};
		const two = keySet(v2, AUTHORITY, { keys: [jwk, second] });
		expect(await reason(validateAccessToken(token({}, 'k1', { kid: undefined }), two.set, { clientId: CLIENT }))).toBe(
			'401 The token names no signing key (kid) and the authority publishes more than one.',
		);
	});

	it("a published RSA key under 2048 bits is the authority's fault, not the caller's: an error, not a 401", async () => {
		const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
		const { set } = keySet(v2, AUTHORITY, { keys: [{ ...weak.publicKey.export({ format: 'jwk' }), kid: 'k1' }] });
		const error = await validateAccessToken(token({}, 'k1', {}, weak.privateKey), set, { clientId: CLIENT }).catch(
			(e: unknown) => e,
		);
		expect(error).not.toBeInstanceOf(TokenRejectedError);
		expect((error as Error).message).toBe(
			'The signing key the authority publishes for this token cannot be used (an RSA key under 2048 bits, or a malformed key).',
		);
	});
});
