import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { acquireAppToken, type ClientAuthentication, type ClientCredentialsSettings } from '../core/clientCredentials';
import type { TokenOutcome, TokenRequest } from '../core/tokenResult';
import { appSettingsFrom, text } from './credentialFields';

/** n8n credential data → the core's plain settings. */
export function clientCredentialsSettingsFrom(data: ICredentialDataDecryptedObject): ClientCredentialsSettings {
	const method = text(data.clientAuthentication) || 'secret';
	let authentication: ClientAuthentication;
	if (method === 'certificate') {
		authentication = {
			method,
			privateKey: text(data.privateKey),
			certificate: text(data.certificate),
			passphrase: text(data.privateKeyPassphrase) || undefined,
			sendX5c: data.sendX5c === true,
		};
	} else if (method === 'assertion') {
		authentication = { method, clientAssertion: text(data.clientAssertion) };
	} else {
		authentication = { method: 'secret', clientSecret: text(data.clientSecret) };
	}
	return {
		...appSettingsFrom(data),
		authentication,
		scopes: text(data.scopes),
	};
}

export async function acquireAppTokenForCredential(
	data: ICredentialDataDecryptedObject,
	storedCache: string | undefined,
	request: TokenRequest,
): Promise<TokenOutcome> {
	return await acquireAppToken(clientCredentialsSettingsFrom(data), storedCache, request);
}
