import { describe, expect, it, jest } from '@jest/globals';
import { jsonErrorPosition, lineAndColumn } from '../../../nodes/core/http/jsonErrorPosition';
import {
	assembleBody,
	cappedBodyStream,
	fileNameOf,
	parseResponseBody,
	readCappedBody,
	ResponseTooLargeError,
} from '../../../nodes/core/http/response';

const response = (
	body: ConstructorParameters<typeof Response>[0],
	headers: Record<string, string> = {},
	status = 200,
) => new Response(body, { status, headers });

describe('response parsing', () => {
	it('auto-detects JSON, text and binary from Content-Type', async () => {
		expect(
			await parseResponseBody(
				response('{"a":1}', { 'content-type': 'application/json; odata.metadata=minimal' }),
				'auto',
			),
		).toEqual({ kind: 'json', value: { a: 1 } });
		expect(await parseResponseBody(response('<x/>', { 'content-type': 'application/atom+xml' }), 'auto')).toEqual({
			kind: 'text',
			value: '<x/>',
		});
		expect(await parseResponseBody(response('hi', { 'content-type': 'text/plain' }), 'auto')).toEqual({
			kind: 'text',
			value: 'hi',
		});
		const bin = await parseResponseBody(response(new Uint8Array([1, 2, 3]), { 'content-type': 'image/png' }), 'auto');
		expect(bin).toMatchObject({ kind: 'binary', mimeType: 'image/png', data: Buffer.from([1, 2, 3]) });
	});

	it('treats 204 and empty bodies as empty', async () => {
		expect(await parseResponseBody(response(null, {}, 204), 'auto')).toEqual({ kind: 'empty' });
		expect(await parseResponseBody(response('', { 'content-type': 'application/json' }), 'json')).toEqual({
			kind: 'empty',
		});
	});

	it('reads an untyped body as JSON, text, or bytes', async () => {
		expect(await parseResponseBody(response(Buffer.from('{"a":1}')), 'auto')).toEqual({
			kind: 'json',
			value: { a: 1 },
		});
		expect(await parseResponseBody(response(Buffer.from('plain')), 'auto')).toEqual({ kind: 'text', value: 'plain' });
		expect((await parseResponseBody(response(new Uint8Array([0, 159, 146, 150])), 'auto')).kind).toBe('binary');
	});

	it('obeys a forced format', async () => {
		expect(await parseResponseBody(response('{"a":1}', { 'content-type': 'application/json' }), 'text')).toEqual({
			kind: 'text',
			value: '{"a":1}',
		});
		expect(
			await parseResponseBody(response('{"a":1}', { 'content-type': 'application/json' }), 'binary'),
		).toMatchObject({ kind: 'binary', mimeType: 'application/json' });
		await expect(parseResponseBody(response('nope', { 'content-type': 'text/plain' }), 'json')).rejects.toMatchObject({
			field: 'Response Format',
		});
	});

	it('takes the file name from Content-Disposition, else the URL', () => {
		const named = (disposition: string) =>
			fileNameOf({ headers: new Headers({ 'content-disposition': disposition }), url: 'https://x/a/b.pdf' });
		expect(named('attachment; filename="report 1.pdf"')).toBe('report 1.pdf');
		expect(named('attachment; filename="fallback.txt"; filename*=UTF-8\'\'r%C3%A9sum%C3%A9.txt')).toBe('résumé.txt');
		expect(named('attachment; filename=plain.csv')).toBe('plain.csv');
		expect(named('attachment')).toBe('b.pdf');
	});

	it('describes a body that is not JSON by status, content type, size and parse position, never quoting it', async () => {
		const reflected = '<html>Bad request: Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.secret-part.sig</html>';
		const error = (await parseResponseBody(
			response(reflected, { 'content-type': 'text/html; charset=utf-8' }, 200),
			'json',
		).catch((e: unknown) => e)) as Error & { field?: string };
		expect(error.message).toBe(
			'The response (HTTP 200, Content-Type "text/html; charset=utf-8", 84 bytes) is not JSON: parsing failed at position 0 (line 1, column 1). Its content is not shown.',
		);
		expect(error.message).not.toMatch(/Bearer|eyJ|html>|Bad request/);
		expect(error.field).toBe('Response Format');
		const late = (await parseResponseBody(response(Buffer.from('{"a": 1,\n "b": tru}')), 'json').catch(
			(e: unknown) => e,
		)) as Error;
		expect(late.message).toContain('no Content-Type');
		expect(late.message).toContain('at position 15 (line 2, column 7)');
		expect(late.message).not.toContain('tru');
	});

	it('finds where a text stops being JSON', () => {
		for (const valid of ['{"a":[1,2.5e3,-0,true,false,null,"x\\u00e9\\n"]}', ' [] ', '"s"', '0', '{"a":{}}']) {
			expect(() => JSON.parse(valid)).not.toThrow();
			expect(jsonErrorPosition(valid)).toBeUndefined();
		}
		const cases: Array<[string, number]> = [
			['<html>', 0],
			['', 0],
			['{"a":1,}', 7],
			['{"a":1', 6],
			['[1,2] x', 6],
			['{"a": tru}', 6],
			['"abc', 4],
			['{"a" 1}', 5],
			['["\\x"]', 3],
			['[01]', 2],
			['['.repeat(100_000), 100_000],
		];
		for (const [text, position] of cases) {
			expect(() => JSON.parse(text)).toThrow();
			expect(jsonErrorPosition(text)).toBe(position);
		}
		expect(lineAndColumn('ab\ncd\nef', 7)).toEqual({ line: 3, column: 2 });
	});
});

/** Chunks as a body stream yields them; counts how many were pulled and whether the source was released. */
function source(chunkSize: number, count: number) {
	const state = { pulled: 0, released: false };
	const chunks: AsyncIterable<Uint8Array> = {
		[Symbol.asyncIterator]: () => ({
			next: async () => {
				if (state.pulled >= count) return { done: true, value: undefined };
				state.pulled++;
				return { done: false, value: new Uint8Array(chunkSize).fill(state.pulled % 251) };
			},
			return: async () => {
				state.released = true;
				return { done: true, value: undefined };
			},
		}),
	};
	return { chunks, state };
}

describe('response body assembly', () => {
	const tooLarge = () => new ResponseTooLargeError('too large', 'fix');
	const MB = 1024 * 1024;

	it('with a Content-Length: one buffer of that length, filled in place, no concatenation', async () => {
		const { chunks } = source(64 * 1024, 16);
		const concat = jest.spyOn(Buffer, 'concat');
		try {
			const body = await assembleBody(chunks, MB, 2 * MB, tooLarge);
			expect(body.length).toBe(MB);
			// The buffer allocated for the declared length is the result: nothing was copied twice.
			expect(body.byteOffset).toBe(0);
			expect(body.buffer.byteLength).toBe(MB);
			expect(concat).not.toHaveBeenCalled();
			expect(body[0]).toBe(1);
			expect(body[MB - 1]).toBe(16);
		} finally {
			concat.mockRestore();
		}
	});

	it('reads a response with a Content-Length into one buffer of that length', async () => {
		let sent = 0;
		const body = new ReadableStream<Uint8Array>({
			pull: (controller) => {
				if (sent === 16) return controller.close();
				sent++;
				controller.enqueue(new Uint8Array(64 * 1024).fill(sent));
			},
		});
		const concat = jest.spyOn(Buffer, 'concat');
		try {
			const data = await readCappedBody(new Response(body, { headers: { 'content-length': String(MB) } }), 2 * MB);
			expect(data.length).toBe(MB);
			expect(data.buffer.byteLength).toBe(MB);
			expect(concat).not.toHaveBeenCalled();
		} finally {
			concat.mockRestore();
		}
	});

	it('without a Content-Length: one concatenation at the end', async () => {
		const { chunks } = source(64 * 1024, 16);
		const concat = jest.spyOn(Buffer, 'concat');
		try {
			const body = await assembleBody(chunks, undefined, 2 * MB, tooLarge);
			expect(body.length).toBe(MB);
			expect(concat).toHaveBeenCalledTimes(1);
		} finally {
			concat.mockRestore();
		}
	});

	it('more than declared, or a shorter body: what arrived', async () => {
		expect((await assembleBody(source(10, 5).chunks, 30, 100, tooLarge)).length).toBe(50);
		expect((await assembleBody(source(10, 2).chunks, 30, 100, tooLarge)).length).toBe(20);
	});

	it('refuses a body over the cap as soon as it passes it, without reading the rest, and releases the source', async () => {
		const { chunks, state } = source(64 * 1024, 10_000);
		await expect(assembleBody(chunks, undefined, MB, tooLarge)).rejects.toBeInstanceOf(ResponseTooLargeError);
		expect(state.pulled).toBe(17);
		expect(state.released).toBe(true);
	});

	it('a binary body as a stream: capped while n8n consumes it, the read stopped there', async () => {
		let pulled = 0;
		const endless = new ReadableStream<Uint8Array>({
			pull: (controller) => {
				pulled++;
				controller.enqueue(new Uint8Array(64 * 1024));
			},
		});
		const stream = cappedBodyStream(new Response(endless), MB, (error) => error);
		const consumed = (async () => {
			let size = 0;
			for await (const chunk of stream) size += (chunk as Buffer).length;
			return size;
		})();
		await expect(consumed).rejects.toBeInstanceOf(ResponseTooLargeError);
		expect(pulled).toBeLessThan(20);
		const fits = cappedBodyStream(new Response(new Uint8Array(MB).fill(7)), MB, (error) => error);
		const parts: Buffer[] = [];
		for await (const chunk of fits) parts.push(chunk as Buffer);
		expect(Buffer.concat(parts).length).toBe(MB);
	});

	it('streams a binary answer when asked, refuses a declared oversize before reading, an empty one is empty', async () => {
		const streamed = await parseResponseBody(
			response(new Uint8Array([1, 2, 3]), { 'content-type': 'application/pdf' }),
			'auto',
			undefined,
			MB,
			(error) => error,
		);
		expect(streamed).toMatchObject({ kind: 'binary', mimeType: 'application/pdf' });
		expect((streamed as { data: unknown }).data).not.toBeInstanceOf(Buffer);
		await expect(
			parseResponseBody(
				response(new Uint8Array(10), { 'content-type': 'application/pdf', 'content-length': String(2 * MB) }),
				'binary',
				undefined,
				MB,
				(error) => error,
			),
		).rejects.toBeInstanceOf(ResponseTooLargeError);
		expect(
			await parseResponseBody(
				response(null, { 'content-type': 'application/pdf', 'content-length': '0' }),
				'auto',
				undefined,
				MB,
				(error) => error,
			),
		).toEqual({ kind: 'empty' });
	});
});
