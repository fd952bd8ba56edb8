import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { acquireAppToken, type ClientAuthentication, type ClientCredentialsSettings } from '../core/clientCredentials';
import type { Acquirer } from './credentialStore';
import { appSettingsFrom, text } from './credentialFields';
import { describeForCredentialTest } from './itemErrors';
import { workloadIdentityFromEnvironment } from '../core/workloadIdentityEnvironment';

/** n8n credential data → the core's plain settings. */
export function clientCredentialsSettingsFrom(data: ICredentialDataDecryptedObject): ClientCredentialsSettings {
	const method = text(data.clientAuthentication) || 'secret';
	let authentication: ClientAuthentication;
	if (method === 'certificate') {
		authentication = {
			method,
			privateKey: text(data.privateKey),
			certificate: text(data.publicCertificate),
			passphrase: text(data.privateKeyPassphrase) || undefined,
			sendX5c: data.sendX5c === true,
		};
	} else if (method === 'workloadIdentity') {
		return {
			...workloadIdentityFromEnvironment(appSettingsFrom(data)),
			authentication: { method: 'assertionFile', tokenFilePath: text(data.assertionFilePath), fromEnvironment: true },
			scopes: text(data.scopes),
			allowedTenants: text(data.allowedTenants),
		};
	} else if (method === 'assertion' && data.assertionSource === 'tokenFile') {
		authentication = { method: 'assertionFile', tokenFilePath: text(data.assertionFilePath) };
	} else if (method === 'assertion') {
		authentication = { method, clientAssertion: text(data.clientAssertionToken) };
	} else {
		authentication = { method: 'secret', clientSecret: text(data.clientSecret) };
	}
	return {
		...appSettingsFrom(data),
		authentication,
		scopes: text(data.scopes),
		allowedTenants: text(data.allowedTenants),
	};
}

/** The credential type's acquirer: the app token, from the cache while it is valid. */
export const clientCredentialsAcquirer: Acquirer = async (data, storedCache, request) =>
	await acquireAppToken(clientCredentialsSettingsFrom(data), storedCache, request);

/**
 * The credential dialog's Test button. It asks the identity provider for a new token (not the
 * cache), so a wrong or expired secret is found now and not at 3 a.m. Nothing is saved.
 */
export async function clientCredentialsTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const { token } = await clientCredentialsAcquirer(credential.data ?? {}, undefined, { forceRefresh: true });
		return {
			status: 'OK',
			message: `Token obtained for ${token.scopes.join(' ')} (tenant ${token.tenantId || 'n/a'}), valid until ${token.expiresOn}.`,
		};
	} catch (error) {
		return { status: 'Error', message: describeForCredentialTest(error) };
	}
}
