import { boundTenantId } from '../core/delegated';
import type { ICredentialDataDecryptedObject, IHookFunctions, IWebhookFunctions } from 'n8n-workflow';
import {
	beginAuthCodeSignIn,
	completeAuthCodeSignIn,
	openCallbackState,
	SignInCallbackError,
	validateRedirectUri,
	type AuthCodeCallback,
	type CompletedSignIn,
} from '../core/authCode';
import { describeError, MsalNodeError } from '../core/errors';
import { escapeForLog } from '../core/logging';
import { processWide } from '../core/processWide';
import {
	credentialBinding,
	deriveSignInKeys,
	hasExtras,
	isSignedBeforeRotation,
	isSignedLink,
	newSignInSecret,
	type LinkExtras,
} from '../core/signInState';
import { TokenBuckets } from '../core/tokenBucket';
import { runThroughCredentialStore, storedCacheOf, type FieldsToStore } from '../n8n/credentialStore';
import { PUBLIC_CLIENT_CREDENTIAL_TYPE } from '../n8n/credentialTypes';
import {
	PENDING_SIGN_INS_FIELD,
	publicClientAppFrom,
	publicClientSettingsFrom,
	type PublicClientSettings,
} from '../n8n/publicClientAdapter';
import { ensureSignInKeys, storedSignInKeys } from '../n8n/signInKeys';
import { assertWithinBoundary } from '../core/resourceBoundary';
import { cloudOf, resourceBoundaryOf } from '../n8n/credentialFields';

/**
 * The browser sign-in's two steps, run by the sign-in trigger:
 *   begin    → writes nothing: the PKCE verifier and the rest travel in the encrypted state
 *              (core/signInState.ts); limited per credential and process (anyone can open the link)
 *   complete → checks the state, redeems the code and stores the new token cache through the
 *              same public path as token acquisition (runThroughCredentialStore)
 * A step that fails returns nothing to n8n, so nothing is written.
 */

export interface BeginSignInRequest extends LinkExtras {
	/** The link's signature: extras are honoured only from a link a node generated. */
	signature?: string;
}

export type CompletedSignInSummary = Omit<CompletedSignIn, 'cacheToStore'>;

/** Sign-ins begun per credential and process: generous for people, a cap for floods. */
export const SIGN_IN_BEGINS_PER_MINUTE = 30;
const beginLimit = processWide(
	'signInBeginLimit',
	() => new TokenBuckets(SIGN_IN_BEGINS_PER_MINUTE, SIGN_IN_BEGINS_PER_MINUTE),
);

/** Too many sign-ins begun for this credential in this process: answered 429 with Retry-After. */
export class SignInRateLimitedError extends MsalNodeError {
	constructor(readonly retryAfterSeconds: number) {
		super(
			'Too many sign-ins were started with this link in the last minute.',
			`Wait ${retryAfterSeconds} seconds, then open the sign-in link again.`,
		);
	}
}

/** The trigger's credential record (n8n's credential ID), when the node names it. */
function recordOf(context: IWebhookFunctions | IHookFunctions): string | undefined {
	return context.getNode().credentials?.[PUBLIC_CLIENT_CREDENTIAL_TYPE]?.id ?? undefined;
}

/** Counts a begin against the credential's limit; throws SignInRateLimitedError beyond it. */
export function limitSignInBegins(context: IWebhookFunctions): void {
	// The node's credential ID: known without reading the record, so a flood costs no database read.
	const credentialId = recordOf(context) ?? context.getNode().id;
	const taken = beginLimit.take(`${credentialId}`);
	if (!taken.ok) throw new SignInRateLimitedError(taken.retryAfterSeconds);
}

/**
 * The trigger's activation: creates the credential's sign-in key when it has none. A failure only
 * warns (the page still works: its first visitor then creates the key).
 */
export async function prepareSignInKey(context: IHookFunctions): Promise<void> {
	const record = recordOf(context);
	if (!record) return;
	try {
		await ensureSignInKeys(context, PUBLIC_CLIENT_CREDENTIAL_TYPE, record);
	} catch (error) {
		context.logger.warn(
			`Microsoft sign-in: the credential's sign-in key was not created at activation (${escapeForLog(describeError(error))}).`,
		);
	}
}

/** Starts a sign-in: returns the identity provider's authorize URL to send the person to. */
export async function beginSignIn(context: IWebhookFunctions, request: BeginSignInRequest): Promise<string> {
	const credentials = await context.getCredentials(PUBLIC_CLIENT_CREDENTIAL_TYPE);
	const settings = signInSettingsOf(credentials);
	const prepared = publicClientAppFrom(credentials);
	const redirectUri = validateRedirectUri(settings.redirectUri);
	const extras: LinkExtras = { scopes: request.scopes, claims: request.claims, loginHint: request.loginHint };
	const record = recordOf(context) ?? '';
	// The trigger's activation created the key; a record that still has none gets it now (once).
	const keys =
		storedSignInKeys(credentials, record) ?? (await ensureSignInKeys(context, PUBLIC_CLIENT_CREDENTIAL_TYPE, record));
	const binding = credentialBinding(prepared.clientId, prepared.authority, redirectUri, record);
	if (hasExtras(extras) && isSignedBeforeRotation(extras, request.signature, keys, binding)) {
		throw new SignInCallbackError(
			'This sign-in link no longer works: the credential was signed out after the link was made, which replaced its sign-in key.',
			`Run the workflow again for a new link, or open ${redirectUri} to sign in with the credential's own permissions.`,
		);
	}
	// Signed for this very record: a look-alike credential (same app, same redirect URI) signs for its own.
	const honoured = record !== '' && isSignedLink(extras, request.signature, keys, binding);
	if (hasExtras(extras) && !honoured) {
		// Anyone can put scopes in a link and send it to an allowed person: only the credential's
		// own scopes are asked for, without claims or login hint.
		context.logger.warn(
			"Microsoft sign-in: the link asks for extra scopes, claims or a login hint but is not one a node generated for this credential (signature missing or wrong); starting a sign-in with the credential's own scopes.",
		);
	}
	// The credential's boundary may have narrowed since the node made the link.
	if (honoured) assertWithinBoundary(extras.scopes, resourceBoundaryOf(credentials), cloudOf(credentials));
	const { authorizeUrl } = await beginAuthCodeSignIn(prepared, settings, storedCacheOf(credentials), {
		redirectUri,
		keys,
		record,
		...(honoured ? { scopes: extras.scopes, claims: extras.claims, loginHint: extras.loginHint } : {}),
	});
	return authorizeUrl;
}

/** Redeems the identity provider's answer: the new cache is saved. */
export async function completeSignIn(
	context: IWebhookFunctions,
	callback: AuthCodeCallback,
): Promise<CompletedSignInSummary> {
	// A forged or stale answer is refused before the credential store is involved.
	const credentials = await context.getCredentials(PUBLIC_CLIENT_CREDENTIAL_TYPE);
	const settings = signInSettingsOf(credentials);
	const record = recordOf(context) ?? '';
	// A record without a key issued no state: a throw-away key refuses every one as not started here.
	const keys = storedSignInKeys(credentials, record) ?? deriveSignInKeys(newSignInSecret(), record);
	openCallbackState(publicClientAppFrom(credentials), callback, { redirectUri: settings.redirectUri, keys, record });
	return await runThroughCredentialStore(context, PUBLIC_CLIENT_CREDENTIAL_TYPE, async (stored, storedCache) => {
		const current = signInSettingsOf(stored);
		const completed = await completeAuthCodeSignIn(publicClientAppFrom(stored), storedCache, callback, {
			redirectUri: current.redirectUri,
			keys,
			record,
			allowedAccounts: current.allowedAccounts,
			tenantId: boundTenantId(current),
		});
		const { cacheToStore, ...summary } = completed;
		// Pending sign-ins an older version kept in the record (PKCE verifiers) go with this write.
		const stalePending = typeof stored[PENDING_SIGN_INS_FIELD] === 'string' && stored[PENDING_SIGN_INS_FIELD] !== '';
		const fieldsToStore: FieldsToStore = stalePending ? { [PENDING_SIGN_INS_FIELD]: '' } : {};
		return { value: summary, cacheToStore, fieldsToStore };
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
