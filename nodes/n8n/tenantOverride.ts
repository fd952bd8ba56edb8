import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

/**
 * Tenant Override, as both nodes offer it with the client-credentials credential: one app
 * registration consented in many customer tenants, a tenant per item. The credential's Allowed
 * Tenants decides which tenants are accepted (core/tenantOverride.ts).
 */
export function tenantOverrideProperty(show: Record<string, string[]>): INodeProperties {
	return {
		displayName: 'Tenant Override',
		name: 'tenantOverride',
		type: 'string',
		default: '',
		placeholder: 'e.g. {{ $json.tenantId }} or fabrikam.onmicrosoft.com',
		description:
			"Customer tenant to get the app token in, per item (a tenant ID or verified domain); empty uses the credential's tenant. Only tenants listed in the credential's Allowed Tenants are accepted.",
		displayOptions: { show: { ...show, authentication: ['clientCredentials'], tokenFor: ['app'] } },
	};
}

/** The item's Tenant Override, or undefined for the credential's own tenant. */
export function tenantOverrideOf(context: IExecuteFunctions, itemIndex: number): string | undefined {
	const value = context.getNodeParameter('tenantOverride', itemIndex, '');
	return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}
