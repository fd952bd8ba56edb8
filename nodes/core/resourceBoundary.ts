import { MICROSOFT_CLOUDS, type CloudName } from './clouds';
import { InvalidInputError } from './errors';
import { knownApiByResource, knownApiCloud } from './http/knownApis';
import { parseScopes } from './scopes';
import { excerpt } from './quote';

/**
 * A credential's scope is a boundary: a node's Scope, or a scope the Call API node derives from a
 * URL, may name only the resources (APIs) of the credential's own Scopes, plus those its Allowed
 * Resources adds. Without it, a credential set up for Microsoft Graph would mint tokens for Key
 * Vault or Azure Resource Manager with the app's (or the person's) permissions there, for anyone
 * (or any prompt-injected AI agent) able to set a node's Scope or URL.
 *
 * Checked before any token request. Resources are compared as Entra reads a scope: the part
 * before the last "/" (so `<resource>/.default` and `<resource>/<permission>` are the same
 * resource), case-insensitively, without trailing slashes, with the known spellings of one API
 * (ARM's https://management.core.windows.net) folded together, and `api://<GUID>` the same app as
 * `<GUID>`. A bare permission (User.Read) is Microsoft Graph's; OpenID Connect scopes name no
 * resource.
 */

export const ALLOWED_RESOURCES_FIELD = 'Allowed Resources';

/** OpenID Connect scopes: they name no resource, so they are never refused. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ResourceBoundary {
	/** Allowed Resources is "*": any resource. */
	any: boolean;
	/** The allowed resources, in canonical form. */
	resources: Set<string>;
	/** The same, as the user wrote them (for messages). */
	shown: string[];
}

/** The canonical form of a resource URI, for comparison. */
export function canonicalResource(resource: string, cloud: CloudName | string | undefined): string {
	let canonical = resource.trim().replace(/\/+$/, '').toLowerCase();
	const appIdUri = /^api:\/\/([^/]+)$/.exec(canonical);
	if (appIdUri && GUID.test(appIdUri[1])) canonical = appIdUri[1];
	const known = knownApiByResource(canonical, cloud);
	return known ? known.resource.toLowerCase() : canonical;
}

/**
 * The resource a scope asks a token for, as written (not canonical); undefined for OpenID
 * Connect scopes, which name none.
 */
export function resourceNamedByScope(scope: string, cloud: CloudName | string | undefined): string | undefined {
	const trimmed = scope.trim();
	if (OIDC_SCOPES.has(trimmed.toLowerCase())) return undefined;
	const slash = trimmed.lastIndexOf('/');
	// Entra reads a scope without "/" as a Microsoft Graph permission.
	if (slash < 0) return MICROSOFT_CLOUDS[knownApiCloud(cloud)].graphBaseUrl;
	return trimmed.slice(0, slash);
}

/** An Allowed Resources entry, read as a resource URI; "<resource>/.default" is accepted too. */
function resourceOfEntry(entry: string): string {
	return entry.replace(/\/?\/\.default$/i, '');
}

/**
 * The boundary of a credential: the resources of its own Scopes, plus its Allowed Resources
 * ("*": any). Scopes that do not parse add nothing (their own check reports them).
 */
export function resourceBoundary(
	credentialScopes: string | undefined,
	allowedResources: string | undefined,
	cloud: CloudName | string | undefined,
): ResourceBoundary {
	const entries = parseScopes(allowedResources);
	const written = [
		...parseScopes(credentialScopes)
			.map((scope) => resourceNamedByScope(scope, cloud))
			.filter((resource): resource is string => resource !== undefined),
		...entries.filter((entry) => entry !== '*').map(resourceOfEntry),
	];
	const resources = new Set<string>();
	const shown: string[] = [];
	for (const resource of written) {
		const canonical = canonicalResource(resource, cloud);
		if (canonical === '' || resources.has(canonical)) continue;
		resources.add(canonical);
		shown.push(resource.replace(/\/+$/, ''));
	}
	return { any: entries.includes('*'), resources, shown };
}

/** The resources `scopes` name that the boundary does not allow (as written); empty when all are allowed. */
export function resourcesOutside(
	scopes: string | string[] | undefined,
	boundary: ResourceBoundary,
	cloud: CloudName | string | undefined,
): string[] {
	if (boundary.any) return [];
	const outside: string[] = [];
	for (const scope of parseScopes(scopes)) {
		const resource = resourceNamedByScope(scope, cloud);
		if (resource === undefined || boundary.resources.has(canonicalResource(resource, cloud))) continue;
		const shown = resource.replace(/\/+$/, '') || scope;
		if (!outside.includes(shown)) outside.push(shown);
	}
	return outside;
}

/** A token request for a resource outside the credential's boundary; nothing was requested. */
export class ResourceNotAllowedError extends InvalidInputError {
	constructor(
		readonly resources: string[],
		boundary: ResourceBoundary,
		/** Where the scope came from, e.g. "derived from the URL's host contoso.vault.azure.net". */
		origin: string | undefined,
	) {
		const list = resources.map((resource) => excerpt(resource, 160)).join(', ');
		const limitedTo = boundary.shown.length
			? boundary.shown.map((resource) => excerpt(resource, 160)).join(', ')
			: 'no resource';
		super(
			`Refused to request a token for ${list}${origin ? ` (${excerpt(origin, 200)})` : ''}: this credential is limited to ${limitedTo} (its Scopes and ${ALLOWED_RESOURCES_FIELD}).`,
			`If this credential may be used for ${list}, add ${resources.length > 1 ? 'them' : 'it'} to the credential's ${ALLOWED_RESOURCES_FIELD} (or * for any API); otherwise use a credential made for that API.`,
			ALLOWED_RESOURCES_FIELD,
		);
	}
}

/** Throws ResourceNotAllowedError when `scopes` name a resource outside the boundary. */
export function assertWithinBoundary(
	scopes: string | string[] | undefined,
	boundary: ResourceBoundary,
	cloud: CloudName | string | undefined,
	origin?: string,
): void {
	const outside = resourcesOutside(scopes, boundary, cloud);
	if (outside.length > 0) throw new ResourceNotAllowedError(outside, boundary, origin);
}
