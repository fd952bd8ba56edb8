/**
 * A small HTTP CONNECT proxy on loopback for tests: it opens tunnels (HTTPS through a proxy)
 * and counts them by target "host:port". Bounded: at most `maxTunnels` open at once, idle
 * sockets closed after `idleMs`; plain-HTTP proxy requests are counted and refused (502). It also
 * counts bearer tokens it could read: in a plain-HTTP proxy request's headers, or in clear text
 * inside a tunnel (an http target; TLS hides them).
 * `routes` sends a tunnel for one "host:port" to another, as DNS would: the rig serves
 * login.microsoftonline.com this way (`routesToRig`), and its Azure OpenAI resource as
 * rig.openai.azure.com (`routesToAzureOpenAI`), with a certificate for both names.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ConnectProxy {
	url: string;
	port: number;
	/** Tunnels opened so far, by target host:port. */
	tunnels(): Record<string, number>;
	/** Requests whose bearer token the proxy could read (plain requests and clear-text tunnels). */
	bearersSeen(): number;
	reset(): void;
	close(): Promise<void>;
}

export interface ConnectProxyOptions {
	maxTunnels?: number;
	idleMs?: number;
	/** Requested "host:port" → the "host:port" the tunnel really connects to. */
	routes?: Record<string, string>;
}

/** The route that makes "login.microsoftonline.com:443" the rig's identity provider. */
export function routesToRig(rig: { microsoftCloud: { host: string; target: string } }): Record<string, string> {
	return { [`${rig.microsoftCloud.host}:443`]: rig.microsoftCloud.target };
}

/** The route that makes "rig.openai.azure.com:443" the rig's Azure OpenAI emulator. */
export function routesToAzureOpenAI(rig: {
	azureOpenAI: { microsoftHost: { host: string; target: string } };
}): Record<string, string> {
	const { host, target } = rig.azureOpenAI.microsoftHost;
	return { [`${host}:443`]: target };
}

export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
	const maxTunnels = options.maxTunnels ?? 64;
	const idleMs = options.idleMs ?? 30_000;
	const counts = new Map<string, number>();
	const open = new Set<Socket>();
	let active = 0;
	let bearers = 0;
	const BEARER = /authorization:\s*bearer\s/gi;

	const track = (socket: Socket) => {
		open.add(socket);
		socket.setTimeout(idleMs, () => socket.destroy());
		socket.once('close', () => open.delete(socket));
	};

	const server: Server = createServer((req, res) => {
		counts.set(`http ${req.url}`, (counts.get(`http ${req.url}`) ?? 0) + 1);
		if (/^bearer\s/i.test(String(req.headers.authorization ?? ''))) bearers++;
		res.writeHead(502, { 'content-type': 'text/plain' });
		res.end('this test proxy only tunnels (CONNECT)');
	});
	server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
		const target = String(req.url ?? '');
		counts.set(target, (counts.get(target) ?? 0) + 1);
		track(client);
		const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(options.routes?.[target.toLowerCase()] ?? target);
		if (!match || active >= maxTunnels) {
			client.end(`HTTP/1.1 ${match ? 503 : 400} Refused\r\n\r\n`);
			return;
		}
		active++;
		const upstream = connect(Number(match[2]), match[1].replace(/^\[|\]$/g, ''), () => {
			client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
			bearers += head.toString('latin1').match(BEARER)?.length ?? 0;
			if (head.length > 0) upstream.write(head);
			upstream.pipe(client);
			client.pipe(upstream);
			client.on('data', (chunk: Buffer) => (bearers += chunk.toString('latin1').match(BEARER)?.length ?? 0));
		});
		track(upstream);
		let closed = false;
		const done = () => {
			if (closed) return;
			closed = true;
			active--;
			client.destroy();
			upstream.destroy();
		};
		upstream.on('error', done).on('close', done);
		client.on('error', done).on('close', done);
	});
	server.on('clientError', (_error, socket) => socket.destroy());
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		tunnels: () => Object.fromEntries(counts),
		bearersSeen: () => bearers,
		reset: () => {
			counts.clear();
			bearers = 0;
		},
		close: async () => {
			for (const socket of open) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
