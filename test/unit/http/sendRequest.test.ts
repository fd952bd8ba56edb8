import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiCallError, ApiUnreachableError } from '../../../nodes/core/http/apiError';
import { buildBody } from '../../../nodes/core/http/body';
import { DEFAULT_RETRY_POLICY } from '../../../nodes/core/http/retry';
import { HARD_MAX_PAGES } from '../../../nodes/core/http/pagination';
import { ResponseTooLargeError } from '../../../nodes/core/http/response';
import {
	PaginationError,
	sendApiRequest,
	type ApiRequest,
	type GuardSettings,
} from '../../../nodes/core/http/sendRequest';
import { TokenGuardError } from '../../../nodes/core/http/tokenGuard';
import { TokenSource } from '../../../nodes/core/http/tokenSource';

// A real HTTP server on loopback: what the sender puts on the wire is what the server sees.
interface Seen {
	method: string;
	path: string;
	authorization?: string;
	contentType?: string;
	apiKey?: string;
	body: string;
}
let server: Server;
let origin: string;
let seen: Seen[] = [];
const counters = new Map<string, number>();

function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): unknown {
	const url = new URL(req.url ?? '/', origin);
	seen.push({
		method: req.method ?? '',
		path: url.pathname + url.search,
		authorization: req.headers.authorization,
		contentType: req.headers['content-type'],
		apiKey: req.headers['x-api-key'] as string | undefined,
		body: body.toString(),
	});
	const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
		res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req-${seen.length}`, ...headers });
		res.end(JSON.stringify(value));
	};
	const count = (key: string) => {
		const n = (counters.get(key) ?? 0) + 1;
		counters.set(key, n);
		return n;
	};
	switch (url.pathname) {
		case '/echo':
			return json(200, {
				method: req.method,
				body: body.toString(),
				clientRequestId: req.headers['client-request-id'],
			});
		case '/throttle':
			if (count(`throttle-${url.searchParams.get('key')}`) <= Number(url.searchParams.get('times') ?? 1)) {
				return json(
					429,
					{ error: { code: 'TooManyRequests', message: 'Slow down.' } },
					{ 'retry-after': url.searchParams.get('retryAfter') ?? '2' },
				);
			}
			return json(200, { ok: true });
		case '/unavailable':
			return json(503, { error: { code: 'ServiceUnavailable', message: 'Try later.' } });
		case '/cae':
			if (req.headers.authorization === 'Bearer token-with-claims') return json(200, { satisfied: true });
			return json(
				401,
				{ error: { code: 'InvalidAuthenticationToken', message: 'CAE challenge' } },
				{
					'www-authenticate': `Bearer error="insufficient_claims", claims="${Buffer.from('{"access_token":{"nbf":{"essential":true,"value":"1"}}}').toString('base64')}"`,
				},
			);
		case '/items': {
			const skip = Number(url.searchParams.get('skip') ?? 0);
			const total = Number(url.searchParams.get('total') ?? 7);
			const value = Array.from({ length: Math.min(3, total - skip) }, (_, i) => ({ id: skip + i }));
			const next = skip + 3 < total ? `${origin}/items?total=${total}&skip=${skip + 3}` : undefined;
			return json(200, { '@odata.context': 'ctx', value, ...(next ? { '@odata.nextLink': next } : {}) });
		}
		case '/loop': {
			// Page 3 links back to page 2.
			const page = Number(url.searchParams.get('page') ?? 1);
			return json(200, { value: [page], '@odata.nextLink': `${origin}/loop?page=${page === 3 ? 2 : page + 1}` });
		}
		case '/endless': {
			const page = Number(url.searchParams.get('page') ?? 1);
			return json(200, { value: [page], '@odata.nextLink': `${origin}/endless?page=${page + 1}` });
		}
		case '/big': {
			const size = Number(url.searchParams.get('size'));
			const chunked = url.searchParams.get('chunked') === '1';
			res.writeHead(200, {
				'content-type': 'application/octet-stream',
				...(chunked ? {} : { 'content-length': String(size) }),
			});
			if (chunked) {
				// Without a Content-Length: the reader must stop by itself.
				for (let sent = 0; sent < size; sent += 64 * 1024) res.write(Buffer.alloc(Math.min(64 * 1024, size - sent), 1));
				return res.end();
			}
			return res.end(Buffer.alloc(size, 1));
		}
		case '/items-elsewhere':
			return json(200, { value: [1], '@odata.nextLink': 'https://evil.example.com/steal' });
		case '/redirect-same':
			res.writeHead(307, { location: '/echo' });
			return res.end();
		case '/redirect-other':
			res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/echo` });
			return res.end();
		case '/redirect-to-challenge':
			res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/cae` });
			return res.end();
		case '/slow':
			setTimeout(() => json(200, { late: true }), 300);
			return;
		case '/binary':
			res.writeHead(200, {
				'content-type': 'application/octet-stream',
				'content-disposition': 'attachment; filename="b.bin"',
			});
			return res.end(Buffer.from([0, 1, 2, 250]));
		default:
			return json(404, {
				error: {
					code: 'ResourceNotFound',
					message: `No route ${url.pathname}.`,
					innerError: { 'request-id': 'rid-404', 'client-request-id': 'cid-404' },
				},
			});
	}
}

beforeAll(async () => {
	server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => handle(req, res, Buffer.concat(chunks)));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
	await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
	seen = [];
	counters.clear();
});

const guard: GuardSettings = {
	scopes: ['api://test/.default'],
	cloud: 'global',
	domains: { mode: 'domains', hosts: [{ host: '127.0.0.1' }] },
};
const SECRET = 'secret-token-value';
const sleeps: number[] = [];
const deps = { sleep: async (ms: number) => void sleeps.push(ms) };

function request(path: string, overrides: Partial<ApiRequest> = {}): ApiRequest {
	return {
		method: 'GET',
		url: new URL(path, origin),
		headers: {},
		body: buildBody({ type: 'none' }),
		timeoutMs: 5000,
		responseFormat: 'auto',
		neverError: false,
		retry: { ...DEFAULT_RETRY_POLICY, maxRetries: 3, maxTotalWaitMs: 60_000 },
		...overrides,
	};
}
const tokens = (onClaims: (claims: string) => Promise<string> = async () => 'token-with-claims') =>
	new TokenSource(SECRET, onClaims);

describe('sending a request', () => {
	it('sends the bearer token, the body and a client-request-id', async () => {
		const response = await sendApiRequest(
			request('/echo', {
				method: 'POST',
				body: buildBody({ type: 'json', value: '{"a":1}' }),
				headers: { 'x-test': '1' },
			}),
			tokens(),
			guard,
		);
		expect(response.status).toBe(200);
		expect(response.body).toMatchObject({ kind: 'json', value: { method: 'POST', body: '{"a":1}' } });
		expect((response.body as { value: { clientRequestId: string } }).value.clientRequestId).toMatch(/^[0-9a-f-]{36}$/);
		expect(seen[0]).toMatchObject({ authorization: `Bearer ${SECRET}`, contentType: 'application/json' });
	});

	it("refuses a URL outside the token's resource before sending anything", async () => {
		await expect(sendApiRequest(request('https://evil.example.com/collect'), tokens(), guard)).rejects.toBeInstanceOf(
			TokenGuardError,
		);
		await expect(
			sendApiRequest(request('/echo'), tokens(), { ...guard, domains: { mode: 'all' } }),
		).rejects.toBeInstanceOf(TokenGuardError);
		expect(seen).toHaveLength(0);
	});

	it('waits out a 429 with Retry-After and succeeds', async () => {
		sleeps.length = 0;
		const response = await sendApiRequest(request('/throttle?key=a&times=1&retryAfter=2'), tokens(), guard, deps);
		expect(response.status).toBe(200);
		expect(response.retries).toBe(1);
		expect(sleeps).toEqual([2000]);
		expect(seen).toHaveLength(2);
	});

	it('stops a 503 storm at the retry limit with a clear error', async () => {
		sleeps.length = 0;
		const error = await sendApiRequest(request('/unavailable'), tokens(), guard, { ...deps, random: () => 1 }).catch(
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(ApiCallError);
		expect((error as ApiCallError).status).toBe(503);
		expect((error as ApiCallError).message).toMatch(
			/GET http:\/\/127\.0\.0\.1:\d+\/unavailable failed with HTTP 503: ServiceUnavailable: Try later\./,
		);
		expect((error as ApiCallError).fix).toMatch(/Gave up after 3 retries/);
		expect(seen).toHaveLength(4);
		expect(sleeps).toEqual([1000, 2000, 4000]);
	});

	it('does not retry a POST by default, and does when allowed', async () => {
		const error = await sendApiRequest(
			request('/throttle?key=p&times=1', { method: 'POST' }),
			tokens(),
			guard,
			deps,
		).catch((e: unknown) => e);
		expect((error as ApiCallError).status).toBe(429);
		expect((error as ApiCallError).fix).toMatch(/Retry Non-Idempotent Requests/);
		expect(seen).toHaveLength(1);
		const retried = await sendApiRequest(
			request('/throttle?key=q&times=1', {
				method: 'POST',
				retry: { ...DEFAULT_RETRY_POLICY, retryNonIdempotent: true },
			}),
			tokens(),
			guard,
			deps,
		);
		expect(retried.status).toBe(200);
	});

	it('answers a claims challenge with one new token carrying the claims, then retries once', async () => {
		const claimsSeen: string[] = [];
		const response = await sendApiRequest(
			request('/cae'),
			tokens(async (claims) => (claimsSeen.push(claims), 'token-with-claims')),
			guard,
		);
		expect(response.status).toBe(200);
		expect(response.claimsChallenged).toBe(true);
		expect(claimsSeen).toEqual(['{"access_token":{"nbf":{"essential":true,"value":"1"}}}']);
		expect(seen.map((s) => s.authorization)).toEqual([`Bearer ${SECRET}`, 'Bearer token-with-claims']);
	});

	it('gives up after one claims retry', async () => {
		let acquisitions = 0;
		const error = await sendApiRequest(
			request('/cae'),
			tokens(async () => (acquisitions++, 'still-not-enough')),
			guard,
		).catch((e: unknown) => e);
		expect((error as ApiCallError).status).toBe(401);
		expect(acquisitions).toBe(1);
		expect(seen).toHaveLength(2);
	});

	it('follows next links over several pages and respects the limits', async () => {
		const all = await sendApiRequest(
			request('/items?total=8', { pagination: { maxPages: 0, maxItems: 0 } }),
			tokens(),
			guard,
		);
		expect(all.pages).toBe(3);
		expect(all.body).toEqual({
			kind: 'json',
			value: { '@odata.context': 'ctx', value: Array.from({ length: 8 }, (_, id) => ({ id })) },
		});
		expect(seen.every((s) => s.authorization === `Bearer ${SECRET}`)).toBe(true);
		const two = await sendApiRequest(
			request('/items?total=8', { pagination: { maxPages: 2, maxItems: 0 } }),
			tokens(),
			guard,
		);
		expect((two.body as { value: { value: unknown[]; '@odata.nextLink': string } }).value.value).toHaveLength(6);
		expect((two.body as { value: { '@odata.nextLink': string } }).value['@odata.nextLink']).toMatch(/skip=6/);
	});

	it('a next link that repeats stops paging with a clear error', async () => {
		const error = await sendApiRequest(
			request('/loop?page=1', { pagination: { maxPages: 0, maxItems: 0 } }),
			tokens(),
			guard,
		).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PaginationError);
		expect((error as Error).message).toMatch(
			/page 3 links to http:\/\/127\.0\.0\.1:\d+\/loop\?…, which was fetched before/,
		);
		expect(seen.map((s) => s.path)).toEqual(['/loop?page=1', '/loop?page=2', '/loop?page=3']);
	});

	it('Max Pages 0 still stops at the hard ceiling (10,000 pages; 25 here)', async () => {
		expect(HARD_MAX_PAGES).toBe(10_000);
		const error = await sendApiRequest(
			request('/endless?page=1', { pagination: { maxPages: 0, maxItems: 0 } }),
			tokens(),
			guard,
			{ pageCeiling: 25 },
		).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PaginationError);
		expect((error as PaginationError).message).toContain('after 25 pages, the ceiling when Max Pages is 0');
		expect((error as PaginationError).field).toBe('Max Pages');
		expect(seen).toHaveLength(25);
	});

	it('refuses a response body over the size cap, declared or not, and reads one at the cap', async () => {
		const cap = 256 * 1024;
		for (const chunked of ['0', '1']) {
			const error = await sendApiRequest(
				request(`/big?size=${cap + 1}&chunked=${chunked}`, { responseFormat: 'binary', maxResponseBytes: cap }),
				tokens(),
				guard,
			).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(ResponseTooLargeError);
			expect((error as Error).message).toContain('larger than 262144 bytes, the Max Response Size');
		}
		const fits = await sendApiRequest(
			request(`/big?size=${cap}&chunked=1`, { responseFormat: 'binary', maxResponseBytes: cap }),
			tokens(),
			guard,
		);
		expect(fits.body).toMatchObject({ kind: 'binary' });
		expect((fits.body as { data: Buffer }).data.length).toBe(cap);
	});

	it('refuses a next link to another host', async () => {
		await expect(
			sendApiRequest(request('/items-elsewhere', { pagination: { maxPages: 0, maxItems: 0 } }), tokens(), guard),
		).rejects.toThrow(/next-page link/);
	});

	it('follows a same-host redirect with the token and drops the token on a redirect elsewhere', async () => {
		const same = await sendApiRequest(
			request('/redirect-same', { method: 'POST', body: buildBody({ type: 'text', text: 'keep' }) }),
			tokens(),
			guard,
		);
		expect(same.body).toMatchObject({ value: { method: 'POST', body: 'keep' } });
		expect(seen[1].authorization).toBe(`Bearer ${SECRET}`);
		seen = [];
		const other = await sendApiRequest(request('/redirect-other'), tokens(), guard);
		expect(other.status).toBe(200);
		expect(seen[0].authorization).toBe(`Bearer ${SECRET}`);
		expect(seen[1].authorization).toBeUndefined();
	});

	it("a redirect elsewhere drops the user's own headers too, and that host cannot ask for a new token", async () => {
		await sendApiRequest(
			request('/redirect-other', { headers: { 'x-api-key': 'k1', accept: 'application/json' } }),
			tokens(),
			guard,
		);
		expect(seen.map((s) => s.apiKey)).toEqual(['k1', undefined]);
		let claimsAsked = 0;
		const challenged = await sendApiRequest(
			request('/redirect-to-challenge', { neverError: true }),
			tokens(async () => {
				claimsAsked++;
				return 'token-with-claims';
			}),
			guard,
		);
		expect(challenged.status).toBe(401);
		expect(claimsAsked).toBe(0);
	});

	it('returns an error response instead of throwing with Never Error', async () => {
		const response = await sendApiRequest(request('/nothing', { neverError: true }), tokens(), guard);
		expect(response.status).toBe(404);
		expect(response.body).toMatchObject({ kind: 'json', value: { error: { code: 'ResourceNotFound' } } });
	});

	it('throws API errors with code and request ids, never the token', async () => {
		const error = (await sendApiRequest(request('/nothing?x=secret-query'), tokens(), guard).catch(
			(e: unknown) => e,
		)) as ApiCallError;
		expect(error).toMatchObject({
			status: 404,
			code: 'ResourceNotFound',
			requestId: 'rid-404',
			clientRequestId: 'cid-404',
		});
		expect(error.message).not.toMatch(/secret-query/);
		expect(JSON.stringify({ ...error, message: error.message, fix: error.fix })).not.toContain(SECRET);
	});

	it('downloads bytes unchanged with the file name', async () => {
		const response = await sendApiRequest(request('/binary', { responseFormat: 'binary' }), tokens(), guard);
		expect(response.body).toEqual({
			kind: 'binary',
			data: Buffer.from([0, 1, 2, 250]),
			mimeType: 'application/octet-stream',
			fileName: 'b.bin',
		});
	});

	it('times out with a clear error', async () => {
		const error = await sendApiRequest(request('/slow', { timeoutMs: 50 }), tokens(), guard).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ApiUnreachableError);
		expect((error as Error).message).toMatch(/timeout/i);
	});
});
