// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, allowed for self-hosted n8n
import { Readable } from 'node:stream';
import { InvalidInputError } from '../errors';
import { quote } from '../quote';
import { jsonErrorPosition, lineAndColumn } from './jsonErrorPosition';

export type ResponseFormat = 'auto' | 'json' | 'text' | 'binary';

export type ParsedBody =
	| { kind: 'json'; value: unknown }
	| { kind: 'text'; value: string }
	/** `data` is a stream when the caller asked for binary bodies as streams (see parseResponseBody). */
	| { kind: 'binary'; data: Buffer | Readable; mimeType: string; fileName?: string }
	| { kind: 'empty' };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b|^text\/json\b/i;
const TEXT_TYPE =
	/^text\/|^application\/(?:[\w.+-]+\+)?xml\b|^application\/(?:javascript|x-www-form-urlencoded|ecmascript)\b/i;

/**
 * The largest response body read when the node does not say otherwise: 64 MB. A body is held in
 * memory while it is parsed, and JSON or text several times over (bytes, string, values), so a
 * larger answer has to be asked for.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** A response body was larger than allowed; reading stopped there. */
export class ResponseTooLargeError extends InvalidInputError {}

const MB = 1024 * 1024;

function tooLarge(status: number, maxBytes: number, field: string): ResponseTooLargeError {
	return new ResponseTooLargeError(
		`The response (HTTP ${status}) is larger than ${formatSize(maxBytes)}, the Max Response Size; it was not read.`,
		'Raise Max Response Size (MB) in the node options, or ask for less (e.g. $select, $top, a range).',
		field,
	);
}

/** The Content-Length the server declared, when it is a plain number. */
function declaredLength(response: Response): number | undefined {
	const header = response.headers.get('content-length');
	if (header === null || !/^\s*\d+\s*$/.test(header)) return undefined;
	return Number(header);
}

/**
 * The whole body, refusing more than `maxBytes`: a Content-Length above it is refused before
 * reading, and a body without one stops being read at the limit.
 */
export async function readCappedBody(
	response: Response,
	maxBytes: number,
	field = 'Max Response Size',
): Promise<Buffer> {
	const declared = declaredLength(response);
	if (declared !== undefined && declared > maxBytes) {
		await response.body?.cancel().catch(() => undefined);
		throw tooLarge(response.status, maxBytes, field);
	}
	if (!response.body) return Buffer.alloc(0);
	const reader = response.body.getReader();
	const chunks: AsyncIterable<Uint8Array> = {
		[Symbol.asyncIterator]: () => ({
			next: async () => {
				const { done, value } = await reader.read();
				return done ? { done: true, value: undefined } : { done: false, value };
			},
			return: async () => {
				await reader.cancel().catch(() => undefined);
				return { done: true, value: undefined };
			},
		}),
	};
	return await assembleBody(chunks, declared, maxBytes, () => tooLarge(response.status, maxBytes, field));
}

/**
 * Joins a body's chunks with one copy of each byte: into one buffer of the declared length when
 * the server gave one (a body never exists twice in full), else by one concatenation at the end.
 * Stops reading (and releases the source) as soon as more than `maxBytes` arrived.
 */
export async function assembleBody(
	chunks: AsyncIterable<Uint8Array>,
	declaredLength: number | undefined,
	maxBytes: number,
	tooLargeError: () => Error,
): Promise<Buffer> {
	let target = declaredLength ? Buffer.allocUnsafe(declaredLength) : undefined;
	let list: Uint8Array[] = [];
	let size = 0;
	for await (const chunk of chunks) {
		size += chunk.byteLength;
		if (size > maxBytes) throw tooLargeError();
		if (target && size <= target.length) {
			target.set(chunk, size - chunk.byteLength);
			continue;
		}
		if (target) {
			// More than the server declared: keep what arrived, as chunks.
			list = [target.subarray(0, size - chunk.byteLength)];
			target = undefined;
		}
		list.push(chunk);
	}
	if (target) return size === target.length ? target : target.subarray(0, size);
	if (list.length === 0) return Buffer.alloc(0);
	if (list.length === 1) return Buffer.from(list[0].buffer, list[0].byteOffset, list[0].byteLength);
	return Buffer.concat(list, size);
}

/**
 * The body as a stream, for n8n to store as binary data without holding it whole: it fails with
 * the Max Response Size error once more than `maxBytes` arrived, and with `readFailure(error)`
 * when reading fails (a timeout).
 */
export function cappedBodyStream(
	response: Response,
	maxBytes: number,
	readFailure: (error: unknown) => unknown,
	field = 'Max Response Size',
): Readable {
	const body = response.body;
	let size = 0;
	async function* chunks(): AsyncGenerator<Buffer> {
		if (!body) return;
		const reader = body.getReader();
		try {
			for (;;) {
				let next: Awaited<ReturnType<typeof reader.read>>;
				try {
					next = await reader.read();
				} catch (error) {
					throw readFailure(error);
				}
				if (next.done) return;
				size += next.value.byteLength;
				if (size > maxBytes) throw tooLarge(response.status, maxBytes, field);
				yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
			}
		} finally {
			await reader.cancel().catch(() => undefined);
		}
	}
	return Readable.from(chunks(), { objectMode: false });
}

/**
 * A body that did not parse, described by status, content type, size and where parsing failed:
 * the body itself is not quoted (it could repeat the request, token included).
 */
function notJson(status: number, contentType: string, text: string, bytes: number, field: string): InvalidInputError {
	const position = jsonErrorPosition(text);
	const where =
		position === undefined
			? ''
			: (({ line, column }) => ` at position ${position} (line ${line}, column ${column})`)(
					lineAndColumn(text, position),
				);
	const type = contentType ? `Content-Type ${quote(contentType)}` : 'no Content-Type';
	return new InvalidInputError(
		`The response (HTTP ${status}, ${type}, ${bytes.toLocaleString('en-US')} bytes) is not JSON: parsing failed${where}. Its content is not shown.`,
		'Set Response Format to Autodetect or Text to see what the API answered.',
		field,
	);
}

function formatSize(bytes: number): string {
	return bytes % MB === 0 ? `${bytes / MB} MB` : `${bytes} bytes`;
}

/** Text as fetch's Response.text() decodes it: UTF-8, a byte-order mark dropped. */
const decodeText = (data: Buffer): string => new TextDecoder().decode(data);

/**
 * Reads a response body in the requested format. `auto` decides from Content-Type. With
 * `streamBinary`, a binary body (Response Format Binary, or a binary Content-Type) comes back as a
 * stream that enforces `maxBytes` while it is consumed, and `streamBinary(error)` is what a failed
 * read (a timeout) becomes; without it the body is read whole.
 */
export async function parseResponseBody(
	response: Response,
	format: ResponseFormat,
	field = 'Response Format',
	maxBytes = DEFAULT_MAX_RESPONSE_BYTES,
	streamBinary?: (error: unknown) => unknown,
): Promise<ParsedBody> {
	const contentType = response.headers.get('content-type') ?? '';
	const read = () => readCappedBody(response, maxBytes);
	const binary = async (): Promise<ParsedBody> => {
		let data: Buffer | Readable;
		if (streamBinary) {
			const declared = declaredLength(response);
			if (declared !== undefined && declared > maxBytes) {
				await response.body?.cancel().catch(() => undefined);
				throw tooLarge(response.status, maxBytes, 'Max Response Size');
			}
			data = cappedBodyStream(response, maxBytes, streamBinary);
		} else {
			data = await read();
		}
		return {
			kind: 'binary',
			data,
			mimeType: contentType.split(';')[0].trim() || 'application/octet-stream',
			fileName: fileNameOf(response),
		};
	};
	if (format === 'binary') return await binary();
	if (response.status === 204 || response.status === 205 || response.status === 304) {
		await response.body?.cancel().catch(() => undefined);
		return { kind: 'empty' };
	}
	if (format === 'text') return { kind: 'text', value: decodeText(await read()) };
	if (format === 'json') {
		const data = await read();
		const text = decodeText(data);
		if (text.trim() === '') return { kind: 'empty' };
		try {
			return { kind: 'json', value: JSON.parse(text) };
		} catch {
			throw notJson(response.status, contentType, text, data.length, field);
		}
	}
	// auto
	if (JSON_TYPE.test(contentType)) {
		const text = decodeText(await read());
		if (text.trim() === '') return { kind: 'empty' };
		try {
			return { kind: 'json', value: JSON.parse(text) };
		} catch {
			return { kind: 'text', value: text };
		}
	}
	if (TEXT_TYPE.test(contentType)) return { kind: 'text', value: decodeText(await read()) };
	if (contentType && streamBinary) {
		if (declaredLength(response) === 0) {
			await response.body?.cancel().catch(() => undefined);
			return { kind: 'empty' };
		}
		return await binary();
	}
	const data = await read();
	if (data.length === 0) return { kind: 'empty' };
	if (!contentType) {
		// No type given: JSON or text when it decodes as such, else bytes.
		const text = data.toString('utf8');
		// eslint-disable-next-line no-control-regex -- control characters are what this removes
		if (!text.includes('\uFFFD') && !/[\x00-\x08\x0e-\x1f]/.test(text)) {
			try {
				return { kind: 'json', value: JSON.parse(text) };
			} catch {
				return { kind: 'text', value: text };
			}
		}
	}
	return {
		kind: 'binary',
		data,
		mimeType: contentType.split(';')[0].trim() || 'application/octet-stream',
		fileName: fileNameOf(response),
	};
}

/** File name from Content-Disposition (filename* in RFC 5987 form first), else the URL's last segment. */
export function fileNameOf(response: Pick<Response, 'headers' | 'url'>): string | undefined {
	const disposition = response.headers.get('content-disposition') ?? '';
	const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(disposition);
	if (extended) {
		try {
			return decodeURIComponent(extended[2].trim().replace(/^"|"$/g, ''));
		} catch {
			// fall through to the plain form
		}
	}
	const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(disposition);
	if (plain) return (plain[1] ?? plain[2]).replace(/\\(.)/g, '$1').trim();
	try {
		const segment = new URL(response.url).pathname.split('/').filter(Boolean).pop();
		return segment ? decodeURIComponent(segment) : undefined;
	} catch {
		return undefined;
	}
}
