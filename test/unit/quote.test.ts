import { describe, expect, it } from '@jest/globals';
import { validateClientId, validateTenant } from '../../nodes/core/authority';
import { buildBody } from '../../nodes/core/http/body';
import { buildHeaders } from '../../nodes/core/http/headers';
import { parseAllowedHosts } from '../../nodes/core/http/tokenGuard';
import { resolveRequestUrl } from '../../nodes/core/http/url';
import { excerpt, quote, QUOTE_MAX } from '../../nodes/core/quote';
import { normalizeAppScopes } from '../../nodes/core/scopes';

describe('quote: user and network values in errors and logs', () => {
	it('quotes a short value whole, JSON style', () => {
		expect(quote('contoso.onmicrosoft.com')).toBe('"contoso.onmicrosoft.com"');
		expect(quote('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
		expect(quote(42)).toBe('"42"');
		expect(quote(undefined)).toBe('"undefined"');
	});

	it('shows at most 80 characters of a 1 MB value, with an ellipsis and its length', () => {
		const huge = 'a'.repeat(1024 * 1024);
		const quoted = quote(huge);
		expect(quoted).toBe(`"${'a'.repeat(QUOTE_MAX)}…" (1,048,576 characters)`);
		expect(quoted.length).toBeLessThan(120);
		expect(quote('abcdef', 3)).toBe('"abc…" (6 characters)');
		expect(quote('a'.repeat(QUOTE_MAX))).toBe(`"${'a'.repeat(QUOTE_MAX)}"`);
	});

	it('escapes CR, LF and other control characters so a value cannot forge a log line', () => {
		const forged = 'tenant1\r\n2026-01-01T00:00:00Z info  Sign-in of admin@contoso.com succeeded\u001b[2J';
		const quoted = quote(forged, 200);
		// eslint-disable-next-line no-control-regex -- control characters are what must not appear
		expect(quoted).not.toMatch(/[\r\n\u001b]/);
		expect(quoted).toBe('"tenant1\\r\\n2026-01-01T00:00:00Z info  Sign-in of admin@contoso.com succeeded\\u001b[2J"');
		expect(quote('\u2028\u2029\u0085\u007f\u202e')).toBe('"\\u2028\\u2029\\u0085\\u007f\\u202e"');
		expect(quote('tab\there\u0000')).toBe('"tab\\there\\u0000"');
	});

	it('keeps characters outside ASCII and surrogate pairs, escapes lone surrogates', () => {
		expect(quote('Zürich 東京 🙂')).toBe('"Zürich 東京 🙂"');
		expect(quote('\ud800x')).toBe('"\\ud800x"');
		// A pair is never cut in half.
		expect(quote('🙂🙂', 1)).toBe('"🙂…" (4 characters)');
	});

	it('counts characters of the value, not of its escapes', () => {
		expect(quote('\n'.repeat(100), 2)).toBe('"\\n\\n…" (100 characters)');
	});

	it('excerpt: the same bound and escapes, without quotes, for documented prose', () => {
		expect(excerpt('Insufficient privileges.')).toBe('Insufficient privileges.');
		expect(excerpt('line one\r\nline two')).toBe('line one\\r\\nline two');
		expect(excerpt('x'.repeat(500), 10)).toBe('xxxxxxxxxx… (500 characters)');
		// Quotes and backslashes stay: a message already holding quoted values is not escaped twice.
		expect(excerpt(`Tenant ${quote('a\nb')} is refused`)).toBe('Tenant "a\\nb" is refused');
	});
});

describe('errors that embed what a user typed stay short and on one line', () => {
	const huge = `x\r\nforged log line ${'y'.repeat(1024 * 1024)}`;
	const messageOf = (work: () => unknown): string => {
		try {
			work();
		} catch (error) {
			return (error as Error).message;
		}
		throw new Error('not refused');
	};
	it.each([
		['URL', () => resolveRequestUrl(huge, undefined)],
		['URL with a base', () => resolveRequestUrl(`me/${huge}`, 'https://graph.microsoft.com/v1.0/')],
		['Allowed Domains', () => parseAllowedHosts(`https://evil/${'y'.repeat(1024 * 1024)}`)],
		['Tenant', () => validateTenant(huge, [])],
		['Client ID', () => validateClientId(huge, true)],
		['Scopes', () => normalizeAppScopes(`${huge} other`)],
		['Header name', () => buildHeaders([{ name: huge, value: 'v' }])],
		['JSON body', () => buildBody({ type: 'json', value: `{"secret": "${huge}"` })],
	])('%s', (_field, work) => {
		const message = messageOf(work);
		expect(message.length).toBeLessThan(500);
		expect(message).not.toMatch(/[\r\n]/);
		expect(message).not.toContain('y'.repeat(100));
	});
});
