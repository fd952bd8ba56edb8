import { DOMAIN, GUID, type ResolvedAuthority } from './authority';
import { InvalidInputError } from './errors';
import { quote } from './quote';

/** Where a client-credentials token for one customer tenant is requested. */
export interface TenantAuthority {
	authority: string;
	tenant: string;
}

const ALLOWED_TENANTS = 'Allowed Tenants';
const TENANT_OVERRIDE = 'Tenant Override';
// A tenant path segment of a custom authority (the rig's "tenant2", a private cloud's tenant name).
const PATH_SEGMENT = /^[a-z0-9][a-z0-9._-]{0,253}$/i;

/** The credential's Allowed Tenants: tenant IDs or domains separated by commas, spaces or lines; `*` is any. */
export function parseAllowedTenants(raw: string | undefined): string[] {
	return (raw ?? '')
		.split(/[\s,;]+/)
		.map((entry) => entry.trim().toLowerCase())
		.filter(Boolean);
}

/**
 * The authority for a Tenant Override, or the credential's own when there is none or it names the
 * credential's own tenant. Refused unless Allowed Tenants lists the tenant (or is `*`): a workflow
 * item, possibly written by a prompt-injected AI agent, must not choose any tenant on its own.
 */
export function tenantAuthority(
	base: ResolvedAuthority,
	custom: boolean,
	override: string | undefined,
	allowedTenantsField: string | undefined,
): TenantAuthority {
	const own = { authority: base.authority, tenant: base.tenant ?? '' };
	const tenant = (override ?? '').trim();
	if (!tenant || tenant.toLowerCase() === own.tenant.toLowerCase()) return own;
	if (custom && !customAuthorityTakesTenant(base)) {
		throw new InvalidInputError(
			`Tenant Override ${quote(tenant)} cannot be used with the authority ${base.authority}: only an authority whose path is one tenant takes another tenant.`,
			'Clear Tenant Override, or use a credential per tenant (B2C policies and ADFS have no per-tenant authority).',
			TENANT_OVERRIDE,
		);
	}
	validateOverride(tenant, custom);
	const allowed = parseAllowedTenants(allowedTenantsField);
	if (allowed.length === 0) {
		throw new InvalidInputError(
			`Tenant Override ${quote(tenant)} is refused: the credential's Allowed Tenants is empty.`,
			"List the customer tenants this credential may act in (tenant IDs or verified domains) in the credential's Allowed Tenants, or * for any tenant.",
			ALLOWED_TENANTS,
		);
	}
	if (!allowed.includes('*') && !allowed.includes(tenant.toLowerCase())) {
		throw new InvalidInputError(
			`Tenant Override ${quote(tenant)} is not in the credential's Allowed Tenants.`,
			"Add the tenant (the same ID or domain the item gives) to the credential's Allowed Tenants, or correct the item's tenant.",
			ALLOWED_TENANTS,
		);
	}
	const segments = new URL(base.authority).pathname.split('/').filter(Boolean);
	const origin = new URL(base.authority).origin;
	return { authority: `${origin}/${[tenant, ...segments.slice(1)].join('/')}`, tenant };
}

function validateOverride(tenant: string, custom: boolean): void {
	if (['common', 'organizations', 'consumers'].includes(tenant.toLowerCase())) {
		throw new InvalidInputError(
			`Tenant Override ${quote(tenant)} names no tenant: an app acting as itself must name the one tenant whose data it reads.`,
			'Give the customer tenant ID (GUID) or one of its verified domains.',
			TENANT_OVERRIDE,
		);
	}
	if (custom ? !PATH_SEGMENT.test(tenant) : !GUID.test(tenant) && !DOMAIN.test(tenant)) {
		throw new InvalidInputError(
			`Tenant Override ${quote(tenant)} is neither a tenant ID (GUID) nor a domain name.`,
			'Give the customer tenant ID, e.g. 72f988bf-86f1-41af-91ab-2d7cd011db47, or a verified domain such as fabrikam.onmicrosoft.com.',
			TENANT_OVERRIDE,
		);
	}
}

/**
 * A custom authority takes a Tenant Override only when its path is exactly one tenant segment
 * (https://login.example.com/<tenant>): B2C policies and ADFS have no per-tenant authority.
 */
function customAuthorityTakesTenant(base: ResolvedAuthority): boolean {
	const segments = new URL(base.authority).pathname.split('/').filter(Boolean);
	return segments.length === 1 && segments[0].toLowerCase() !== 'adfs';
}

/** Where an administrator of `tenant` consents to the app for the whole tenant. */
export function adminConsentUrl(tenantAuthorityUrl: string, clientId: string): string {
	return `${tenantAuthorityUrl}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}
