/**
 * Token validation rules that the rig cannot show (its issuer has no tenant GUID): Entra's v1 and
 * v2 issuers, multi-tenant Allowed Tenants, the common endpoint's {tenantid} template, and the
 * key set's rate-limited refresh on an unknown kid.
 */
import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, sign } from 'node:crypto';
import { SigningKeySet } from '../../nodes/core/entraApi/signingKeys';
import { TokenRejectedError, validateAccessToken } from '../../nodes/core/entraApi/validateToken';

const HOME = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const CLIENT = '11111111-2222-4333-8444-555555555555';
const AUTHORITY = `https://login.microsoftonline.com/${HOME}`;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' };

function token(claims: Record<string, unknown>, kid = 'k1'): string {
	const now = Math.floor(Date.now() / 1000);
	const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
	const payload = Buffer.from(
		JSON.stringify({
			aud: CLIENT,
			tid: HOME,
			iss: `https://login.microsoftonline.com/${HOME}/v2.0`,
			exp: now + 600,
			nbf: now,
			scp: 'access_as_user',
			...claims,
		}),
	).toString('base64url');
	return `${header}.${payload}.${sign('sha256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url')}`;
}

function keySet(issuer: string, authority = AUTHORITY, options: { minRefreshIntervalMs?: number } = {}) {
	const fetched: string[] = [];
	const set = new SigningKeySet(authority, {
		...options,
		fetchJson: async (url) => {
			fetched.push(url);
			return url.includes('openid-configuration')
				? { issuer, jwks_uri: `${new URL(authority).origin}/${HOME}/discovery/v2.0/keys` }
				: { keys: [jwk] };
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
				token({ iss: `https://sts.windows.net/${HOME}/`, aud: `api://${CLIENT}`, ver: '1.0' }),
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
