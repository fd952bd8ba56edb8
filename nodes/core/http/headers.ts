import { InvalidInputError } from '../errors';
import { quote } from '../quote';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, spaces, tabs and non-ASCII text; no CR, LF or other control characters.
const VALUE = /^[\t\x20-\x7e\x80-\uffff]*$/;

/** Validated request headers (lower-case names). Authorization is the node's own. */
export function buildHeaders(
	headers: Array<{ name: string; value: string }>,
	field = 'Headers',
): Record<string, string> {
	const result: Record<string, string> = {};
	for (const { name: rawName, value: rawValue } of headers) {
		const name = (rawName ?? '').trim();
		const value = String(rawValue ?? '').trim();
		if (!name)
			throw new InvalidInputError('A header has no name.', 'Give every header a name, e.g. ConsistencyLevel.', field);
		if (!TOKEN.test(name)) {
			throw new InvalidInputError(
				`Header name ${quote(name)} is not valid.`,
				'Header names are letters, digits and - (no spaces or colons), e.g. ConsistencyLevel.',
				field,
			);
		}
		if (!VALUE.test(value)) {
			throw new InvalidInputError(
				`The value of header ${quote(name)} contains a line break or control character.`,
				'Put the value on one line.',
				field,
			);
		}
		const key = name.toLowerCase();
		if (key === 'authorization') {
			throw new InvalidInputError(
				'The Authorization header is set by the node from the credential.',
				'Remove the Authorization header; to call an API without a Microsoft token, use the HTTP Request node.',
				field,
			);
		}
		result[key] = key in result ? `${result[key]}, ${value}` : value;
	}
	return result;
}
