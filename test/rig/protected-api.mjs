// The protected API: a Graph/ARM-like resource server. Every route except /__api/*
// requires a bearer JWT from the identity provider (jose: signature against the
// IdP's keys, issuer, audience = the API resource URI, expiry) carrying the route's
// permission: by default role `Data.Read.All` (app) or scope `Data.Read` (delegated).
//
// Admin (no auth): GET /__api/requests, POST /__api/reset,
//   POST /__api/route-auth {"path":"/upload","roles":["Data.Write.All"],"scopes":["Data.Write"]}
//   POST /__api/latency {"ms":20}  (every request to the API waits this long before it is answered)
//
// POST /$batch behaves like Graph's JSON batching: up to 20 independent sub-requests
// ({id, method, url relative to the API root, headers, body}), each routed as if sent alone
// with the batch's bearer token (checked once per sub-request: permission of its route),
// answered {responses: [{id, status, headers, body}]}. Sub-requests are recorded too
// (with `batch: true`), after the batch itself.
//
// Verified tokens are cached by their string until they expire, as resource servers do, so
// the API is not the bottleneck of a client benchmark.
//
// The keys are handed over in-process (createLocalJWKSet) rather than fetched from
// the jwks_uri: same keys, and the rig process need not trust its own CA.
import { createHash, randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { readBodyBuffer, sendJson } from './http-util.mjs';

const DEFAULT_AUTH = { roles: ['Data.Read.All'], scopes: ['Data.Read'] };

export function createProtectedApi({ origin, issuer, resource, publicJwks, authorizeEndpoint }) {
	const keySet = createLocalJWKSet(publicJwks);
	let requests = [];
	let throttleCounts = new Map();
	let caeChallenges = new Map();
	let routeAuth = new Map();
	let latencyMs = 0;
	const verified = new Map();

	function reset() {
		latencyMs = 0;
		requests = [];
		throttleCounts = new Map();
		caeChallenges = new Map();
		routeAuth = new Map();
	}

	async function authenticate(req) {
		const header = req.headers.authorization || '';
		const match = /^Bearer\s+(\S+)$/i.exec(header);
		if (!match) return { valid: false, reason: 'missing bearer token' };
		const known = verified.get(match[1]);
		if (known && known.exp * 1000 > Date.now()) return { valid: true, payload: known };
		try {
			const { payload } = await jwtVerify(match[1], keySet, { issuer, audience: resource, algorithms: ['RS256'] });
			if (verified.size > 1000) verified.clear();
			verified.set(match[1], payload);
			return { valid: true, payload };
		} catch (error) {
			let payload;
			try {
				payload = decodeJwt(match[1]);
			} catch {
				payload = undefined;
			}
			return { valid: false, reason: error.code || error.message, payload };
		}
	}

	function summary(auth) {
		const p = auth.payload || {};
		return {
			valid: auth.valid,
			sub: p.sub,
			oid: p.oid,
			aud: p.aud,
			roles: p.roles,
			scp: p.scp,
			jti: p.jti,
			...(auth.valid ? {} : { reason: auth.reason }),
		};
	}

	function permitted(payload, path) {
		const need = routeAuth.get(path) || DEFAULT_AUTH;
		const roles = payload.roles || [];
		const scopes = String(payload.scp || '').split(' ');
		return need.roles.some((r) => roles.includes(r)) || need.scopes.some((s) => scopes.includes(s));
	}

	async function handle(req, res, url) {
		const requestId = randomUUID();
		const clientRequestId = req.headers['client-request-id'] || requestId;
		// Graph answers every request with these two headers.
		const baseHeaders = { 'request-id': requestId, 'client-request-id': clientRequestId };
		const body = await readBodyBuffer(req);

		if (url.pathname.startsWith('/__api/')) return handleAdmin(req, res, url, body);

		const auth = await authenticate(req);
		const headers = { ...req.headers };
		if (headers.authorization) headers.authorization = summary(auth);
		const record = {
			method: req.method,
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			headers,
			bodySha256: createHash('sha256').update(body).digest('hex'),
			bodyText: body.subarray(0, 2048).toString('utf8'),
			status: undefined,
			at: new Date().toISOString(),
		};
		requests.push(record);
		res.on('finish', () => {
			record.status = res.statusCode;
		});

		if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
		if (!auth.valid) {
			return sendGraphError(
				res,
				baseHeaders,
				401,
				'InvalidAuthenticationToken',
				`Access token validation failure: ${auth.reason}`,
				{
					'www-authenticate': `Bearer error="invalid_token", error_description="${String(auth.reason).replace(/"/g, "'")}", authorization_uri="${authorizeEndpoint}"`,
				},
			);
		}
		if (req.method === 'POST' && url.pathname === '/$batch') return batch(res, baseHeaders, body, auth);
		return route(req, res, url, body, auth, baseHeaders);
	}

	function sendGraphError(res, baseHeaders, status, code, message, extra = {}) {
		return sendJson(res, {
			status,
			headers: { ...baseHeaders, ...extra },
			body: {
				error: {
					code,
					message,
					innerError: {
						'request-id': baseHeaders['request-id'],
						'client-request-id': baseHeaders['client-request-id'],
						date: new Date().toISOString().slice(0, 19),
					},
				},
			},
		});
	}

	async function batch(res, baseHeaders, body, auth) {
		let spec;
		try {
			spec = JSON.parse(body.toString('utf8'));
		} catch {
			return sendGraphError(res, baseHeaders, 400, 'BadRequest', 'Invalid batch payload.');
		}
		const subs = Array.isArray(spec?.requests) ? spec.requests : undefined;
		if (!subs || subs.length === 0 || subs.length > 20)
			return sendGraphError(res, baseHeaders, 400, 'BadRequest', 'A batch holds 1 to 20 requests.');
		const responses = await Promise.all(
			subs.map(async (sub) => {
				const subUrl = new URL(String(sub.url || '/').replace(/^\/?/, '/'), origin);
				const headers = Object.fromEntries(
					Object.entries(sub.headers || {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
				);
				const subBody =
					sub.body === undefined
						? Buffer.alloc(0)
						: Buffer.from(typeof sub.body === 'string' ? sub.body : JSON.stringify(sub.body));
				const requestId = randomUUID();
				const subBase = { 'request-id': requestId, 'client-request-id': headers['client-request-id'] || requestId };
				const capture = captureResponse();
				const record = {
					method: String(sub.method || 'GET').toUpperCase(),
					path: subUrl.pathname,
					query: Object.fromEntries(subUrl.searchParams),
					headers: { ...headers, authorization: summary(auth) },
					bodySha256: createHash('sha256').update(subBody).digest('hex'),
					bodyText: subBody.subarray(0, 2048).toString('utf8'),
					status: undefined,
					batch: true,
					batchId: String(sub.id),
					at: new Date().toISOString(),
				};
				requests.push(record);
				await route({ method: record.method, headers }, capture, subUrl, subBody, auth, subBase);
				record.status = capture.status;
				const type = capture.headers['content-type'] || '';
				let out;
				if (capture.body.length === 0) out = undefined;
				else if (/json/.test(type)) out = JSON.parse(capture.body.toString('utf8'));
				else out = capture.body.toString('base64');
				return { id: String(sub.id), status: capture.status, headers: capture.headers, body: out };
			}),
		);
		return sendJson(res, { status: 200, headers: baseHeaders, body: { responses } });
	}

	function captureResponse() {
		const capture = {
			status: 200,
			headers: {},
			body: Buffer.alloc(0),
			writeHead(status, headers = {}) {
				capture.status = status;
				for (const [k, v] of Object.entries(headers)) capture.headers[k.toLowerCase()] = String(v);
			},
			end(data) {
				capture.body = data === undefined ? Buffer.alloc(0) : Buffer.from(data);
			},
		};
		return capture;
	}

	async function route(req, res, url, body, auth, baseHeaders) {
		const graphError = (status, code, message, extra = {}) =>
			sendGraphError(res, baseHeaders, status, code, message, extra);
		const record = { bodySha256: createHash('sha256').update(body).digest('hex') };
		if (!permitted(auth.payload, url.pathname)) {
			return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
		}
		const ok = (json, status = 200) => sendJson(res, { status, headers: baseHeaders, body: json });
		const q = url.searchParams;
		const p = auth.payload;

		switch (url.pathname) {
			case '/me':
				return ok({
					oid: p.oid,
					sub: p.sub,
					tid: p.tid,
					aud: p.aud,
					azp: p.azp,
					appid: p.appid,
					idtyp: p.idtyp,
					roles: p.roles,
					scp: p.scp,
					name: p.name,
					preferred_username: p.preferred_username,
				});
			case '/echo': {
				const { authorization: _omit, ...rest } = req.headers;
				return ok({
					method: req.method,
					path: url.pathname,
					query: Object.fromEntries(q),
					headers: rest,
					contentType: req.headers['content-type'] || null,
					bodyText: body.toString('utf8'),
					bodyBase64: body.toString('base64'),
					bodySha256: record.bodySha256,
					size: body.length,
				});
			}
			case '/items':
			case '/arm/items':
				return ok(page(url, q, url.pathname === '/arm/items'));
			case '/throttle': {
				const key = q.get('key') || 'default';
				const seen = (throttleCounts.get(key) || 0) + 1;
				throttleCounts.set(key, seen);
				if (seen <= Number(q.get('times') ?? 1)) {
					return graphError(429, 'TooManyRequests', 'Too many requests.', {
						'retry-after': String(q.get('retryAfter') ?? 1),
					});
				}
				return ok({ key, attempts: seen });
			}
			case '/unavailable': {
				const status = Number(q.get('status') || 503);
				return graphError(
					status,
					status === 504 ? 'GatewayTimeout' : 'ServiceUnavailable',
					'The service is temporarily unavailable.',
				);
			}
			case '/cae': {
				// Continuous access evaluation: challenge until the token was issued for the
				// claims request we sent (the IdP copies it into xms_rig_claims).
				const key = q.get('key') || 'default';
				if (!caeChallenges.has(key)) caeChallenges.set(key, String(Math.floor(Date.now() / 1000)));
				const value = caeChallenges.get(key);
				if (p.xms_rig_claims?.nbf?.value === value) return ok({ key, satisfied: true });
				const claims = Buffer.from(JSON.stringify({ access_token: { nbf: { essential: true, value } } })).toString(
					'base64',
				);
				return graphError(
					401,
					'InvalidAuthenticationToken',
					'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp',
					{
						'www-authenticate': `Bearer realm="", authorization_uri="${authorizeEndpoint}", error="insufficient_claims", claims="${claims}"`,
					},
				);
			}
			case '/binary': {
				const size = Math.max(0, Math.min(Number(q.get('size') || 1024), 64 * 1024 * 1024));
				const bytes = deterministicBytes(size);
				res.writeHead(200, {
					...baseHeaders,
					'content-type': 'application/octet-stream',
					'content-length': String(size),
					'content-disposition': `attachment; filename="binary-${size}.bin"`,
				});
				return res.end(bytes);
			}
			case '/upload':
				return ok({ sha256: record.bodySha256, size: body.length, contentType: req.headers['content-type'] || null });
			case '/error':
				return graphError(
					Number(q.get('status') || 400),
					q.get('code') || 'BadRequest',
					q.get('message') || 'Error requested by the test.',
				);
			default:
				return graphError(404, 'ResourceNotFound', `No route ${req.method} ${url.pathname}.`);
		}
	}

	// Graph style (@odata.nextLink, $skiptoken) or ARM style (nextLink, $skipToken).
	function page(url, q, arm) {
		const total = Number(q.get('total') ?? 25);
		const pageSize = Math.max(1, Number(q.get('pageSize') ?? 10));
		const skip = Number(q.get(arm ? '$skipToken' : '$skiptoken') ?? 0);
		const value = [];
		for (let i = skip; i < Math.min(total, skip + pageSize); i += 1)
			value.push({ id: `item-${i}`, index: i, name: `Item ${i}` });
		const out = { value };
		if (skip + pageSize < total) {
			const next = new URL(url.pathname, origin);
			next.searchParams.set('total', String(total));
			next.searchParams.set('pageSize', String(pageSize));
			next.searchParams.set(arm ? '$skipToken' : '$skiptoken', String(skip + pageSize));
			out[arm ? 'nextLink' : '@odata.nextLink'] = next.toString();
		}
		return out;
	}

	async function handleAdmin(req, res, url, body) {
		if (req.method === 'GET' && url.pathname === '/__api/requests') return sendJson(res, { body: requests });
		if (req.method === 'POST' && url.pathname === '/__api/latency') {
			const spec = body.length ? JSON.parse(body.toString('utf8')) : {};
			latencyMs = Math.max(0, Number(spec.ms) || 0);
			return sendJson(res, { body: { latencyMs } });
		}
		if (req.method === 'POST' && url.pathname === '/__api/reset') {
			reset();
			return sendJson(res, { body: { reset: true } });
		}
		if (req.method === 'POST' && url.pathname === '/__api/route-auth') {
			const spec = body.length ? JSON.parse(body.toString('utf8')) : {};
			routeAuth.set(spec.path, { roles: spec.roles || [], scopes: spec.scopes || [] });
			return sendJson(res, { body: { path: spec.path, ...routeAuth.get(spec.path) } });
		}
		return sendJson(res, { status: 404, body: { error: 'unknown admin route' } });
	}

	return { handle, reset };
}

// Byte i = (i * 31 + 7) mod 256: reproducible, and not all-zero or ASCII.
export function deterministicBytes(size) {
	const bytes = Buffer.alloc(size);
	for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + 7) & 0xff;
	return bytes;
}
