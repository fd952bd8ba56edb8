import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../../../nodes/core/errors';
import { baseUrlFor, redactUrl, resolveRequestUrl, withQuery } from '../../../nodes/core/http/url';

describe('base URLs', () => {
	it('gives Graph v1.0, Graph beta and ARM per cloud', () => {
		expect(baseUrlFor('graphV1', 'global')).toBe('https://graph.microsoft.com/v1.0/');
		expect(baseUrlFor('graphBeta', 'global')).toBe('https://graph.microsoft.com/beta/');
		expect(baseUrlFor('resourceManager', 'global')).toBe('https://management.azure.com/');
		expect(baseUrlFor('graphV1', 'usGovernment')).toBe('https://graph.microsoft.us/v1.0/');
		expect(baseUrlFor('resourceManager', 'usGovernment')).toBe('https://management.usgovcloudapi.net/');
		expect(baseUrlFor('graphBeta', 'china')).toBe('https://microsoftgraph.chinacloudapi.cn/beta/');
		expect(baseUrlFor('resourceManager', 'china')).toBe('https://management.chinacloudapi.cn/');
	});

	it('uses the global APIs for a custom authority and none for "none"', () => {
		expect(baseUrlFor('graphV1', 'custom')).toBe('https://graph.microsoft.com/v1.0/');
		expect(baseUrlFor('none', 'global')).toBeUndefined();
	});

	it('adds a trailing slash to a custom base and refuses a missing or bad one', () => {
		expect(baseUrlFor('custom', 'global', 'https://contoso.sharepoint.com/_api')).toBe(
			'https://contoso.sharepoint.com/_api/',
		);
		expect(() => baseUrlFor('custom', 'global', '')).toThrow(expect.objectContaining({ field: 'Custom Base URL' }));
		expect(() => baseUrlFor('custom', 'global', 'not a url')).toThrow(
			expect.objectContaining({ field: 'Custom Base URL' }),
		);
	});
});

describe('request URL', () => {
	const graph = 'https://graph.microsoft.com/v1.0/';

	it('appends a relative URL to the base, with or without a leading slash', () => {
		expect(resolveRequestUrl('me/messages', graph).href).toBe('https://graph.microsoft.com/v1.0/me/messages');
		expect(resolveRequestUrl('/me/messages?$top=5', graph).href).toBe(
			'https://graph.microsoft.com/v1.0/me/messages?$top=5',
		);
	});

	it('uses an absolute URL as is, whatever the base', () => {
		expect(resolveRequestUrl('https://management.azure.com/subscriptions?api-version=2022-12-01', graph).href).toBe(
			'https://management.azure.com/subscriptions?api-version=2022-12-01',
		);
	});

	it('refuses malformed, relative-without-base, non-http and credential-bearing URLs, naming the field', () => {
		for (const [url, base] of [
			['https://exa mple.com/x', undefined],
			['users', undefined],
			['', undefined],
			['ftp://example.com/file', undefined],
			['https://user:pw@graph.microsoft.com/v1.0/me', undefined],
			['me messages', graph],
		] as const) {
			let caught: unknown;
			try {
				resolveRequestUrl(url, base);
			} catch (error) {
				caught = error;
			}
			expect(caught).toBeInstanceOf(InvalidInputError);
			expect((caught as InvalidInputError).field).toBe('URL');
		}
	});
});

describe('query parameters', () => {
	it('appends parameters, keeps $ readable and encodes spaces as %20', () => {
		const url = withQuery(new URL('https://graph.microsoft.com/v1.0/users?$count=true'), [
			{ name: '$filter', value: "startswith(displayName,'A B')" },
			{ name: '$top', value: '5' },
		]);
		expect(url.href).toBe(
			'https://graph.microsoft.com/v1.0/users?$count=true&$filter=startswith(displayName%2C%27A%20B%27)&$top=5',
		);
	});

	it('refuses a parameter without a name', () => {
		expect(() => withQuery(new URL('https://x.test/'), [{ name: '', value: '1' }])).toThrow(
			expect.objectContaining({ field: 'Query Parameters' }),
		);
	});
});

describe('redactUrl', () => {
	it('drops the query string, which can carry signatures', () => {
		expect(redactUrl('https://a.blob.core.windows.net/c/f.txt?sig=secret')).toBe(
			'https://a.blob.core.windows.net/c/f.txt?…',
		);
		expect(redactUrl(new URL('https://graph.microsoft.com/v1.0/me'))).toBe('https://graph.microsoft.com/v1.0/me');
	});
});
