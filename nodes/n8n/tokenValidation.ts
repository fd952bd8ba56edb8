import type { ICredentialDataDecryptedObject, INodeProperties } from 'n8n-workflow';
import { resolveAuthority, validateClientId } from '../core/authority';
import { egressFilterOf, withEgressFilter } from '../core/outbound';
import { signingKeysFor } from '../core/entraApi/signingKeys';
import {
	bearerTokenOf,
	validateAccessToken,
	type CallerClaims,
	type TokenValidationSettings,
} from '../core/entraApi/validateToken';
import { appSettingsFrom } from './credentialFields';

/** The parameters that shape validation (Protected Webhook Trigger, Validate Token), as read from n8n. */
export interface ValidationParameters {
	requiredScopes: string;
	requiredRoles: string;
	audiences?: string;
	allowedTenants?: string;
	allowedClientApps?: string;
	acceptTokensWithoutPermissions?: boolean;
	clockSkewSeconds?: number;
}

const list = (value: string | undefined): string[] =>
	(value ?? '')
		.split(/[\s,]+/)
		.map((item) => item.trim())
		.filter(Boolean);

/**
 * The API's app registration (the client-credentials credential) and the node's parameters →
 * the authority whose keys sign the tokens, and what to check. A multi-tenant API may name
 * `organizations` or `common` as tenant for validation.
 */
export function validationFrom(
	credential: ICredentialDataDecryptedObject,
	parameters: ValidationParameters,
): { authority: string; settings: TokenValidationSettings } {
	const app = appSettingsFrom(credential);
	const { authority } = resolveAuthority(app, ['organizations', 'common']);
	return {
		authority,
		settings: {
			clientId: validateClientId(app.clientId, app.cloud !== 'custom'),
			audiences: list(parameters.audiences),
			allowedTenants: list(parameters.allowedTenants),
			requiredScopes: list(parameters.requiredScopes),
			requiredRoles: list(parameters.requiredRoles),
			allowedClientApps: list(parameters.allowedClientApps),
			acceptTokensWithoutPermissions: parameters.acceptTokensWithoutPermissions === true,
			clockSkewSeconds: parameters.clockSkewSeconds ?? 60,
			cloud: app.cloud,
		},
	};
}

/**
 * The caller's token, from an `Authorization` header or bare, validated for the API whose app
 * registration the credential holds (Protected Webhook Trigger and Validate Token alike).
 * `helpers` (the node's) carry n8n's SSRF egress filter, which the discovery and key-set
 * requests then honour, as the identity-provider requests of MSAL do.
 */
export async function validateCaller(
	credential: ICredentialDataDecryptedObject,
	parameters: ValidationParameters,
	authorization: string | undefined,
	helpers: unknown,
): Promise<{ token: string; caller: CallerClaims }> {
	const { authority, settings } = validationFrom(credential, parameters);
	const token = bearerTokenOf(authorization);
	const caller = await withEgressFilter(
		egressFilterOf(helpers),
		async () => await validateAccessToken(token, signingKeysFor(authority), settings),
	);
	return { token, caller };
}

/** What the caller's token must carry: the same fields in the trigger and in Validate Token. */
export const permissionProperties: INodeProperties[] = [
	{
		displayName: 'Required Scopes',
		name: 'requiredScopes',
		type: 'string',
		default: '',
		placeholder: 'e.g. access_as_user',
		description:
			"A person's token must carry at least one of these delegated permissions (scp), separated by spaces or commas",
	},
	{
		displayName: 'Required App Roles',
		name: 'requiredRoles',
		type: 'string',
		default: '',
		placeholder: 'e.g. Orders.Write.All',
		description:
			"An app's token must carry at least one of these app roles (roles). Both empty: the token must carry some scope or app role of this API (see Accept Tokens Without Scopes or Roles).",
	},
];

/** The validation options shared by the trigger and Validate Token (each adds its own). */
export const validationOptions: INodeProperties[] = [
	{
		displayName: 'Accept Tokens Without Scopes or Roles',
		name: 'acceptTokensWithoutPermissions',
		type: 'boolean',
		default: false,
		description:
			'Whether to accept a token that carries neither delegated scopes (scp) nor app roles (roles) when Required Scopes and Required App Roles are empty. Any app registered in a tenant can get such an app-only token for this API; leave off unless Allowed Client Apps or the workflow decides who may call.',
	},
	{
		displayName: 'Allowed Client Apps',
		name: 'allowedClientApps',
		type: 'string',
		default: '',
		placeholder: 'e.g. 04b07795-8ddb-461a-bbee-02f9e1bf7b46',
		description:
			"Client IDs of the apps that may call this API (the token's azp or appid), separated by spaces or commas. Empty: any app.",
	},
	{
		displayName: 'Allowed Tenants',
		name: 'allowedTenants',
		type: 'string',
		default: '',
		placeholder: 'e.g. 72f988bf-86f1-41af-91ab-2d7cd011db47, *',
		description:
			"Multi-tenant APIs: tenant IDs whose users and apps may call, besides the credential's tenant (* for any)",
	},
	{
		displayName: 'Audiences',
		name: 'audiences',
		type: 'string',
		default: '',
		placeholder: 'e.g. api://contoso-n8n',
		description:
			'Accepted token audiences besides the client ID and api://&lt;client ID&gt;, e.g. a custom Application ID URI',
	},
	{
		displayName: 'Clock Skew (Seconds)',
		name: 'clockSkewSeconds',
		type: 'number',
		default: 60,
		typeOptions: { minValue: 0, maxValue: 600 },
		description: 'Tolerance for the token lifetime checks',
	},
	{
		displayName: 'Include Token',
		name: 'includeToken',
		type: 'boolean',
		default: false,
		description:
			'Whether to output the caller\'s token (field "token"), e.g. for an On Behalf Of call. It then appears in the execution data.',
	},
];
