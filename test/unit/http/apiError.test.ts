import { describe, expect, it } from '@jest/globals';
import { apiCallErrorFrom, ApiCallError, parseApiErrorBody } from '../../../nodes/core/http/apiError';

const headers = (entries: Record<string, string> = {}) => new Headers(entries);

describe('API error bodies', () => {
	it('reads Graph errors with their request ids', () => {
		const body = {
			error: {
				code: 'Authorization_RequestDenied',
				message: 'Insufficient privileges to complete the operation.',
				innerError: { date: '2025-01-01T00:00:00', 'request-id': 'req-1', 'client-request-id': 'client-1' },
			},
		};
		expect(parseApiErrorBody(body, headers())).toEqual({
			code: 'Authorization_RequestDenied',
			message: 'Insufficient privileges to complete the operation.',
			requestId: 'req-1',
			clientRequestId: 'client-1',
		});
	});

	it('reads ARM errors, their details and x-ms-request-id', () => {
		const body = {
			error: {
				code: 'InvalidTemplate',
				message: 'Bad template.',
				details: [
					{ code: 'A', message: 'first' },
					{ code: 'B', message: 'second' },
				],
			},
		};
		expect(
			parseApiErrorBody(body, headers({ 'x-ms-request-id': 'arm-req', 'x-ms-correlation-request-id': 'corr' })),
		).toEqual({
			code: 'InvalidTemplate',
			message: 'Bad template.',
			requestId: 'arm-req',
			clientRequestId: 'corr',
			details: ['A: first', 'B: second'],
		});
	});

	it('reads OData v3 and OAuth style errors and plain text', () => {
		expect(
			parseApiErrorBody(
				{ 'odata.error': { code: '-2147024891', message: { lang: 'en-US', value: 'Access denied.' } } },
				headers(),
			),
		).toMatchObject({
			code: '-2147024891',
			message: 'Access denied.',
		});
		expect(
			parseApiErrorBody({ error: 'invalid_token', error_description: 'AADSTS50013: bad' }, headers()),
		).toMatchObject({
			code: 'invalid_token',
			message: 'AADSTS50013: bad',
		});
		expect(parseApiErrorBody('Service Unavailable\nmore', headers({ 'request-id': 'r' }))).toEqual({
			requestId: 'r',
			clientRequestId: undefined,
		});
	});

	it('builds a clear error: method, URL, status, code, message, ids, fix', () => {
		const error = apiCallErrorFrom(
			403,
			'Forbidden',
			headers({ 'request-id': 'req-9', 'client-request-id': 'cli-9' }),
			{ error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } },
			{ method: 'GET', url: 'https://graph.microsoft.com/v1.0/users' },
		);
		expect(error).toBeInstanceOf(ApiCallError);
		expect(error.message).toBe(
			'GET https://graph.microsoft.com/v1.0/users failed with HTTP 403: Authorization_RequestDenied: Insufficient privileges to complete the operation. (request-id req-9, client-request-id cli-9)',
		);
		expect(error.fix).toMatch(/permission/);
		expect(error).toMatchObject({
			status: 403,
			code: 'Authorization_RequestDenied',
			requestId: 'req-9',
			clientRequestId: 'cli-9',
		});
	});

	it('adds the retry note and the AADSTS explanation', () => {
		const throttled = apiCallErrorFrom(
			503,
			'Service Unavailable',
			headers(),
			'',
			{ method: 'GET', url: 'https://x/' },
			'Gave up after 4 retries (Max Retries is 4).',
		);
		expect(throttled.message).toMatch(/HTTP 503: Service Unavailable$/);
		expect(throttled.fix).toMatch(/Gave up after 4 retries/);
		const aad = apiCallErrorFrom(
			401,
			'Unauthorized',
			headers(),
			{ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' },
			{ method: 'GET', url: 'https://x/' },
		);
		expect(aad.fix).toMatch(/^AADSTS7000215: The client secret is wrong\./);
	});

	it('never quotes a text answer: it is described by content type and size', () => {
		const reflected = 'GET /v1.0/me HTTP/1.1\r\nAuthorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.signature\r\n';
		const error = apiCallErrorFrom(400, 'Bad Request', headers({ 'content-type': 'text/plain' }), reflected, {
			method: 'GET',
			url: 'https://graph.microsoft.com/v1.0/me',
		});
		expect(error.message).toBe(
			'GET https://graph.microsoft.com/v1.0/me failed with HTTP 400: Bad Request; the answer (Content-Type "text/plain", 85 characters) is not shown',
		);
		expect(error.fix).toContain('turn on Never Error');
		expect(JSON.stringify(error)).not.toMatch(/Bearer|eyJ/);
		expect(error.body).toBeNull();
	});

	it("shows only an error body's documented fields, one line each, escaped and bounded", () => {
		const body = {
			error: {
				code: `Bad\r\nCode${'c'.repeat(500)}`,
				message: `Line one ${'m'.repeat(5000)}\nforged: second line`,
				details: [{ code: 'D', message: `detail\u001b[31m ${'d'.repeat(1000)}` }],
				reflected: 'Authorization: Bearer eyJ.secret',
			},
		};
		const error = apiCallErrorFrom(409, 'Conflict', headers({ 'request-id': `r${'i'.repeat(900)}` }), body, {
			method: 'PATCH',
			url: 'https://graph.microsoft.com/v1.0/x',
		});
		// eslint-disable-next-line no-control-regex -- control characters are what must not appear
		expect(error.message + error.fix).not.toMatch(/[\r\n\u001b]/);
		expect(error.message.length).toBeLessThan(700);
		expect(error.fix.length).toBeLessThan(700);
		expect(error.message).toContain('HTTP 409: Bad: Line one mmm');
		expect(error.message).toContain('(5,009 characters)');
		expect(error.message).not.toContain('forged');
		expect(error.fix).toContain('detail\\u001b[31m');
		expect(error.body).toEqual({ code: error.code, message: error.apiMessage, details: [expect.any(String)] });
		expect(JSON.stringify(error)).not.toContain('eyJ');
	});
});
