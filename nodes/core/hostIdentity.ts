import { InvalidInputError } from './errors';
import { quote } from './quote';

/**
 * The n8n administrator's settings for what the n8n host lends to credentials: its managed
 * identity, its workload identity (AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_FEDERATED_TOKEN_FILE)
 * and files that hold platform tokens. Nothing in those credentials is secret, so anyone who may
 * create a credential could act as the host; like n8n's N8N_AWS_SYSTEM_CREDENTIALS_ACCESS_ENABLED,
 * it is off until an administrator turns it on. The one place that reads these variables.
 */
export const AMBIENT_IDENTITY_ENABLED_ENV = 'N8N_MSAL_AMBIENT_IDENTITY_ENABLED';
export const AMBIENT_IDENTITY_RESOURCES_ENV = 'N8N_MSAL_AMBIENT_IDENTITY_RESOURCES';
export const FILE_FOLDERS_ENV = 'N8N_MSAL_TOKEN_FILE_PATHS';
export const FEDERATED_TOKEN_FILE_ENV = 'AZURE_FEDERATED_TOKEN_FILE';

/** What the host lends, as the errors name it, and the field that chose it. */
export interface AmbientUse {
	what: string;
	field: string;
}

function setting(name: string): string {
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- administrator settings are environment variables, as n8n's own
	return (process.env[name] ?? '').trim();
}

/** Read as n8n reads a boolean variable (@n8n/config): "true" or "1", in any case. */
export function ambientIdentityEnabled(): boolean {
	return ['true', '1'].includes(setting(AMBIENT_IDENTITY_ENABLED_ENV).toLowerCase());
}

/** Refuses, before anything is read or sent, when the administrator has not turned the host's identity on. */
export function assertAmbientIdentityEnabled(use: AmbientUse): void {
	if (ambientIdentityEnabled()) return;
	throw new InvalidInputError(
		`${use.what} is off on this n8n: it lends the n8n host's own Azure identity to anyone who may create a credential, so it is off until an administrator sets ${AMBIENT_IDENTITY_ENABLED_ENV}=true.`,
		`Ask the n8n administrator to set ${AMBIENT_IDENTITY_ENABLED_ENV}=true in n8n's environment (only where everyone who may create credentials may act as this host; ${AMBIENT_IDENTITY_RESOURCES_ENV} can limit the resources), or use a Client Credentials credential with its own secret or certificate.`,
		use.field,
	);
}

/** `https://graph.microsoft.com/.default`, `https://graph.microsoft.com/` → `https://graph.microsoft.com`. */
function resourceKey(scopeOrResource: string): string {
	return scopeOrResource
		.trim()
		.replace(/\/\.default$/i, '')
		.replace(/\/+$/, '')
		.toLowerCase();
}

/** The resources the administrator allows the host's identity to be used for; empty: any. */
export function allowedAmbientResources(): string[] {
	return setting(AMBIENT_IDENTITY_RESOURCES_ENV)
		.split(/[\s,]+/)
		.map(resourceKey)
		.filter(Boolean);
}

/**
 * Refuses, before any token request, a scope whose resource is not on the administrator's list
 * (when there is one). `field` is where the scope came from (node Scope, the credential's Scopes,
 * or the URL Call API derived it from).
 */
export function assertAmbientResourceAllowed(scopes: string[], field: string): void {
	const allowed = allowedAmbientResources();
	if (allowed.length === 0) return;
	for (const scope of scopes) {
		const resource = resourceKey(scope);
		if (allowed.includes(resource)) continue;
		throw new InvalidInputError(
			`The n8n host's identity may not be used for ${resource ? quote(resource) : 'an empty resource'} (from ${field}): the administrator allows only ${allowed.join(', ')} (${AMBIENT_IDENTITY_RESOURCES_ENV}). No token was requested.`,
			`Use a scope of one of those resources, or ask the n8n administrator to add ${quote(resource)} to ${AMBIENT_IDENTITY_RESOURCES_ENV}.`,
			field,
		);
	}
}

/** The token file the platform names (AKS workload identity sets it), or ''. */
export function platformTokenFile(): string {
	return setting(FEDERATED_TOKEN_FILE_ENV);
}

/** The folders the administrator allows token files to be read from, n8n-style `;`-separated. */
export function tokenFileFolders(): string[] {
	return setting(FILE_FOLDERS_ENV)
		.split(';')
		.map((folder) => folder.trim())
		.filter(Boolean);
}
