import { boundTenantId } from '../core/delegated';
import type { ICredentialDataDecryptedObject, IWebhookFunctions } from 'n8n-workflow';
import {
	beginAuthCodeSignIn,
	completeAuthCodeSignIn,
	livePendingSignIns,
	SignInCallbackError,
	type AuthCodeCallback,
	type CompletedSignIn,
} from '../core/authCode';
import { runThroughCredentialStore } from '../n8n/credentialStore';
import { PUBLIC_CLIENT_CREDENTIAL_TYPE } from '../n8n/credentialTypes';
import {
	PENDING_SIGN_INS_FIELD,
	publicClientAppFrom,
	publicClientSettingsFrom,
	type PublicClientSettings,
} from '../n8n/publicClientAdapter';

/**
 * The browser sign-in's two steps, run by the sign-in trigger, write to the credential through
 * the same public path as token acquisition (runThroughCredentialStore):
 *   begin    → stores a pending sign-in (state + PKCE verifier, encrypted by n8n)
 *   complete → redeems the code and stores the new token cache, minus that pending sign-in
 * A step that fails returns nothing to n8n, so nothing is written.
 */

export interface BeginSignInRequest {
	scopes?: string;
	claims?: string;
	loginHint?: string;
}

export type CompletedSignInSummary = Omit<CompletedSignIn, 'cacheToStore' | 'pending'>;

/** Starts a sign-in: returns the identity provider's authorize URL to send the person to. */
export async function beginSignIn(context: IWebhookFunctions, request: BeginSignInRequest): Promise<string> {
	return await runThroughCredentialStore(context, PUBLIC_CLIENT_CREDENTIAL_TYPE, async (credentials, storedCache) => {
		const settings = signInSettingsOf(credentials);
		const begun = await beginAuthCodeSignIn(publicClientAppFrom(credentials), settings, storedCache, {
			redirectUri: settings.redirectUri,
			scopes: request.scopes,
			claims: request.claims,
			loginHint: request.loginHint,
			pending: livePendingSignIns(credentials[PENDING_SIGN_INS_FIELD]),
		});
		return { value: begun.authorizeUrl, fieldsToStore: { [PENDING_SIGN_INS_FIELD]: JSON.stringify(begun.pending) } };
	});
}

/** Redeems the identity provider's answer: the new cache is saved, the pending sign-in dropped. */
export async function completeSignIn(
	context: IWebhookFunctions,
	callback: AuthCodeCallback,
): Promise<CompletedSignInSummary> {
	return await runThroughCredentialStore(context, PUBLIC_CLIENT_CREDENTIAL_TYPE, async (credentials, storedCache) => {
		const settings = signInSettingsOf(credentials);
		const pending = livePendingSignIns(credentials[PENDING_SIGN_INS_FIELD]);
		const completed = await completeAuthCodeSignIn(publicClientAppFrom(credentials), storedCache, pending, callback, {
			allowedAccounts: settings.allowedAccounts,
			tenantId: boundTenantId(settings),
		});
		const { cacheToStore, pending: remaining, ...summary } = completed;
		return { value: summary, cacheToStore, fieldsToStore: { [PENDING_SIGN_INS_FIELD]: JSON.stringify(remaining) } };
	});
}

function signInSettingsOf(credentials: ICredentialDataDecryptedObject): PublicClientSettings {
	const settings = publicClientSettingsFrom(credentials);
	if (settings.allowedAccounts.length === 0) {
		// The sign-in link is public: without a list, anyone able to sign in to the app could make
		// the workflows act as them.
		throw new SignInCallbackError(
			"Nobody may sign in through this link yet: the credential's Allowed Accounts is empty.",
			"Enter the usernames that may sign in (e.g. alice@contoso.com) in the credential's Allowed Accounts.",
			'Allowed Accounts',
		);
	}
	return settings;
}
