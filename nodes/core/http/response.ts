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

/** Reads a response body in the requested format. `auto` decides from Content-Type. */
export async function parseResponseBody(
	response: Response,
	format: ResponseFormat,
	field = 'Response Format',
): Promise<ParsedBody> {
	const contentType = response.headers.get('content-type') ?? '';
	if (format === 'binary') {
		const data = Buffer.from(await response.arrayBuffer());
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
	if (format === 'text') return { kind: 'text', value: await response.text() };
	if (format === 'json') {
		const text = await response.text();
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
		const text = await response.text();
		if (text.trim() === '') return { kind: 'empty' };
		try {
			return { kind: 'json', value: JSON.parse(text) };
		} catch {
			return { kind: 'text', value: text };
		}
	}
	if (TEXT_TYPE.test(contentType)) return { kind: 'text', value: await response.text() };
	const data = Buffer.from(await response.arrayBuffer());
	if (data.length === 0) return { kind: 'empty' };
	if (!contentType) {
		// No type given: JSON or text when it decodes as such, else bytes.
		const text = data.toString('utf8');
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
