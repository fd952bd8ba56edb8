import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lookup } from 'node:dns';
import { egressFilterOf, outboundFetch, proxyFor, EgressRefusedError } from '../../nodes/core/outbound';
import { startConnectProxy, type ConnectProxy } from '../rig/connect-proxy';

const url = (text: string) => new URL(text);

/** The environment's proxy variables, in every spelling proxy-from-env reads. */
const PROXY_VARIABLES = /^(npm_config_)?(https?|all|no)_proxy$|^npm_config_proxy$/i;

/** Sets exactly these proxy variables (proxy-from-env reads process.env only); returns the undo. */
function setProxyEnv(vars: Record<string, string>): () => void {
	const saved = Object.entries(process.env).filter(([name]) => PROXY_VARIABLES.test(name));
	const clear = () => {
		for (const name of Object.keys(process.env)) if (PROXY_VARIABLES.test(name)) delete process.env[name];
	};
	clear();
	Object.assign(process.env, vars);
	return () => {
		clear();
		Object.assign(process.env, Object.fromEntries(saved));
	};
}

function proxyWith(target: string, vars: Record<string, string>): string | undefined {
	const restore = setProxyEnv(vars);
	try {
		return proxyFor(url(target));
	} finally {
		restore();
	}
}

describe("proxy choice (n8n's rules: proxy-from-env 1.x)", () => {
	it('uses HTTPS_PROXY for https, HTTP_PROXY for http, ALL_PROXY as the fallback; lower case first', () => {
		const vars = { HTTPS_PROXY: 'http://proxy:3128', HTTP_PROXY: 'http://plain:8080' };
		expect(proxyWith('https://graph.microsoft.com/v1.0/me', vars)).toBe('http://proxy:3128');
		expect(proxyWith('http://example.com/', vars)).toBe('http://plain:8080');
		expect(proxyWith('https://x.test/', { ALL_PROXY: 'http://all:1' })).toBe('http://all:1');
		expect(proxyWith('https://x.test/', { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' })).toBe(
			'http://lower:1',
		);
		expect(proxyWith('https://x.test/', { HTTPS_PROXY: 'proxy:3128' })).toBe('https://proxy:3128');
		expect(proxyWith('https://x.test/', {})).toBeUndefined();
	});

	it('proxies loopback too, unless NO_PROXY names it (no built-in exception, as in n8n)', () => {
		const vars = { HTTPS_PROXY: 'http://proxy:3128' };
		expect(proxyWith('https://127.0.0.1:8443/x', vars)).toBe('http://proxy:3128');
		expect(proxyWith('https://localhost/x', vars)).toBe('http://proxy:3128');
		expect(proxyWith('https://127.0.0.1:8443/x', { ...vars, NO_PROXY: '127.0.0.1' })).toBeUndefined();
	});

	it('sends plain http to loopback directly, never in clear through a proxy (the token guard allows it there only)', () => {
		const vars = { HTTP_PROXY: 'http://proxy:3128', ALL_PROXY: 'http://proxy:3128' };
		for (const target of [
			'http://127.0.0.1:8080/me',
			'http://127.5.6.7/',
			'http://localhost:3000/',
			'http://[::1]:8080/',
		])
			expect(proxyWith(target, vars)).toBeUndefined();
		expect(proxyWith('http://api.contoso.test/', vars)).toBe('http://proxy:3128');
		expect(proxyWith('https://127.0.0.1:8443/', vars)).toBe('http://proxy:3128');
	});

	it('NO_PROXY: exact hosts, suffixes with "." or "*.", ports, "*"', () => {
		const withNoProxy = (noProxy: string, target: string) =>
			proxyWith(target, { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: noProxy });
		expect(withNoProxy('graph.microsoft.com', 'https://graph.microsoft.com/')).toBeUndefined();
		expect(withNoProxy('graph.microsoft.com', 'https://x.graph.microsoft.com/')).toBe('http://proxy:3128');
		expect(withNoProxy('.contoso.com', 'https://api.contoso.com/')).toBeUndefined();
		expect(withNoProxy('*.contoso.com', 'https://api.contoso.com/')).toBeUndefined();
		expect(withNoProxy('contoso.com:8443', 'https://contoso.com:8443/')).toBeUndefined();
		expect(withNoProxy('contoso.com:8443', 'https://contoso.com/')).toBe('http://proxy:3128');
		expect(withNoProxy('a.test, b.test', 'https://b.test/')).toBeUndefined();
		expect(withNoProxy('*', 'https://anything.test/')).toBeUndefined();
	});
});

describe("n8n's egress filter", () => {
	it('is ignored when n8n hands out its pass-through filter (SSRF protection off) or none (older n8n)', () => {
		const passthrough = { validateUrl: async () => ({ ok: true as const }), createSecureLookup: () => lookup };
		expect(egressFilterOf({ getSecureEgressFilter: () => passthrough })).toBeUndefined();
		expect(egressFilterOf({})).toBeUndefined();
		expect(egressFilterOf(undefined)).toBeUndefined();
	});

	it('refuses a URL it blocks before any connection is made', async () => {
		const blocking = {
			validateUrl: async () => ({ ok: false as const, error: new Error('IP 10.0.0.1 is blocked') }),
			createSecureLookup: () => () => undefined,
		};
		const filter = egressFilterOf({ getSecureEgressFilter: () => blocking });
		expect(filter).toBe(blocking);
		const error = await outboundFetch(url('https://10.0.0.1/x'), {}, filter).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(EgressRefusedError);
		expect((error as Error).message).toBe(
			"n8n's SSRF protection refused 10.0.0.1 (IP 10.0.0.1 is blocked). Nothing was sent. The N8N_SSRF_* settings of this n8n decide which hosts and addresses nodes may reach.",
		);
	});
});

describe('requests through a proxy or a filter', () => {
	it('a multipart body arrives whole (undici does not know the global FormData)', async () => {
		const { createServer } = await import('node:http');
		const server = createServer((req, res) => {
			let body = '';
			req.on('data', (chunk) => (body += chunk));
			req.on('end', () => res.end(JSON.stringify({ type: req.headers['content-type'], body })));
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		try {
			const allowAll = {
				validateUrl: async () => ({ ok: true as const }),
				createSecureLookup: () => (host: string, options: object, done: (...args: unknown[]) => void) =>
					lookup(host, options, done as never),
			};
			const form = new FormData();
			form.append('note', 'hello');
			form.append('file', new Blob([Buffer.from('xyz')]), 'f.bin');
			const port = (server.address() as { port: number }).port;
			const response = await outboundFetch(url(`http://127.0.0.1:${port}/`), { method: 'POST', body: form }, allowAll);
			const seen = (await response.json()) as { type: string; body: string };
			expect(seen.type).toMatch(/^multipart\/form-data; boundary=/);
			expect(seen.body).toContain('hello');
			expect(seen.body).toContain('filename="f.bin"');
		} finally {
			server.close();
		}
	});
});

describe("outboundFetch routes each request where proxy-from-env's answer sends it", () => {
	const NAME = 'api.contoso.test';
	let origin: import('node:http').Server;
	let proxy: ConnectProxy;
	let port: number;
	// Resolves every name to this machine, so a direct request to NAME reaches `origin` too.
	const toLoopback = {
		validateUrl: async () => ({ ok: true as const }),
		createSecureLookup: () => (_host: string, options: { all?: boolean }, done: (...args: unknown[]) => void) =>
			options.all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4),
	};

	beforeAll(async () => {
		const { createServer } = await import('node:http');
		// Every answer closes its connection, so each request opens a tunnel of its own when proxied.
		origin = createServer((_req, res) => res.writeHead(200, { connection: 'close' }).end('reached'));
		await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
		port = (origin.address() as { port: number }).port;
		proxy = await startConnectProxy({ routes: { [`${NAME}:${port}`]: `127.0.0.1:${port}` } });
	});
	afterAll(async () => {
		await proxy.close();
		await new Promise<void>((resolve) => origin.close(() => resolve()));
	});

	/** Where one request to NAME went with these proxy variables: through the proxy or direct. */
	async function route(vars: (proxyUrl: string) => Record<string, string>): Promise<'proxy' | 'direct'> {
		proxy.reset();
		const restore = setProxyEnv(vars(proxy.url));
		try {
			const response = await outboundFetch(url(`http://${NAME}:${port}/`), {}, toLoopback);
			expect(await response.text()).toBe('reached');
		} finally {
			restore();
		}
		const tunnels = proxy.tunnels()[`${NAME}:${port}`] ?? 0;
		expect(tunnels).toBeLessThanOrEqual(1);
		return tunnels === 1 ? 'proxy' : 'direct';
	}

	it('NO_PROXY with a port applies to that port only', async () => {
		expect(await route((p) => ({ HTTP_PROXY: p }))).toBe('proxy');
		expect(await route((p) => ({ HTTP_PROXY: p, NO_PROXY: `${NAME}:${port}` }))).toBe('direct');
		expect(await route((p) => ({ HTTP_PROXY: p, NO_PROXY: `${NAME}:${port + 1}` }))).toBe('proxy');
	});

	it('NO_PROXY suffixes ("*.", ".") and "*" send the request direct', async () => {
		expect(await route((p) => ({ HTTP_PROXY: p, NO_PROXY: '*.contoso.test' }))).toBe('direct');
		expect(await route((p) => ({ HTTP_PROXY: p, NO_PROXY: '.contoso.test' }))).toBe('direct');
		expect(await route((p) => ({ HTTP_PROXY: p, NO_PROXY: '*' }))).toBe('direct');
		expect(await route((p) => ({ HTTP_PROXY: p, NO_PROXY: 'other.test' }))).toBe('proxy');
	});

	it('lower-case names win over upper case, for the proxy and for NO_PROXY', async () => {
		// The upper-case proxy is a closed port: the request arrives only if the lower-case one is used.
		expect(await route((p) => ({ http_proxy: p, HTTP_PROXY: 'http://127.0.0.1:9' }))).toBe('proxy');
		expect(await route((p) => ({ HTTP_PROXY: p, no_proxy: 'other.test', NO_PROXY: NAME }))).toBe('proxy');
		expect(await route((p) => ({ HTTP_PROXY: p, no_proxy: NAME, NO_PROXY: 'other.test' }))).toBe('direct');
	});
});
