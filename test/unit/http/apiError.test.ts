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
			message: 'Service Unavailable',
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
});
