import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { resolveAuthority, validateClientId } from '../core/authority';
import type { TokenValidationSettings } from '../core/entraApi/validateToken';
import { appSettingsFrom } from '../n8n/credentialFields';

/** The trigger's parameters that shape validation, as read from n8n. */
export interface ValidationParameters {
	requiredScopes: string;
	requiredRoles: string;
	audiences?: string;
	allowedTenants?: string;
	clockSkewSeconds?: number;
}

const list = (value: string | undefined): string[] =>
	(value ?? '')
		.split(/[\s,]+/)
		.map((item) => item.trim())
		.filter(Boolean);

/**
 * The API's app registration (the client-credentials credential) and the trigger's parameters →
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
			clockSkewSeconds: parameters.clockSkewSeconds ?? 60,
			cloud: app.cloud,
		},
	};
}
