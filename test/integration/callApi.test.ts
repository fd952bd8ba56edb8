/*
 * The Call API http core against the real rig (no mocks): tokens from the rig's identity
 * provider through the core's silent-first acquisition (MSAL), requests to the protected API
 * over HTTPS on loopback, which validates every token against the provider's keys.
 *
 * Run: npx jest --selectProjects integration test/integration/callApi.test.ts
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { acquireAppToken, type ClientCredentialsSettings } from '../../nodes/core/clientCredentials';
import { ApiCallError } from '../../nodes/core/http/apiError';
import { buildBody, type RequestBodySpec } from '../../nodes/core/http/body';
import { mapWithConcurrency } from '../../nodes/core/http/concurrency';
import { DEFAULT_RETRY_POLICY } from '../../nodes/core/http/retry';
import { chooseScopes } from '../../nodes/core/http/scopeForUrl';
import { sendApiRequest, type ApiRequest, type GuardSettings } from '../../nodes/core/http/sendRequest';
import { TokenGuardError } from '../../nodes/core/http/tokenGuard';
import { TokenSource } from '../../nodes/core/http/tokenSource';
import { Rig, startRig } from '../rig/rig';

jest.setTimeout(60000);

let rig: Rig;
let settings: ClientCredentialsSettings;
let cache: string | undefined;
let guard: GuardSettings;

async function acquire(claims?: string): Promise<string> {
	const outcome = await acquireAppToken(settings, cache, { claims });
	if (outcome.cacheToStore !== undefined) cache = outcome.cacheToStore;
	return outcome.token.accessToken;
}

async function tokens(): Promise<TokenSource> {
	return new TokenSource(await acquire(), (claims) => acquire(claims));
}

function request(path: string, overrides: Partial<ApiRequest> = {}): ApiRequest {
	return {
		method: 'GET',
		url: new URL(path, rig.api.baseUrl),
		headers: {},
		body: buildBody({ type: 'none' }),
		timeoutMs: 10_000,
		responseFormat: 'auto',
		neverError: false,
		retry: { ...DEFAULT_RETRY_POLICY },
		...overrides,
	};
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const tokenRequests = async () => (await rig.stats()).tokenRequests.filter((r) => r.grant === 'client_credentials');

beforeAll(async () => {
	rig = await startRig();
	settings = {
		cloud: 'custom',
		authorityUrl: rig.authority,
		clientId: rig.clients.certificate.clientId,
		authentication: {
			method: 'certificate',
			privateKey: rig.clients.certificate.privateKeyPem,
			certificate: rig.clients.certificate.certificatePem,
			sendX5c: false,
		},
		scopes: rig.api.scope,
	};
	guard = { scopes: [rig.api.scope], cloud: 'custom', domains: { mode: 'all' } };
});

afterAll(async () => {
	await rig?.stop();
});

beforeEach(async () => {
	await rig.reset();
	await rig.resetApi();
	cache = undefined;
});

describe('Call API core against the rig', () => {
	it("uses the credential scope for the API's own host, and the guard lets the token go there", () => {
		const choice = chooseScopes({
			credentialScopes: rig.api.scope,
			url: new URL('/me', rig.api.baseUrl),
			cloud: 'custom',
			kind: 'app',
		});
		expect(choice).toEqual({ scopes: [rig.api.scope], source: 'credential' });
	});

	it('100 requests, 10 at a time, one token request, every call with a valid token, order kept', async () => {
		const source = await tokens();
		const results = await mapWithConcurrency(
			Array.from({ length: 100 }, (_, i) => i),
			10,
			async (i) => (await sendApiRequest(request(`/echo?i=${i}`), source, guard)).body,
		);
		expect(results.map((body) => (body as { value: { query: { i: string } } }).value.query.i)).toEqual(
			Array.from({ length: 100 }, (_, i) => String(i)),
		);
		expect(await tokenRequests()).toHaveLength(1);
		const calls = await rig.apiRequests();
		expect(calls).toHaveLength(100);
		expect(calls.every((call) => (call.headers.authorization as { valid: boolean }).valid)).toBe(true);
	});

	it('follows @odata.nextLink over 3 pages and ARM nextLink, merging values', async () => {
		const source = await tokens();
		const graph = await sendApiRequest(
			request('/items?total=25&pageSize=10', { pagination: { maxPages: 0, maxItems: 0 } }),
			source,
			guard,
		);
		expect(graph.pages).toBe(3);
		expect((graph.body as { value: { value: Array<{ index: number }> } }).value.value.map((v) => v.index)).toEqual(
			Array.from({ length: 25 }, (_, i) => i),
		);
		const arm = await sendApiRequest(
			request('/arm/items?total=12&pageSize=5', { pagination: { maxPages: 0, maxItems: 7 } }),
			source,
			guard,
		);
		expect((arm.body as { value: { value: unknown[] } }).value.value).toHaveLength(7);
	});

	it('waits out a 429 with Retry-After: 2 and succeeds', async () => {
		const started = Date.now();
		const response = await sendApiRequest(request('/throttle?key=a&times=1&retryAfter=2'), await tokens(), guard);
		expect(response.status).toBe(200);
		expect(response.retries).toBe(1);
		expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
	});

	it('stops a 503 storm at the retry limit with a clear error', async () => {
		const error = await sendApiRequest(
			request('/unavailable', { retry: { ...DEFAULT_RETRY_POLICY, maxRetries: 2, baseDelayMs: 50, maxDelayMs: 100 } }),
			await tokens(),
			guard,
		).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ApiCallError);
		expect((error as ApiCallError).message).toMatch(/HTTP 503: ServiceUnavailable/);
		expect((error as ApiCallError).requestId).toBeTruthy();
		expect((error as ApiCallError).fix).toMatch(/Gave up after 2 retries/);
		expect((await rig.apiRequests()).filter((r) => r.path === '/unavailable')).toHaveLength(3);
	});

	it('does not retry a POST by default', async () => {
		const error = await sendApiRequest(
			request('/throttle?key=p&times=1', { method: 'POST' }),
			await tokens(),
			guard,
		).catch((e: unknown) => e);
		expect((error as ApiCallError).status).toBe(429);
		expect(await rig.apiRequests()).toHaveLength(1);
	});

	it('answers a claims challenge with exactly one token request carrying the claims, and the retry succeeds', async () => {
		const source = await tokens();
		await rig.reset(); // count only what the challenge causes
		const response = await sendApiRequest(request('/cae?key=k1'), source, guard);
		expect(response.status).toBe(200);
		expect(response.body).toMatchObject({ kind: 'json', value: { satisfied: true } });
		const requests = await tokenRequests();
		expect(requests).toHaveLength(1);
		expect(JSON.parse(requests[0].claims ?? '{}')).toMatchObject({ access_token: { nbf: { essential: true } } });
		const calls = (await rig.apiRequests()).filter((r) => r.path === '/cae');
		expect(calls.map((c) => c.status)).toEqual([401, 200]);
	});

	it("refuses a host outside the token's resource: that host receives nothing", async () => {
		const other = new URL(rig.api.baseUrl);
		other.hostname = 'localhost'; // same server, another host name: not the resource's host
		await expect(sendApiRequest(request(new URL('/echo', other).href), await tokens(), guard)).rejects.toBeInstanceOf(
			TokenGuardError,
		);
		expect(await rig.apiRequests()).toHaveLength(0);
	});

	it('uploads and downloads binary byte-identical', async () => {
		await rig.setApiRouteAuth('/upload', { roles: ['Data.Write.All'] });
		const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 131 + 17) & 0xff));
		const source = await tokens();
		const up = await sendApiRequest(
			request('/upload', {
				method: 'PUT',
				body: buildBody({ type: 'binary', data: bytes, contentType: 'application/pdf' }),
			}),
			source,
			guard,
		);
		expect(up.body).toMatchObject({
			value: { sha256: sha256(bytes), size: bytes.length, contentType: 'application/pdf' },
		});
		const down = await sendApiRequest(request('/binary?size=5000', { responseFormat: 'binary' }), source, guard);
		const expected = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31 + 7) & 0xff));
		expect(down.body).toMatchObject({
			kind: 'binary',
			fileName: 'binary-5000.bin',
			mimeType: 'application/octet-stream',
		});
		expect(sha256((down.body as { data: Buffer }).data)).toBe(sha256(expected));
	});

	it('each body type reaches the API as sent', async () => {
		const source = await tokens();
		const echo = async (spec: RequestBodySpec) =>
			(await sendApiRequest(request('/echo', { method: 'POST', body: buildBody(spec) }), source, guard)).body as {
				value: { contentType: string; bodyText: string; bodyBase64: string };
			};
		expect((await echo({ type: 'json', value: '{"a": [1, 2]}' })).value).toMatchObject({
			contentType: 'application/json',
			bodyText: '{"a": [1, 2]}',
		});
		expect((await echo({ type: 'form', fields: [{ name: 'x', value: 'a b&c' }] })).value).toMatchObject({
			contentType: 'application/x-www-form-urlencoded',
			bodyText: 'x=a+b%26c',
		});
		expect((await echo({ type: 'text', text: '<a>é</a>', contentType: 'application/xml' })).value).toMatchObject({
			contentType: 'application/xml',
			bodyText: '<a>é</a>',
		});
		const raw = Buffer.from([0, 255, 1, 254]);
		expect(Buffer.from((await echo({ type: 'binary', data: raw })).value.bodyBase64, 'base64')).toEqual(raw);
		const multipart = (
			await echo({
				type: 'multipart',
				parts: [
					{ name: 'note', value: 'hi' },
					{ name: 'file', data: raw, fileName: 'f.bin', mimeType: 'application/x-test' },
				],
			})
		).value;
		expect(multipart.contentType).toMatch(/^multipart\/form-data; boundary=/);
		const form = await new Response(Buffer.from(multipart.bodyBase64, 'base64'), {
			headers: { 'content-type': multipart.contentType },
		}).formData();
		expect(form.get('note')).toBe('hi');
		expect(Buffer.from(await (form.get('file') as File).arrayBuffer())).toEqual(raw);
	});

	it("surfaces the API's error code, message and request ids", async () => {
		const error = (await sendApiRequest(
			request('/error?status=403&code=Authorization_RequestDenied&message=Nope'),
			await tokens(),
			guard,
		).catch((e: unknown) => e)) as ApiCallError;
		expect(error).toMatchObject({ status: 403, code: 'Authorization_RequestDenied', apiMessage: 'Nope' });
		expect(error.requestId).toBeTruthy();
		expect(error.clientRequestId).toMatch(/^[0-9a-f-]{36}$/);
	});
});
