import { InvalidInputError } from '../errors';

export type ResponseFormat = 'auto' | 'json' | 'text' | 'binary';

export type ParsedBody =
	| { kind: 'json'; value: unknown }
	| { kind: 'text'; value: string }
	| { kind: 'binary'; data: Buffer; mimeType: string; fileName?: string }
	| { kind: 'empty' };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b|^text\/json\b/i;
const TEXT_TYPE =
	/^text\/|^application\/(?:[\w.+-]+\+)?xml\b|^application\/(?:javascript|x-www-form-urlencoded|ecmascript)\b/i;

/** The largest response body read when the node does not say otherwise: 256 MB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** A response body was larger than allowed; reading stopped there. */
export class ResponseTooLargeError extends InvalidInputError {}

const MB = 1024 * 1024;

/**
 * The whole body, refusing more than `maxBytes`: a Content-Length above it is refused before
 * reading, and a body without one stops being read at the limit.
 */
export async function readCappedBody(
	response: Response,
	maxBytes: number,
	field = 'Max Response Size',
): Promise<Buffer> {
	const tooLarge = () =>
		new ResponseTooLargeError(
			`The response (HTTP ${response.status}) is larger than ${formatSize(maxBytes)}, the Max Response Size; it was not read.`,
			'Raise Max Response Size (MB) in the node options, or ask for less (e.g. $select, $top, a range).',
			field,
		);
	const declared = Number(response.headers.get('content-length') ?? Number.NaN);
	if (Number.isFinite(declared) && declared > maxBytes) {
		await response.body?.cancel().catch(() => undefined);
		throw tooLarge();
	}
	if (!response.body) return Buffer.alloc(0);
	const chunks: Uint8Array[] = [];
	let size = 0;
	const reader = response.body.getReader();
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > maxBytes) {
			await reader.cancel().catch(() => undefined);
			throw tooLarge();
		}
		chunks.push(value);
	}
	return chunks.length === 1
		? Buffer.from(chunks[0].buffer, chunks[0].byteOffset, chunks[0].byteLength)
		: Buffer.concat(chunks);
}

function formatSize(bytes: number): string {
	return bytes % MB === 0 ? `${bytes / MB} MB` : `${bytes} bytes`;
}

/** Text as fetch's Response.text() decodes it: UTF-8, a byte-order mark dropped. */
const decodeText = (data: Buffer): string => new TextDecoder().decode(data);

/** Reads a response body in the requested format. `auto` decides from Content-Type. */
export async function parseResponseBody(
	response: Response,
	format: ResponseFormat,
	field = 'Response Format',
	maxBytes = DEFAULT_MAX_RESPONSE_BYTES,
): Promise<ParsedBody> {
	const contentType = response.headers.get('content-type') ?? '';
	const read = () => readCappedBody(response, maxBytes);
	if (format === 'binary') {
		const data = await read();
		return {
			kind: 'binary',
			data,
			mimeType: contentType.split(';')[0].trim() || 'application/octet-stream',
			fileName: fileNameOf(response),
		};
	}
	if (response.status === 204 || response.status === 205 || response.status === 304) {
		await response.body?.cancel().catch(() => undefined);
		return { kind: 'empty' };
	}
	if (format === 'text') return { kind: 'text', value: decodeText(await read()) };
	if (format === 'json') {
		const text = decodeText(await read());
		if (text.trim() === '') return { kind: 'empty' };
		try {
			return { kind: 'json', value: JSON.parse(text) };
		} catch {
			throw new InvalidInputError(
				`The response (HTTP ${response.status}, ${contentType || 'no Content-Type'}) is not JSON: ${text.slice(0, 120).replace(/\s+/g, ' ')}`,
				'Set Response Format to Autodetect or Text.',
				field,
			);
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
