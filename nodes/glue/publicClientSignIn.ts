import type { ICredentialDataDecryptedObject, IWebhookFunctions } from 'n8n-workflow';
import { beginAuthCodeSignIn, completeAuthCodeSignIn, livePendingSignIns, SignInCallbackError, type AuthCodeCallback, type CompletedSignIn } from '../core/authCode';
import { runThroughCredentialStore, type StoreWork } from './credentialCacheStore';
import { PENDING_SIGN_INS_FIELD, PUBLIC_CLIENT_CREDENTIAL_TYPE, preparePublicClient, publicClientSettingsFrom } from './publicClientSettings';

/**
 * The browser sign-in's two steps, run by the sign-in webhook, write to the credential through
 * the same public path as token acquisition (runThroughCredentialStore):
 *   begin    → stores a pending sign-in (state + PKCE verifier, encrypted by n8n)
 *   complete → redeems the code and stores the new token cache, minus that pending sign-in
 * A step that fails returns nothing to n8n, so nothing is written.
 */
export type SignInOperation =
	| { kind: 'begin'; scopes?: string; claims?: string; loginHint?: string }
	| { kind: 'complete'; callback: AuthCodeCallback };

export type SignInOperationResult = { kind: 'begin'; authorizeUrl: string } | ({ kind: 'complete' } & Omit<CompletedSignIn, 'cacheToStore' | 'pending'>);

/** One sign-in step against the credential's stored data; what it returns is saved by n8n. */
async function signInStep(
	operation: SignInOperation,
	credentials: ICredentialDataDecryptedObject,
	storedCache: string | undefined,
): ReturnType<StoreWork<SignInOperationResult>> {
	const settings = publicClientSettingsFrom(credentials);
	const prepared = preparePublicClient(settings);
	const pending = livePendingSignIns(credentials[PENDING_SIGN_INS_FIELD]);
	if (settings.allowedAccounts.length === 0) {
		// The sign-in link is public: without a list, anyone able to sign in to the app could make
		// the workflows act as them.
		throw new SignInCallbackError(
			'Nobody may sign in through this link yet: the credential\'s Allowed Accounts is empty.',
			'Enter the usernames that may sign in (e.g. alice@contoso.com) in the credential\'s Allowed Accounts.',
			'Allowed Accounts',
		);
	}
	if (operation.kind === 'begin') {
		const begun = await beginAuthCodeSignIn(prepared, settings, storedCache, {
			redirectUri: settings.redirectUri,
			scopes: operation.scopes,
			claims: operation.claims,
			loginHint: operation.loginHint,
			pending,
		});
		return { value: { kind: 'begin', authorizeUrl: begun.authorizeUrl }, fieldsToStore: { [PENDING_SIGN_INS_FIELD]: JSON.stringify(begun.pending) } };
	}
	const completed = await completeAuthCodeSignIn(prepared, storedCache, pending, operation.callback, { allowedAccounts: settings.allowedAccounts });
	const { cacheToStore, pending: remaining, ...rest } = completed;
	return { value: { kind: 'complete', ...rest }, cacheToStore, fieldsToStore: { [PENDING_SIGN_INS_FIELD]: JSON.stringify(remaining) } };
}

/** Runs one sign-in step from the webhook, persisted through n8n's credential store. */
export async function runSignInOperation(context: IWebhookFunctions, operation: SignInOperation): Promise<SignInOperationResult> {
	return await runThroughCredentialStore(context, PUBLIC_CLIENT_CREDENTIAL_TYPE, (credentials, storedCache) => signInStep(operation, credentials, storedCache));
}
