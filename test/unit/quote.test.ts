import { describe, expect, it } from '@jest/globals';
import { excerpt, quote, QUOTE_MAX } from '../../nodes/core/quote';

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
	});
});
