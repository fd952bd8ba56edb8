import { describe, expect, it } from '@jest/globals';
import { buildBody } from '../../../nodes/core/http/body';
import { InvalidInputError } from '../../../nodes/core/errors';
import { buildHeaders } from '../../../nodes/core/http/headers';

/** What fetch would put on the wire for a body. */
async function wire(body: ReturnType<typeof buildBody>): Promise<{ text: string; type: string | null }> {
	const request = new Request('https://x.test/', {
		method: 'POST',
		body: body.body as RequestInit['body'],
		headers: body.contentType ? { 'content-type': body.contentType } : {},
	});
	return { text: await request.text(), type: request.headers.get('content-type') };
}

describe('request bodies', () => {
	it('sends JSON text as typed, after checking it', async () => {
		const built = buildBody({ type: 'json', value: ' {"displayName": "X"} ' });
		expect(await wire(built)).toEqual({ text: '{"displayName": "X"}', type: 'application/json' });
	});

	it('serializes a JSON value an expression returned', async () => {
		expect((await wire(buildBody({ type: 'json', value: { a: [1, 2] } }))).text).toBe('{"a":[1,2]}');
	});

	it('refuses invalid or empty JSON, naming the field', () => {
		for (const value of ['{"a": 1,}', "{'a': 1}", '   ']) {
			let caught: unknown;
			try {
				buildBody({ type: 'json', value }, 'JSON Body');
			} catch (error) {
				caught = error;
			}
			expect(caught).toBeInstanceOf(InvalidInputError);
			expect((caught as InvalidInputError).field).toBe('JSON Body');
		}
	});

	it('encodes form fields', async () => {
		const built = buildBody({
			type: 'form',
			fields: [
				{ name: 'a', value: 'x y&z' },
				{ name: 'a', value: '2' },
			],
		});
		expect(await wire(built)).toEqual({ text: 'a=x+y%26z&a=2', type: 'application/x-www-form-urlencoded' });
		expect(() => buildBody({ type: 'form', fields: [{ name: '', value: '1' }] }, 'Form Fields')).toThrow(
			expect.objectContaining({ field: 'Form Fields' }),
		);
	});

	it('builds multipart forms with text and file parts, leaving the boundary to fetch', async () => {
		const built = buildBody({
			type: 'multipart',
			parts: [
				{ name: 'note', value: 'hello' },
				{ name: 'file', data: Buffer.from([0, 1, 2, 255]), fileName: 'a.bin', mimeType: 'application/x-test' },
			],
		});
		expect(built.contentType).toBeUndefined();
		expect(built.contentTypeFixed).toBe(true);
		const request = new Request('https://x.test/', { method: 'POST', body: built.body as RequestInit['body'] });
		expect(request.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
		const form = await request.formData();
		expect(form.get('note')).toBe('hello');
		const file = form.get('file') as File;
		expect(file.name).toBe('a.bin');
		expect(file.type).toBe('application/x-test');
		expect(Buffer.from(await file.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
	});

	it('sends raw text with its content type, and bytes unchanged', async () => {
		expect(await wire(buildBody({ type: 'text', text: '<a/>', contentType: 'application/xml' }))).toEqual({
			text: '<a/>',
			type: 'application/xml',
		});
		const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
		const built = buildBody({ type: 'binary', data: bytes });
		expect(built.contentType).toBe('application/octet-stream');
		const request = new Request('https://x.test/', { method: 'POST', body: built.body as RequestInit['body'] });
		expect(Buffer.from(await request.arrayBuffer())).toEqual(bytes);
	});
});

describe('request headers', () => {
	it('lower-cases names and joins repeated ones', () => {
		expect(
			buildHeaders([
				{ name: 'ConsistencyLevel', value: 'eventual' },
				{ name: 'Prefer', value: 'a' },
				{ name: 'prefer', value: 'b' },
			]),
		).toEqual({
			consistencylevel: 'eventual',
			prefer: 'a, b',
		});
	});

	it('refuses bad names, multi-line values and an Authorization header, naming the field', () => {
		for (const header of [
			{ name: 'Bad Name', value: 'x' },
			{ name: 'X-Colon:', value: 'x' },
			{ name: '', value: 'x' },
			{ name: 'X-Injected', value: 'a\r\nAuthorization: Bearer x' },
			{ name: 'Authorization', value: 'Bearer abc' },
		]) {
			expect(() => buildHeaders([header])).toThrow(expect.objectContaining({ field: 'Headers' }));
		}
	});
});

describe('an invalid JSON body', () => {
	it('is described by where parsing failed, never quoted (it may hold secrets from expressions)', () => {
		let message = '';
		try {
			buildBody({ type: 'json', value: '{"password": hunter2}' });
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toBe('The JSON body is not valid JSON: parsing failed at position 13 (line 1, column 14).');
	});
});
