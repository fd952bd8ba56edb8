import { InvalidInputError } from './errors';
import { excerpt, quote } from './quote';

/** Splits a scope list typed as spaces, commas or new lines; drops duplicates. */
export function parseScopes(raw: string | string[] | undefined): string[] {
	const parts = Array.isArray(raw) ? raw : (raw ?? '').split(/[\s,]+/);
	return [...new Set(parts.map((s) => s.trim()).filter(Boolean))];
}

/**
 * Scopes for an app token (client credentials): exactly one `<resource>/.default`.
 * A resource URI ending in "/" (e.g. https://management.core.windows.net/) becomes
 * `<resource>/.default` with the double slash Entra expects.
 */
export function normalizeAppScopes(raw: string | string[] | undefined, field = 'Scopes'): string[] {
	const scopes = parseScopes(raw).map((scope) => (scope.endsWith('/') ? `${scope}/.default` : scope));
	if (scopes.length === 0) {
		throw new InvalidInputError(
			'No scope given.',
			'Enter the API\'s resource followed by "/.default", e.g. https://graph.microsoft.com/.default.',
			field,
		);
	}
	if (scopes.length > 1) {
		throw new InvalidInputError(
			`An app token is for one API at a time, but ${scopes.length} scopes were given (${excerpt(scopes.join(' '))}).`,
			'Keep one scope (an API\'s resource followed by "/.default"); use another node (or another item) for another API.',
			field,
		);
	}
	const [scope] = scopes;
	if (!scope.endsWith('/.default') || scope === '/.default') {
		throw new InvalidInputError(
			`Scope ${quote(scope)} is not valid for an app token: the app gets the permissions granted to it, named by the API's resource followed by "/.default".`,
			`Use "${suggestDefaultScope(scope)}".`,
			field,
		);
	}
	return scopes;
}

function suggestDefaultScope(scope: string): string {
	try {
		const url = new URL(scope);
		// api://<app ID URI>/<scope>: the origin of a non-web scheme is "null".
		return url.protocol === 'https:' || url.protocol === 'http:'
			? `${url.origin}/.default`
			: `${url.protocol}//${url.host}/.default`;
	} catch {
		// A bare permission name (User.Read, Mail.Send) is Microsoft Graph's.
		if (!scope.includes('/')) return 'https://graph.microsoft.com/.default';
		return `${scope.split('/')[0]}/.default`;
	}
}

/** The resource a scope belongs to: `https://graph.microsoft.com/User.Read` → `https://graph.microsoft.com`. */
export function resourceOfScope(scope: string): string | undefined {
	const withoutDefault = scope.replace(/\/?\/\.default$/, '');
	try {
		const url = new URL(withoutDefault);
		if (url.protocol !== 'https:' && url.protocol !== 'http:') return withoutDefault;
		return url.origin;
	} catch {
		return undefined;
	}
}

/** A stable key for a set of scopes, independent of order and case. */
export function scopeSetKey(scopes: string[]): string {
	return [...scopes]
		.map((s) => s.toLowerCase())
		.sort()
		.join(' ');
}
