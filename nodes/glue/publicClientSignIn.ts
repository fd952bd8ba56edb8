import { AsyncLocalStorage } from 'node:async_hooks';
import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestOptions, IWebhookFunctions } from 'n8n-workflow';
import { beginAuthCodeSignIn, completeAuthCodeSignIn, livePendingSignIns, SignInCallbackError, type AuthCodeCallback, type CompletedSignIn } from '../core/authCode';
import { CACHE_MARKER_FIELD, TOKEN_CACHE_FIELD, authenticateRequest, preAuthenticate } from './credentialCacheStore';
import {
	PENDING_SIGN_INS_FIELD,
	PUBLIC_CLIENT_CREDENTIAL_TYPE,
	acquirePublicClientTokenForCredential,
	preparePublicClient,
	publicClientSettingsFrom,
} from './publicClientSettings';

/**
 * The browser sign-in's two steps, run by the sign-in webhook, write to the credential through
 * the same public path as token acquisition: the credential's `preAuthentication`, reached with
 * `httpRequestWithAuthentication` on a request that `authenticate` stops before it leaves.
 *   begin    → stores a pending sign-in (state + PKCE verifier, encrypted by n8n)
 *   complete → redeems the code and stores the new token cache, minus that pending sign-in
 * A step that fails returns nothing to n8n, so nothing is written.
 */
export type SignInOperation =
	| { kind: 'begin'; scopes?: string; claims?: string; loginHint?: string }
	| { kind: 'complete'; callback: AuthCodeCallback };

export type SignInOperationResult = { kind: 'begin'; authorizeUrl: string } | ({ kind: 'complete' } & Omit<CompletedSignIn, 'cacheToStore' | 'pending'>);

interface PendingOperation {
	operation: SignInOperation;
	result?: SignInOperationResult;
	error?: unknown;
}

const CONTEXT_KEY = Symbol.for('n8n-nodes-msal.pendingSignInOperation');
const globals = globalThis as Record<symbol, unknown>;
const operationContext = (globals[CONTEXT_KEY] ??= new AsyncLocalStorage<PendingOperation>()) as AsyncLocalStorage<PendingOperation>;

const SIGN_IN_ONLY_URL = 'https://sign-in-only.n8n-nodes-msal.invalid/';

class SignInRequestStopped extends Error {}

const storedCacheOf = (credentials: ICredentialDataDecryptedObject): string | undefined => {
	const value = credentials[TOKEN_CACHE_FIELD];
	return typeof value === 'string' && value !== '' ? value : undefined;
};

async function runOperation(credentials: ICredentialDataDecryptedObject, operation: SignInOperation): Promise<{ result: SignInOperationResult; save: IDataObject }> {
	const settings = publicClientSettingsFrom(credentials);
	const prepared = preparePublicClient(settings);
	const storedCache = storedCacheOf(credentials);
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
		return {
			result: { kind: 'begin', authorizeUrl: begun.authorizeUrl },
			save: { [CACHE_MARKER_FIELD]: '', [PENDING_SIGN_INS_FIELD]: JSON.stringify(begun.pending) },
		};
	}
	const completed = await completeAuthCodeSignIn(prepared, storedCache, pending, operation.callback, { allowedAccounts: settings.allowedAccounts });
	const { cacheToStore, pending: remaining, ...rest } = completed;
	return {
		result: { kind: 'complete', ...rest },
		save: { [CACHE_MARKER_FIELD]: '', [TOKEN_CACHE_FIELD]: cacheToStore, [PENDING_SIGN_INS_FIELD]: JSON.stringify(remaining) },
	};
}

/** Body of the public-client credential's `preAuthentication`. */
export async function preAuthenticatePublicClient(credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
	const pending = operationContext.getStore();
	if (!pending) return await preAuthenticate(credentials, acquirePublicClientTokenForCredential);
	if (pending.result || pending.error) return {}; // n8n's retry after a failure: do not run twice
	try {
		const { result, save } = await runOperation(credentials, pending.operation);
		pending.result = result;
		return save;
	} catch (error) {
		pending.error = error;
		throw error;
	}
}

/** Body of the public-client credential's `authenticate`. */
export async function authenticatePublicClient(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
	if (requestOptions.url === SIGN_IN_ONLY_URL) throw new SignInRequestStopped('sign-in step done; request not sent');
	return await authenticateRequest(credentials, requestOptions, acquirePublicClientTokenForCredential);
}

/** Runs one sign-in step from the webhook, persisted through n8n's credential store. */
export async function runSignInOperation(context: IWebhookFunctions, operation: SignInOperation): Promise<SignInOperationResult> {
	const pending: PendingOperation = { operation };
	try {
		await operationContext.run(pending, () =>
			context.helpers.httpRequestWithAuthentication.call(context, PUBLIC_CLIENT_CREDENTIAL_TYPE, { url: SIGN_IN_ONLY_URL, method: 'GET' }),
		);
	} catch (error) {
		if (!pending.result && !pending.error) pending.error = error;
	}
	if (pending.error !== undefined) throw pending.error;
	if (!pending.result) throw new Error('The sign-in step did not run (the credential type did not run).');
	return pending.result;
}
