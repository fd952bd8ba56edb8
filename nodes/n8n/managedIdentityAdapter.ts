import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { ApiCallError } from '../core/http/apiError';
import {
	acquireManagedIdentityToken,
	detectedSource,
	identityOfToken,
	type IdentityType,
	type ManagedIdentitySettings,
} from '../core/managedIdentity/managedIdentity';
import type { Acquirer } from './credentialStore';
import { text } from './credentialFields';
import { describeForCredentialTest } from './itemErrors';

const ID_FIELD_OF: Record<string, string> = {
	userClientId: 'userAssignedClientId',
	userResourceId: 'userAssignedResourceId',
	userObjectId: 'userAssignedObjectId',
};

/** n8n credential data → the core's plain settings. */
export function managedIdentitySettingsFrom(data: ICredentialDataDecryptedObject): ManagedIdentitySettings {
	const identityType = (text(data.identityType) || 'system') as IdentityType;
	const idField = ID_FIELD_OF[identityType];
	return { identityType, identityId: idField ? text(data[idField]) : '', scopes: text(data.scopes) };
}

/** The credential type's acquirer. Nothing is stored: MSAL's in-process cache is the cache. */
export const managedIdentityAcquirer: Acquirer = async (data, _storedCache, request) =>
	await acquireManagedIdentityToken(managedIdentitySettingsFrom(data), request);

/**
 * The credential dialog's Test button: a new token from the endpoint (not the cache), and which
 * source answered for which identity.
 */
export async function managedIdentityTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const settings = managedIdentitySettingsFrom(credential.data ?? {});
	try {
		const { token } = await acquireManagedIdentityToken(settings, { forceRefresh: true });
		return {
			status: 'OK',
			message: `Managed identity source: ${detectedSource(settings)}. Token for ${token.scopes.join(' ')} issued to ${identityOfToken(token.accessToken)}, valid until ${token.expiresOn}.`,
		};
	} catch (error) {
		return { status: 'Error', message: describeForCredentialTest(error) };
	}
}

/** A 403 from the API, said for a managed identity: it is the identity that lacks the permission. */
export function explainManagedIdentityApiError(error: unknown): unknown {
	if (!(error instanceof ApiCallError) || error.status !== 403) return error;
	return new ApiCallError(
		`${error.message} The managed identity has no access to this API.`,
		"Grant the managed identity the API's application permission (app role; for Microsoft Graph with PowerShell or the Graph API: New-MgServicePrincipalAppRoleAssignment for the identity's service principal), or an Azure RBAC role on the resource for Azure Resource Manager, Key Vault or Storage. New grants can take a few minutes, and a cached token keeps its old roles until it expires.",
		error.status,
		error.code,
		error.apiMessage,
		error.requestId,
		error.clientRequestId,
		error.body,
	);
}
