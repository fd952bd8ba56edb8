import { MICROSOFT_CLOUDS, type CloudName } from './clouds';
import { InvalidInputError } from './errors';
import { quote } from './quote';

/** Where a credential signs in, as MSAL needs it. */
export interface ResolvedAuthority {
	/** e.g. https://login.microsoftonline.com/contoso.onmicrosoft.com */
	authority: string;
	/** host[:port] of a non-Microsoft authority, so MSAL skips Entra instance discovery. */
	knownAuthorities: string[];
	/** The tenant segment, when the authority has one. */
	tenant?: string;
}

export interface AuthoritySettings {
	cloud: CloudName;
	tenant?: string;
	/** Full authority URL, only for the custom cloud (B2C, CIAM, ADFS, private clouds). */
	authorityUrl?: string;
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A DNS name with at least one dot, e.g. contoso.onmicrosoft.com.
export const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
export const MULTI_TENANT_ALIASES = ['common', 'organizations', 'consumers'] as const;

/** Tenant for a Microsoft cloud: GUID, verified domain, or (if allowed) an alias. */
export function validateTenant(raw: string | undefined, allowedAliases: readonly string[]): string {
	const tenant = (raw ?? '').trim();
	if (!tenant) {
		throw new InvalidInputError(
			'Tenant is empty.',
			"Enter the Directory (tenant) ID from the app registration's Overview page, or a verified domain such as contoso.onmicrosoft.com.",
			'Tenant',
		);
	}
	const lower = tenant.toLowerCase();
	if ((MULTI_TENANT_ALIASES as readonly string[]).includes(lower)) {
		if (allowedAliases.includes(lower)) return lower;
		throw new InvalidInputError(
			`Tenant ${quote(tenant)} cannot be used with this credential: an app acting as itself must name the one tenant whose data it reads.`,
			'Enter the Directory (tenant) ID GUID or a verified domain such as contoso.onmicrosoft.com.',
			'Tenant',
		);
	}
	if (!GUID.test(tenant) && !DOMAIN.test(tenant)) {
		throw new InvalidInputError(
			`Tenant ${quote(tenant)} is neither a tenant ID (GUID) nor a domain name.`,
			'Enter the Directory (tenant) ID, e.g. 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain such as contoso.onmicrosoft.com.',
			'Tenant',
		);
	}
	return tenant;
}

/** Client ID: a GUID on Microsoft clouds; any non-blank identifier elsewhere. */
export function validateClientId(raw: string | undefined, mustBeGuid: boolean): string {
	const clientId = (raw ?? '').trim();
	if (!clientId) {
		throw new InvalidInputError(
			'Client ID is empty.',
			"Enter the Application (client) ID from the app registration's Overview page.",
			'Client ID',
		);
	}
	if (mustBeGuid && !GUID.test(clientId)) {
		throw new InvalidInputError(
			`Client ID ${quote(clientId)} is not a GUID.`,
			"Copy the Application (client) ID (a GUID such as 00000000-0000-0000-0000-000000000000) from the app registration's Overview page, not its name or object ID.",
			'Client ID',
		);
	}
	return clientId;
}

export function resolveAuthority(
	settings: AuthoritySettings,
	allowedTenantAliases: readonly string[],
): ResolvedAuthority {
	if (settings.cloud !== 'custom') {
		const cloud = MICROSOFT_CLOUDS[settings.cloud];
		if (!cloud) {
			throw new InvalidInputError(`Unknown cloud ${quote(settings.cloud)}.`, 'Pick a cloud from the list.', 'Cloud');
		}
		const tenant = validateTenant(settings.tenant, allowedTenantAliases);
		return { authority: `${cloud.authorityHost}/${tenant}`, knownAuthorities: [], tenant };
	}
	return resolveCustomAuthority(settings.authorityUrl, allowedTenantAliases);
}

function resolveCustomAuthority(raw: string | undefined, allowedTenantAliases: readonly string[]): ResolvedAuthority {
	const fix =
		'Enter the full authority URL, e.g. https://login.example.com/contoso.onmicrosoft.com, https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin or https://adfs.contoso.com/adfs.';
	const text = (raw ?? '').trim();
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new InvalidInputError(`Authority URL ${quote(text)} is not a URL.`, fix, 'Authority URL');
	}
	if (url.protocol !== 'https:') {
		throw new InvalidInputError(`Authority URL must use https (got ${quote(url.protocol)}).`, fix, 'Authority URL');
	}
	if (url.search || url.hash || url.username || url.password) {
		throw new InvalidInputError('Authority URL must not have a query, fragment or user info.', fix, 'Authority URL');
	}
	const segments = url.pathname.split('/').filter(Boolean);
	if (segments.length === 0) {
		throw new InvalidInputError('Authority URL has no tenant path.', fix, 'Authority URL');
	}
	const tenant = segments[0];
	if (
		(MULTI_TENANT_ALIASES as readonly string[]).includes(tenant.toLowerCase()) &&
		!allowedTenantAliases.includes(tenant.toLowerCase())
	) {
		validateTenant(tenant, allowedTenantAliases);
	}
	return {
		authority: `${url.origin}/${segments.join('/')}`,
		knownAuthorities: [url.host],
		tenant,
	};
}
