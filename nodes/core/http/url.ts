import type { CloudName } from '../clouds';
import { MICROSOFT_CLOUDS } from '../clouds';
import { InvalidInputError } from '../errors';
import { knownApiCloud } from './knownApis';
import { excerpt, quote } from '../quote';

/** Where a relative URL is resolved. `none` means the URL must be absolute. */
export type BaseUrlChoice = 'none' | 'graphV1' | 'graphBeta' | 'resourceManager' | 'custom';

/** The base URL for a choice in a cloud (a custom authority uses the global cloud's APIs). */
export function baseUrlFor(
	choice: BaseUrlChoice,
	cloud: CloudName | string | undefined,
	customBaseUrl?: string,
): string | undefined {
	const apis = MICROSOFT_CLOUDS[knownApiCloud(cloud)];
	switch (choice) {
		case 'graphV1':
			return `${apis.graphBaseUrl}/v1.0/`;
		case 'graphBeta':
			return `${apis.graphBaseUrl}/beta/`;
		case 'resourceManager':
			return `${apis.resourceManagerBaseUrl}/`;
		case 'custom': {
			const raw = (customBaseUrl ?? '').trim();
			if (!raw) {
				throw new InvalidInputError(
					'No custom base URL given.',
					"Enter the API's base URL, e.g. https://contoso.sharepoint.com/_api/.",
					'Custom Base URL',
				);
			}
			const parsed = parseHttpUrl(raw, 'Custom Base URL');
			// A base without a trailing slash would lose its last segment when joined.
			return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
		}
		default:
			return undefined;
	}
}

/**
 * The request URL: `url` itself when absolute, else `url` appended to the base
 * ("me/messages" and "/me/messages" both become https://graph.microsoft.com/v1.0/me/messages).
 */
export function resolveRequestUrl(url: string, base: string | undefined, field = 'URL'): URL {
	const raw = (url ?? '').trim();
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return parseHttpUrl(raw, field);
	if (!base) {
		if (!raw)
			throw new InvalidInputError(
				'No URL given.',
				'Enter the full URL, e.g. https://graph.microsoft.com/v1.0/me, or choose a base URL.',
				field,
			);
		throw new InvalidInputError(
			`URL ${quote(raw)} is not absolute.`,
			'Enter a full URL starting with https://, or choose a Base URL (e.g. Microsoft Graph v1.0) to make it relative to.',
			field,
		);
	}
	if (/\s/.test(raw)) {
		throw new InvalidInputError(
			`URL ${quote(raw)} contains white space.`,
			'Remove the spaces or encode them as %20.',
			field,
		);
	}
	return parseHttpUrl(base + raw.replace(/^\/+/, ''), field);
}

/** Parses an absolute http(s) URL or throws an InvalidInputError naming the field. */
export function parseHttpUrl(raw: string, field: string): URL {
	let parsed: URL;
	try {
		parsed = new URL(raw);
	} catch {
		throw new InvalidInputError(
			`${quote(raw)} is not a valid URL.`,
			'Enter a full URL such as https://graph.microsoft.com/v1.0/me.',
			field,
		);
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
		throw new InvalidInputError(
			`URL scheme ${quote(parsed.protocol)} is not supported.`,
			'Use an https:// URL.',
			field,
		);
	}
	if (parsed.username || parsed.password) {
		throw new InvalidInputError(
			'The URL contains a user name or password.',
			'Remove the "user:password@" part; the node authenticates with the token.',
			field,
		);
	}
	return parsed;
}

/** Adds query parameters (repeated names are kept) to a copy of the URL. */
export function withQuery(url: URL, query: Array<{ name: string; value: string }>, field = 'Query Parameters'): URL {
	if (query.length === 0) return url;
	const pairs: string[] = [];
	for (const { name, value } of query) {
		if (!name)
			throw new InvalidInputError(
				'A query parameter has no name.',
				'Give every query parameter a name, e.g. $top.',
				field,
			);
		pairs.push(`${encodeQueryPart(name)}=${encodeQueryPart(value)}`);
	}
	// Appended as text: URLSearchParams would re-encode the URL's own query (spaces as "+", which OData reads literally).
	const result = new URL(url.href);
	result.search = `${result.search ? `${result.search}&` : '?'}${pairs.join('&')}`;
	return result;
}

/** Percent-encodes a query name or value, keeping "$" readable (OData's $filter, $top…). */
function encodeQueryPart(text: string): string {
	return encodeURIComponent(text).replace(/%24/g, '$');
}

/**
 * The URL as it may appear in errors: no query string (it can carry signatures such as SAS tokens),
 * and at most URL_MAX characters of origin and path.
 */
export function redactUrl(url: URL | string): string {
	try {
		const parsed = typeof url === 'string' ? new URL(url) : url;
		return `${excerpt(`${parsed.origin}${parsed.pathname}`, URL_MAX)}${parsed.search ? '?…' : ''}`;
	} catch {
		return '(invalid URL)';
	}
}

/** More of a URL than of other values: the path often names what failed. */
const URL_MAX = 160;
