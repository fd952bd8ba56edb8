import { describe, expect, it } from '@jest/globals';
import { fileNameOf, parseResponseBody } from '../../../nodes/core/http/response';

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
});
