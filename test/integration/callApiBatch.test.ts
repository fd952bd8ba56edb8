/*
 * Batch Requests (Graph JSON batching) against the real rig: the protected API's POST /$batch
 * routes every sub-request as if sent alone, checking the batch's bearer token for each.
 * The rig is not a Graph host, so the batch root is given as a Custom Base URL would be.
 *
 * Run: npx jest --selectProjects integration test/integration/callApiBatch.test.ts
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { acquireAppToken, type ClientCredentialsSettings } from '../../nodes/core/clientCredentials';
import { ApiCallError } from '../../nodes/core/http/apiError';
import { buildBody } from '../../nodes/core/http/body';
import { mapWithConcurrency } from '../../nodes/core/http/concurrency';
import { graphVersionRoot, sendGraphBatch, type BatchOutcome } from '../../nodes/core/http/graphBatch';
import { DEFAULT_RETRY_POLICY } from '../../nodes/core/http/retry';
import { sendApiRequest, type ApiRequest, type GuardSettings } from '../../nodes/core/http/sendRequest';
import { TokenSource } from '../../nodes/core/http/tokenSource';
import { planBatches } from '../../nodes/MsalCallApi/batch';
import { Rig, startRig } from '../rig/rig';

jest.setTimeout(60000);

let rig: Rig;
let settings: ClientCredentialsSettings;
let guard: GuardSettings;
let root: URL;

async function tokens(): Promise<TokenSource> {
	const outcome = await acquireAppToken(settings, undefined, {});
	return new TokenSource(outcome.token.accessToken, async () => outcome.token.accessToken);
}

function request(path: string, overrides: Partial<ApiRequest> = {}): ApiRequest {
	return {
		method: 'GET',
		url: new URL(path.replace(/^\//, ''), root),
		headers: {},
		body: buildBody({ type: 'none' }),
		timeoutMs: 10_000,
		responseFormat: 'auto',
		neverError: false,
		retry: { ...DEFAULT_RETRY_POLICY },
		...overrides,
	};
}

/** What the node does with a plan: one output per item index, failures as items (continue-on-fail). */
async function runItems(requests: ApiRequest[], concurrency = 5) {
	const source = await tokens();
	const entries = requests.map((api, itemIndex) => ({ api, itemIndex }));
	const results: Array<{ pairedItem: number; status?: number; body?: unknown; error?: unknown }> = new Array(
		entries.length,
	);
	const plan = planBatches(
		entries,
		(entry) => entry.api,
		() => 'one token',
		(_entry, api) => (api.url.href.startsWith(root.href) ? root : undefined),
	);
	await mapWithConcurrency(plan, concurrency, async (unit) => {
		if (unit.kind === 'single') {
			const { api, itemIndex } = unit.entry;
			try {
				const response = await sendApiRequest(api, source, guard);
				results[itemIndex] = { pairedItem: itemIndex, status: response.status, body: response.body };
			} catch (error) {
				results[itemIndex] = { pairedItem: itemIndex, error };
			}
			return;
		}
		const outcomes: BatchOutcome[] = await sendGraphBatch(
			unit.root,
			unit.entries.map((e) => e.api),
			source,
			guard,
		);
		unit.entries.forEach(({ itemIndex }, i) => {
			const outcome = outcomes[i];
			results[itemIndex] =
				'error' in outcome
					? { pairedItem: itemIndex, error: outcome.error }
					: { pairedItem: itemIndex, status: outcome.response.status, body: outcome.response.body };
		});
	});
	return results;
}

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
	root = new URL('/', rig.api.baseUrl);
});

afterAll(async () => {
	await rig?.stop();
});

beforeEach(async () => {
	await rig.resetApi();
});

describe('Batch Requests against the rig', () => {
	it('knows the Graph version roots of every cloud, and nothing else', () => {
		expect(graphVersionRoot(new URL('https://graph.microsoft.com/v1.0/users/x?$select=id'))?.href).toBe(
			'https://graph.microsoft.com/v1.0/',
		);
		expect(graphVersionRoot(new URL('https://graph.microsoft.us/beta/me'))?.href).toBe(
			'https://graph.microsoft.us/beta/',
		);
		expect(graphVersionRoot(new URL('https://microsoftgraph.chinacloudapi.cn/v1.0/me'))).toBeDefined();
		expect(graphVersionRoot(new URL('https://dod-graph.microsoft.us/v1.0/me'))).toBeDefined();
		expect(graphVersionRoot(new URL('https://graph.microsoft.com/v2/me'))).toBeUndefined();
		expect(graphVersionRoot(new URL('https://management.azure.com/subscriptions'))).toBeUndefined();
		expect(graphVersionRoot(new URL('https://graph.microsoft.com.evil.example/v1.0/me'))).toBeUndefined();
	});

	it('45 items make 3 batch POSTs; results come back per item, in order, paired with their item', async () => {
		const results = await runItems(
			Array.from({ length: 45 }, (_, i) =>
				i % 3 === 2
					? request(`/echo?i=${i}`, { method: 'POST', body: buildBody({ type: 'json', value: { i } }) })
					: request(`/echo?i=${i}`),
			),
		);
		const calls = await rig.apiRequests();
		const posts = calls.filter((c) => !c.batch);
		expect(posts).toHaveLength(3);
		expect(posts.every((c) => c.method === 'POST' && c.path === '/$batch' && c.status === 200)).toBe(true);
		expect(posts.map((c) => JSON.parse(c.bodyText || '{}').requests?.length ?? 'big').sort()).toEqual(
			expect.arrayContaining([20, 5]),
		);
		const subs = calls.filter((c) => c.batch);
		expect(subs).toHaveLength(45);
		expect(subs.every((c) => (c.headers.authorization as { valid: boolean }).valid)).toBe(true);
		results.forEach((result, i) => {
			expect(result.pairedItem).toBe(i);
			expect(result.status).toBe(200);
			const echo = (result.body as { value: { query: { i: string }; method: string; bodyText: string } }).value;
			expect(echo.query.i).toBe(String(i));
			expect(echo.method).toBe(i % 3 === 2 ? 'POST' : 'GET');
			if (i % 3 === 2) expect(JSON.parse(echo.bodyText)).toEqual({ i });
		});
	});

	it('a sub-request answered 429 is retried alone, after its Retry-After', async () => {
		const started = Date.now();
		const results = await runItems([
			request('/echo?i=0'),
			request('/throttle?key=b1&times=1&retryAfter=2'),
			request('/echo?i=2'),
		]);
		expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
		expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
		expect((results[1].body as { value: { attempts: number } }).value.attempts).toBe(2);
		const calls = await rig.apiRequests();
		const batches = calls.filter((c) => !c.batch);
		expect(batches).toHaveLength(2);
		expect(JSON.parse(batches[1].bodyText).requests).toHaveLength(1);
		expect(calls.filter((c) => c.batch && c.path === '/echo')).toHaveLength(2);
		expect(calls.filter((c) => c.batch && c.path === '/throttle').map((c) => c.status)).toEqual([429, 200]);
	});

	it('a failing sub-request fails only its own item (continue-on-fail)', async () => {
		const results = await runItems([
			request('/echo?i=0'),
			request('/error?status=404&code=ResourceNotFound&message=No%20such%20user'),
			request('/echo?i=2'),
		]);
		expect(results[0].status).toBe(200);
		expect(results[2].status).toBe(200);
		expect(results[1].error).toBeInstanceOf(ApiCallError);
		expect((results[1].error as ApiCallError).status).toBe(404);
		expect((results[1].error as ApiCallError).message).toMatch(/ResourceNotFound: No such user/);
		expect(results[1].pairedItem).toBe(1);
	});

	it('each sub-request is checked with the batch token: a route needing another permission fails alone', async () => {
		await rig.setApiRouteAuth('/upload', { roles: ['Data.Write.All'] });
		await rig.setApiRouteAuth('/echo', { roles: ['Nobody.Has.This'] });
		const results = await runItems([request('/me'), request('/echo?i=1')]);
		expect(results[0].status).toBe(200);
		expect((results[1].error as ApiCallError).status).toBe(403);
	});

	it('URLs outside the batch root, binary responses and pagination are sent as without the option', async () => {
		const other = new URL('/echo?alone=1', rig.api.baseUrl);
		other.pathname = '/echo';
		const results = await runItems(
			[
				request('/echo?i=0'),
				request('/items?total=5&pageSize=2', { pagination: { maxPages: 0, maxItems: 0 } }),
				request('/binary?size=10', { responseFormat: 'binary' }),
				request('/echo?i=3'),
			],
			1,
		);
		expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
		const calls = await rig.apiRequests();
		expect(calls.filter((c) => !c.batch).map((c) => c.path)).toEqual([
			'/$batch',
			'/items',
			'/items',
			'/items',
			'/binary',
		]);
		// root-less planning (Graph hosts only): the rig URL is not Graph, so nothing is batched
		await rig.resetApi();
		const plan = planBatches(
			[request('/echo')],
			(r) => r,
			() => 1,
		);
		expect(plan).toEqual([{ kind: 'single', entry: expect.anything() }]);
	});

	it('latency applies per request: 20 items in one batch take one latency, not 20', async () => {
		await rig.setApiLatency(200);
		const started = Date.now();
		await runItems(
			Array.from({ length: 20 }, (_, i) => request(`/echo?i=${i}`)),
			1,
		);
		const elapsed = Date.now() - started;
		expect(elapsed).toBeGreaterThanOrEqual(190);
		expect(elapsed).toBeLessThan(2000);
	});
});
