/**
 * How a value that a user typed or the network sent appears in an error or a log line. Such a
 * value can be of any size (a 1 MB Tenant Override, a page of HTML) and hold anything (CR/LF that
 * would forge log lines, terminal escapes, a reflected secret), so it is shown bounded and escaped:
 * at most QUOTE_MAX characters of it, control characters written as JSON escapes, and, when cut,
 * an ellipsis and its full length so the reader knows it was cut.
 */

/** How many characters of a value an error or log line shows. */
export const QUOTE_MAX = 80;

/**
 * The value JSON-style quoted, escaped and bounded: `"contoso.com"`, or
 * `"aaaa…" (1,048,576 characters)` when longer than `max`.
 */
export function quote(value: unknown, max = QUOTE_MAX): string {
	const text = asText(value);
	const { shown, cut } = bounded(text, max, true);
	return `"${shown}${cut ? '…"' : '"'}${cut ? ` (${lengthNote(text)})` : ''}`;
}

/**
 * The text bounded, its control characters escaped, without quotes (so quotes and backslashes
 * stay as they are): for prose a service documents as safe to show (an Entra error description,
 * a Graph error message), for URLs already stripped of their query, and for messages composed of
 * quoted values.
 */
export function excerpt(value: unknown, max = QUOTE_MAX): string {
	const text = asText(value);
	const { shown, cut } = bounded(text, max, false);
	return cut ? `${shown}… (${lengthNote(text)})` : shown;
}

function asText(value: unknown): string {
	if (typeof value === 'string') return value;
	if (value === undefined) return 'undefined';
	try {
		return String(value);
	} catch {
		return Object.prototype.toString.call(value);
	}
}

/** Escapes code point by code point until `max` characters of the value are shown. */
function bounded(text: string, max: number, quoted: boolean): { shown: string; cut: boolean } {
	let shown = '';
	let count = 0;
	for (const char of text) {
		if (count >= max) return { shown, cut: true };
		shown += escapeChar(char, quoted);
		count++;
	}
	return { shown, cut: false };
}

// eslint-disable-next-line no-control-regex -- control characters are what this escapes
const NEEDS_ESCAPE = /[\u0000-\u001f\u007f-\u009f"\\\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

/**
 * JSON's escapes (quotes, backslash, \n, \r, \t, \uXXXX), also for DEL and the C1 controls,
 * the line and paragraph separators, the bidirectional overrides (which reorder what a terminal
 * or editor displays) and lone surrogates.
 */
function escapeChar(char: string, quoted: boolean): string {
	if (!NEEDS_ESCAPE.test(char) || char.length === 2) return char;
	if (char === '"') return quoted ? '\\"' : char;
	if (char === '\\') return quoted ? '\\\\' : char;
	if (char === '\n') return '\\n';
	if (char === '\r') return '\\r';
	if (char === '\t') return '\\t';
	return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function lengthNote(text: string): string {
	return `${text.length.toLocaleString('en-US')} characters`;
}
