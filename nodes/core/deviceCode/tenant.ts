import { InvalidInputError } from '../errors';
import type { AuthoritySettings } from '../authority';

const DEVICE_CODE_TENANT_REFUSALS: Record<string, string> = {
	common:
		'Tenant "common" cannot be used for the device code flow: Entra answers AADSTS90133 ("Device Code flow is not supported under /common or /consumers endpoint") or AADSTS50059 (no tenant-identifying information).',
	consumers:
		'Tenant "consumers" cannot be used for the device code flow: Entra answers AADSTS90133 ("Device Code flow is not supported under /common or /consumers endpoint"); for personal Microsoft accounts see AADSTS9002331.',
};

/** The tenant aliases a device-code credential accepts. */
export const DEVICE_CODE_TENANT_ALIASES = ['organizations'] as const;

export function refuseUnsupportedTenant(settings: AuthoritySettings): void {
	let tenant = (settings.tenant ?? '').trim().toLowerCase();
	let field = 'Tenant';
	if (settings.cloud === 'custom') {
		try {
			tenant =
				new URL((settings.authorityUrl ?? '').trim()).pathname.split('/').filter(Boolean)[0]?.toLowerCase() ?? '';
			field = 'Authority URL';
		} catch {
			return; // resolveAuthority reports the malformed URL
		}
	}
	const refusal = DEVICE_CODE_TENANT_REFUSALS[tenant];
	if (refusal) {
		throw new InvalidInputError(
			refusal,
			'Enter the Directory (tenant) ID or a verified domain of the people who sign in (e.g. contoso.onmicrosoft.com), or "organizations" for work and school accounts of any tenant.',
			field,
		);
	}
}
