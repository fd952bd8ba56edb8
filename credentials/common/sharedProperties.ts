import type { INodeProperties } from 'n8n-workflow';
import { CACHE_MARKER_FIELD, TOKEN_CACHE_FIELD } from '../../nodes/n8n/credentialStore';

/** Cloud, tenant and authority: where the credential signs in. */
export function authorityProperties(tenantDescription: string): INodeProperties[] {
	return [
		{
			displayName: 'Cloud',
			name: 'cloud',
			type: 'options',
			default: 'global',
			options: [
				{ name: 'Global (login.microsoftonline.com)', value: 'global' },
				{ name: 'US Government (login.microsoftonline.us)', value: 'usGovernment' },
				{ name: 'China, Operated by 21Vianet (login.chinacloudapi.cn)', value: 'china' },
				{ name: 'Custom Authority (B2C, CIAM, ADFS, Private Cloud)', value: 'custom' },
			],
			description: 'The Microsoft cloud the app registration lives in',
		},
		{
			displayName: 'Tenant',
			name: 'tenant',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. contoso.onmicrosoft.com or 72f988bf-86f1-41af-91ab-2d7cd011db47',
			description: tenantDescription,
			displayOptions: { hide: { cloud: ['custom'] } },
		},
		{
			displayName: 'Authority URL',
			name: 'authorityUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin',
			description:
				'Full authority URL including the tenant (and policy for B2C). HTTPS only. Its host is trusted as a known authority, so no Entra instance discovery is made.',
			displayOptions: { show: { cloud: ['custom'] } },
		},
	];
}

export const clientIdProperty: INodeProperties = {
	displayName: 'Client ID',
	name: 'clientId',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'e.g. 00000000-0000-0000-0000-000000000000',
	description: "The Application (client) ID from the app registration's Overview page",
};

/**
 * The credential's boundary (nodes/core/resourceBoundary.ts): which APIs nodes may ask this
 * credential's tokens for, beyond those of its Scopes.
 */
const allowedResourcesProperty: INodeProperties = {
	displayName: 'Allowed Resources',
	name: 'allowedResources',
	type: 'string',
	default: '',
	placeholder: 'e.g. https://vault.azure.net, api://my-api',
	description:
		"Other APIs (resource URIs, separated by commas) a node's Scope, or a URL the Call API node derives a scope from, may ask this credential's tokens for. Empty: only the APIs of Scopes. * allows any API the app (or person) has permissions for.",
};

/** Whether Acquire Token may put this credential's raw access tokens into node output. */
const allowTokenOutputProperty: INodeProperties = {
	displayName: 'Allow Token Output',
	name: 'allowTokenOutput',
	type: 'boolean',
	default: true,
	description:
		"Whether the Acquire Token node may output this credential's access tokens. Turn it off for a credential shared with others (e.g. one holding a person's sign-in): everyone it is shared with could otherwise copy the raw token and use it outside n8n until it expires. Call API and n8n's HTTP Request node keep working.",
};

/** What nodes may do with the credential (nodes/n8n/requestPolicy.ts), shared by every credential type. */
export const policyProperties: INodeProperties[] = [allowedResourcesProperty, allowTokenOutputProperty];

/**
 * Where the MSAL token cache is saved, encrypted by n8n. Hidden, password-typed and without
 * displayOptions: n8n saves only declared fields, and never sends password fields to the editor.
 * The first hidden expirable field must stay '' so n8n calls preAuthentication on every request.
 */
export const tokenCacheProperties: INodeProperties[] = [
	{
		displayName: 'Cache Marker',
		name: CACHE_MARKER_FIELD,
		type: 'hidden',
		default: '',
		typeOptions: { expirable: true, password: true },
	},
	{
		displayName: 'Token Cache',
		name: TOKEN_CACHE_FIELD,
		type: 'hidden',
		default: '',
		typeOptions: { password: true },
	},
];
