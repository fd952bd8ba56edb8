/**
 * A minimal RESP2 client on node:net / node:tls, for the cross-process renewal lease in queue
 * mode (n8n's own Redis). Why not an npm client: the package adds no dependencies, and the
 * lease needs only AUTH, SELECT, SET NX PX, GET and a compare-and-delete (EVAL).
 * Commands are pipelined in order on one socket; replies are matched first-in, first-out.
 */
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- n8n's own Redis in queue mode; the package adds no npm client (self-hosted only, README: n8n Cloud)
import * as net from 'node:net';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- n8n's own Redis in queue mode; the package adds no npm client (self-hosted only, README: n8n Cloud)
import * as tls from 'node:tls';

export type RespValue = string | number | null | RespValue[];

export interface RedisConnectionOptions {
	host: string;
	port: number;
	username?: string;
	password?: string;
	db?: number;
	tls?: boolean;
	/** As n8n's QUEUE_BULL_REDIS_TLS_SERVERNAME (default: the host). */
	tlsServerName?: string;
	/** As n8n's QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE (default: true). */
	tlsRejectUnauthorized?: boolean;
	connectTimeoutMs?: number;
}

export class RedisReplyError extends Error {}

interface Pending {
	resolve: (value: RespValue) => void;
	reject: (error: Error) => void;
}

/** Parses one reply from buffer at offset; returns undefined when the reply is incomplete. */
function parseReply(buf: Buffer, offset: number): { value: RespValue | Error; next: number } | undefined {
	const lineEnd = buf.indexOf('\r\n', offset);
	if (lineEnd < 0) return undefined;
	const type = String.fromCharCode(buf[offset]);
	const line = buf.toString('utf8', offset + 1, lineEnd);
	const after = lineEnd + 2;
	switch (type) {
		case '+':
			return { value: line, next: after };
		case '-':
			return { value: new RedisReplyError(line), next: after };
		case ':':
			return { value: Number(line), next: after };
		case '$': {
			const length = Number(line);
			if (length < 0) return { value: null, next: after };
			if (buf.length < after + length + 2) return undefined;
			return { value: buf.toString('utf8', after, after + length), next: after + length + 2 };
		}
		case '*': {
			const count = Number(line);
			if (count < 0) return { value: null, next: after };
			const items: RespValue[] = [];
			let cursor = after;
			for (let i = 0; i < count; i++) {
				const item = parseReply(buf, cursor);
				if (!item) return undefined;
				if (item.value instanceof Error) return { value: item.value, next: item.next };
				items.push(item.value);
				cursor = item.next;
			}
			return { value: items, next: cursor };
		}
		default:
			return { value: new RedisReplyError('Unexpected reply from Redis'), next: buf.length };
	}
}

function encodeCommand(args: Array<string | number>): Buffer {
	const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
	for (const arg of args) {
		const data = Buffer.from(String(arg), 'utf8');
		parts.push(Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n'));
	}
	return Buffer.concat(parts);
}

export class RedisClient {
	private buffer: Buffer = Buffer.alloc(0);
	private readonly pending: Pending[] = [];
	private closedError: Error | undefined;
	private readonly closeListeners: Array<() => void> = [];

	private constructor(private readonly socket: net.Socket) {
		socket.on('data', (chunk: Buffer) => this.onData(chunk));
		const fail = (error: Error) => {
			if (!this.closedError) for (const listener of this.closeListeners.splice(0)) listener();
			this.closedError = error;
			for (const p of this.pending.splice(0)) p.reject(error);
		};
		socket.on('error', (error) => fail(new Error(`Redis connection failed: ${error.message}`)));
		socket.on('close', () => fail(new Error('Redis connection closed')));
	}

	static async connect(options: RedisConnectionOptions): Promise<RedisClient> {
		const timeout = options.connectTimeoutMs ?? 5000;
		const socket = await new Promise<net.Socket>((resolve, reject) => {
			const s = options.tls
				? tls.connect({
						host: options.host,
						port: options.port,
						servername: options.tlsServerName ?? options.host,
						rejectUnauthorized: options.tlsRejectUnauthorized ?? true,
					})
				: net.connect({ host: options.host, port: options.port });
			// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the core is free of n8n-workflow; this is the connect timeout
			const timer = setTimeout(() => {
				s.destroy();
				reject(new Error(`Redis at ${options.host}:${options.port} did not answer within ${timeout} ms`));
			}, timeout);
			s.once(options.tls ? 'secureConnect' : 'connect', () => {
				// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- pairs with the connect timeout
				clearTimeout(timer);
				resolve(s);
			});
			s.once('error', (error) => {
				// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- pairs with the connect timeout
				clearTimeout(timer);
				reject(new Error(`Redis at ${options.host}:${options.port} unreachable: ${error.message}`));
			});
		});
		socket.setNoDelay(true);
		// The connection must never keep an n8n process from exiting.
		socket.unref();
		const client = new RedisClient(socket);
		if (options.password) {
			await client.command(
				options.username ? ['AUTH', options.username, options.password] : ['AUTH', options.password],
			);
		}
		if (options.db) await client.command(['SELECT', options.db]);
		return client;
	}

	command(args: Array<string | number>): Promise<RespValue> {
		if (this.closedError) return Promise.reject(this.closedError);
		return new Promise((resolve, reject) => {
			this.pending.push({ resolve, reject });
			this.socket.write(encodeCommand(args));
		});
	}

	/** Called once when the connection fails or closes, so the owner can connect anew. */
	onClose(listener: () => void): void {
		if (this.closedError) listener();
		else this.closeListeners.push(listener);
	}

	close(): void {
		this.socket.destroy();
	}

	private onData(chunk: Buffer): void {
		this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
		let offset = 0;
		for (;;) {
			if (offset >= this.buffer.length) break;
			const reply = parseReply(this.buffer, offset);
			if (!reply) break;
			offset = reply.next;
			const waiter = this.pending.shift();
			if (!waiter) continue;
			if (reply.value instanceof Error) waiter.reject(reply.value);
			else waiter.resolve(reply.value);
		}
		this.buffer = this.buffer.subarray(offset);
	}
}
