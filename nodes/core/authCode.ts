import { identityRefusal, isAllowedAccount } from './allowedAccounts';
import { randomBytes } from 'node:crypto';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import { AuthError, CryptoProvider, type PublicClientApplication } from '@azure/msal-node';
import { sessionFor, type PreparedApp } from './cacheSession';
import {
	delegatedScopes,
	SignInRequiredError,
	summarizeAccount,
	type AccountSummary,
	type DelegatedSettings,
	type SignInFlow,
	type SignInReason,
} from './delegated';
import { InvalidInputError, MsalNodeError } from './errors';
import { translateMsalError } from './errorTranslation';
import { processWide } from './processWide';
import { parseScopes } from './scopes';
import {
	credentialBinding,
	hasExtras,
	linkSignature,
	openSignInState,
	sealSignInState,
	UsedStates,
	type LinkExtras,
	type SignInKeys,
	type SignInState,
} from './signInState';
import { toTokenResult, type TokenResult } from './tokenResult';
import { quote } from './quote';

/**
 * Browser sign-in (authorization code + PKCE, no client secret) for a workflow engine.
 *
 * The person opens the credential's sign-in link (served by the package's sign-in webhook);
 * `beginAuthCodeSignIn` makes a PKCE verifier and seals it, with the expiry and the scopes,
 * claims and login hint in effect, into the OAuth state (signInState.ts): nothing is written
 * anywhere. The identity provider sends the browser back to the same link with `code` and
 * `state`; `completeAuthCodeSignIn` opens the state, redeems the code on an application
 * detached from the session and adopts its cache. Any failure leaves the stored cache as it was.
 */

/** How long a started sign-in can be completed (Entra's authorization codes live 10 minutes). */
export const SIGN_IN_TTL_MS = 15 * 60_000;

const usedStates = processWide('usedSignInStates', () => new UsedStates());

export interface BeginSignInOptions {
	redirectUri: string;
	keys: SignInKeys;
	/** The credential record (n8n's credential ID) the state is bound to. */
	record: string;
	/** Scopes to ask for; the credential's when empty. */
	scopes?: string | string[];
	/** Claims request (JSON) from a claims challenge, e.g. an MFA step-up. */
	claims?: string;
	loginHint?: string;
	now?: number;
}

/** What the identity provider sent back to the redirect URI. */
export interface AuthCodeCallback {
	code?: string;
	state?: string;
	error?: string;
	error_description?: string;
	error_subcode?: string;
}

export interface CompletedSignIn {
	token: TokenResult;
	account: AccountSummary;
	cacheToStore: string;
	warnings: string[];
}

/** The browser sign-in could not be completed; nothing was written. */
export class SignInCallbackError extends MsalNodeError {}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Redirect URI: absolute https, or http on a loopback host only (Entra's rule). */
export function validateRedirectUri(raw: string | undefined): string {
	const text = (raw ?? '').trim();
	const fix =
		"Enter the production URL of the 'Microsoft Entra ID Sign-In Trigger' of an active workflow that uses this credential, e.g. https://n8n.example.com/webhook/msal-sign-in, and register the same URL in the app registration.";
	if (!text)
		throw new InvalidInputError('Redirect URI is empty, so nobody can sign in with the browser.', fix, 'Redirect URI');
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new InvalidInputError(`Redirect URI ${quote(text)} is not a URL.`, fix, 'Redirect URI');
	}
	if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
		throw new InvalidInputError(
			`Redirect URI must use https (http is allowed only for localhost), got ${quote(`${url.protocol}//${url.host}`)}.`,
			fix,
			'Redirect URI',
		);
	}
	if (url.hash || url.search)
		throw new InvalidInputError('Redirect URI must not have a query or fragment.', fix, 'Redirect URI');
	return url.toString();
}

/** Starts a browser sign-in: the authorize URL for the browser, its state carrying the rest. */
export async function beginAuthCodeSignIn(
	prepared: PreparedApp<PublicClientApplication>,
	settings: DelegatedSettings,
	storedCache: string | undefined,
	options: BeginSignInOptions,
): Promise<{ authorizeUrl: string }> {
	const now = options.now ?? Date.now();
	const redirectUri = validateRedirectUri(options.redirectUri);
	const requested = parseScopes(options.scopes);
	const scopes = delegatedScopes(
		requested.length ? requested : settings.scopes,
		requested.length ? 'scopes' : 'Scopes (credential)',
	);
	const claims = normalizeClaims(options.claims);
	const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
	const loginHint = options.loginHint?.trim() || undefined;
	const state = sealSignInState(
		{
			verifier,
			scopes,
			claims,
			loginHint,
			expiresAt: now + SIGN_IN_TTL_MS,
			nonce: randomBytes(16).toString('base64url'),
		},
		options.keys,
		credentialBinding(prepared.clientId, prepared.authority, redirectUri, options.record),
	);
	const session = sessionFor(prepared, storedCache);
	const app = session.detachedApp(storedCache);
	let authorizeUrl: string;
	try {
		authorizeUrl = await app.getAuthCodeUrl({
			scopes,
			redirectUri,
			codeChallenge: challenge,
			codeChallengeMethod: 'S256',
			state,
			claims,
			loginHint,
			// Let the person pick the account unless we know who must sign in.
			prompt: loginHint ? undefined : 'select_account',
		});
	} catch (error) {
		throw translateMsalError(error, session.failureContext());
	}
	return { authorizeUrl };
}

export interface CompleteSignInOptions {
	/** The credential's Redirect URI: the one the sign-in was started with. */
	redirectUri: string;
	keys: SignInKeys;
	/** The credential record (n8n's credential ID) the sign-in was begun for. */
	record: string;
	allowedAccounts?: string[];
	tenantId?: string;
	now?: number;
}

const AGAIN = 'Open the sign-in link again and complete the sign-in in the same browser tab within 15 minutes.';

/**
 * Checks the identity provider's answer without redeeming it: an error it reports, or a state
 * that this credential did not issue (tampered, foreign, expired). Cheap: run before anything
 * touches the credential store.
 */
export function openCallbackState(
	prepared: PreparedApp<PublicClientApplication>,
	callback: AuthCodeCallback,
	options: Pick<CompleteSignInOptions, 'redirectUri' | 'keys' | 'record' | 'now'>,
): SignInState {
	if (callback.error) throw describeCallbackError(callback);
	if (!callback.state) {
		throw new SignInCallbackError(
			'The sign-in response has no state, so it cannot be matched to a sign-in started here.',
			AGAIN,
		);
	}
	const binding = credentialBinding(
		prepared.clientId,
		prepared.authority,
		validateRedirectUri(options.redirectUri),
		options.record,
	);
	const opened = openSignInState(callback.state, options.keys, binding, options.now);
	if (!opened.ok && opened.reason === 'rotated') {
		throw new SignInCallbackError(
			"This sign-in was started before the credential's sign-in key was replaced (someone signed the credential out since), so it cannot be completed.",
			AGAIN,
		);
	}
	if (!opened.ok && opened.reason === 'expired') {
		throw new SignInCallbackError('The sign-in took too long: it was started more than 15 minutes ago.', AGAIN);
	}
	if (!opened.ok) {
		throw new SignInCallbackError(
			'The sign-in response was not started by this credential (state mismatch): its state was altered, or it belongs to another credential or another n8n instance.',
			AGAIN,
		);
	}
	if (!callback.code) throw new SignInCallbackError('The sign-in response has no authorization code.', AGAIN);
	return opened.state;
}

/** Redeems the code the identity provider sent back; on any failure nothing is written. */
export async function completeAuthCodeSignIn(
	prepared: PreparedApp<PublicClientApplication>,
	storedCache: string | undefined,
	callback: AuthCodeCallback,
	options: CompleteSignInOptions,
): Promise<CompletedSignIn> {
	const now = options.now ?? Date.now();
	const again = AGAIN;
	const started = openCallbackState(prepared, callback, options);
	if (!usedStates.use(started.nonce, started.expiresAt, now)) {
		throw new SignInCallbackError('This sign-in response was already used: each one completes one sign-in.', again);
	}
	const session = sessionFor(prepared, storedCache);
	const app = session.detachedApp(storedCache);
	let result;
	try {
		result = await app.acquireTokenByCode({
			code: callback.code as string,
			codeVerifier: started.verifier,
			redirectUri: validateRedirectUri(options.redirectUri),
			scopes: started.scopes,
			claims: started.claims,
		});
	} catch (error) {
		throw explainRedemptionError(error, translateMsalError(error, session.failureContext()));
	}
	if (!result.account)
		throw new SignInCallbackError('The identity provider returned no account for this sign-in.', again);
	const allowed = options.allowedAccounts ?? [];
	if (allowed.length > 0 && !isAllowedAccount(result.account, allowed)) {
		throw new SignInCallbackError(
			`${quote(result.account.username)} may not sign in to this credential.`,
			"Sign in with an account listed in the credential's Allowed Accounts, or ask its owner to add this one.",
			'Allowed Accounts',
		);
	}
	const refusal = identityRefusal(result.account, await app.getAllAccounts(), options.tenantId);
	if (refusal)
		throw new SignInCallbackError(
			refusal,
			'Sign in with the account the credential is for, or sign the other one out first.',
			'Allowed Accounts',
		);
	const cacheToStore = await session.adopt(storedCache, app.getTokenCache().serialize());
	return {
		token: toTokenResult(result),
		account: summarizeAccount(result.account),
		cacheToStore,
		warnings: [],
	};
}

/** Error codes of a browser sign-in that the shared AADSTS table does not explain. */
const REDEMPTION_ERRORS: Record<string, { explanation: string; fix: string }> = {
	'54005': {
		explanation: 'This authorization code was already redeemed (a sign-in response can be used once).',
		fix: 'Open the sign-in link again to start a new sign-in.',
	},
	'501481': {
		explanation:
			'The PKCE code verifier does not match the code challenge of the sign-in (the response belongs to another sign-in).',
		fix: 'Open the sign-in link again and complete the sign-in in the same browser tab.',
	},
	'500112': {
		explanation: 'The redirect URI does not match the one the sign-in was started with.',
		fix: "Keep the credential's Redirect URI equal to the sign-in trigger's production URL and to the URL registered in the app registration, then sign in again.",
	},
	'50011': {
		explanation: 'The redirect URI is not registered on the app.',
		fix: "Add the credential's Redirect URI to the app registration (Authentication, platform 'Mobile and desktop applications'), then sign in again.",
	},
	'70000': {
		explanation: 'The authorization code is not valid (expired, already used or issued to another app).',
		fix: 'Open the sign-in link again to start a new sign-in.',
	},
};

function explainRedemptionError(raw: unknown, translated: MsalNodeError): MsalNodeError {
	const code = (translated as { aadstsCode?: string }).aadstsCode;
	const known = code ? REDEMPTION_ERRORS[code] : undefined;
	if (known) return new SignInCallbackError(`Sign-in failed: AADSTS${code}: ${known.explanation}`, known.fix);
	if (raw instanceof AuthError && raw.errorCode === 'invalid_grant') {
		return new SignInCallbackError(
			`Sign-in failed: ${translated.message}`,
			'Open the sign-in link again to start a new sign-in.',
		);
	}
	return translated;
}

function describeCallbackError(callback: AuthCodeCallback): SignInCallbackError {
	// Both fields come from the query string: anyone can put text there. Only a protocol error code
	// and an AADSTS number are shown; the identity provider's free text never reaches the page or log.
	const rawError = callback.error ?? '';
	const error = /^[a-z_]{1,64}$/.test(rawError) ? rawError : 'an unrecognized error';
	const aadsts = /\bAADSTS(\d{4,8})\b/.exec(callback.error_description ?? '')?.[0];
	const detail = aadsts ? ` (${aadsts})` : '';
	if (error === 'access_denied' || error === 'consent_required' || aadsts === 'AADSTS65004') {
		return new SignInCallbackError(
			`Sign-in cancelled: the person declined the requested permissions or cancelled the sign-in (${error}${detail}).`,
			'Open the sign-in link again and accept the permissions, or ask an administrator to grant consent for the organization in the app registration (API permissions).',
		);
	}
	return new SignInCallbackError(
		`The identity provider ended the sign-in with ${error}${detail}.`,
		'Fix the cause named above, then open the sign-in link again.',
	);
}

function normalizeClaims(raw: string | undefined): string | undefined {
	const text = (raw ?? '').trim();
	if (!text) return undefined;
	let json = text;
	if (!text.startsWith('{')) {
		// Claims challenges arrive base64-encoded in WWW-Authenticate; accept either form.
		json = Buffer.from(text, 'base64').toString('utf8');
	}
	try {
		JSON.parse(json);
	} catch {
		throw new InvalidInputError(
			'The claims of the sign-in link are neither JSON nor base64-encoded JSON.',
			'Use the sign-in link from the node error as it is.',
			'claims',
		);
	}
	return json;
}

/** What signs a sign-in link: the credential's keys and the credential the link is for. */
export interface LinkSigning {
	/** Asked only when a link has extras to sign; throws SignInKeyNeeded when the record has no key yet. */
	keys: () => SignInKeys;
	clientId: string;
	authority: string;
	/** The credential record (n8n's credential ID): only its own sign-in trigger honours the link. */
	record: string;
}

/**
 * The link a person opens to sign in; extra scopes / claims / login hint when the node needs
 * them, then signed (`sig`): the sign-in page honours extras only from a link signed for this
 * credential, so nobody can send a person a genuine link asking for more.
 */
export function signInLink(
	redirectUri: string,
	extras: { scopes?: string[]; claims?: string; loginHint?: string } = {},
	signing?: LinkSigning,
): string {
	const url = new URL(redirectUri);
	const query: LinkExtras = {
		scopes: extras.scopes?.length ? extras.scopes.join(' ') : undefined,
		claims: extras.claims ? Buffer.from(extras.claims, 'utf8').toString('base64url') : undefined,
		loginHint: extras.loginHint || undefined,
	};
	if (query.scopes) url.searchParams.set('scopes', query.scopes);
	if (query.claims) url.searchParams.set('claims', query.claims);
	if (query.loginHint) url.searchParams.set('login_hint', query.loginHint);
	if (signing && hasExtras(query)) {
		const binding = credentialBinding(
			signing.clientId,
			signing.authority,
			validateRedirectUri(redirectUri),
			signing.record,
		);
		url.searchParams.set('sig', linkSignature(query, signing.keys(), binding));
	}
	return url.toString();
}

export interface PromptOptions {
	/** The credential's Redirect URI (the sign-in webhook); empty when not set up. */
	redirectUri: string;
	/** The credential's own scopes: a link for them needs no scopes parameter. */
	credentialScopes: string[];
	/** Who is signed in now, if anyone (to hint the same account). */
	account?: string;
	/** Appended to the message, e.g. why username/password was not used. */
	note?: string;
	/** Signs the link's extras (without it, the page would ignore them). */
	signing?: LinkSigning;
}

/**
 * The interactive "flow" of a workflow engine: it cannot open a browser, so it stops with the
 * sign-in link the person must open (shown in the editor, passed to the error workflow).
 */
export function browserSignInPrompt(options: PromptOptions): SignInFlow {
	return async (app, scopes, reason, claims) => {
		let account = options.account;
		if (!account && reason !== 'no-account') {
			const accounts = await app.getAllAccounts();
			if (accounts.length === 1) account = accounts[0].username;
		}
		throw signInRequired({ ...options, account }, scopes, reason, claims);
	};
}

export function signInRequired(
	options: PromptOptions,
	scopes: string[],
	reason: SignInReason,
	claims?: string,
): SignInRequiredError {
	const sameAsCredential =
		scopes.length === options.credentialScopes.length && scopes.every((s) => options.credentialScopes.includes(s));
	let redirectUri: string | undefined;
	try {
		redirectUri = validateRedirectUri(options.redirectUri);
	} catch {
		redirectUri = undefined;
	}
	const who = options.account ? `${options.account}` : 'the person';
	const why =
		reason === 'no-account'
			? 'nobody has signed in to this credential yet'
			: reason === 'claims'
				? `the API requires a stronger sign-in from ${who} (claims challenge, e.g. multi-factor authentication)`
				: `${who} must sign in again or consent to ${scopes.join(' ')} (the identity provider requires interaction)`;
	const note = options.note ? ` ${options.note}` : '';
	if (!redirectUri) {
		return new SignInRequiredError(
			`Sign-in needed: ${why}, and the credential has no valid Redirect URI for the browser sign-in.${note}`,
			"Add a 'Microsoft Entra ID Sign-In Trigger' using this credential to a workflow, activate it, put its production URL in the credential's Redirect URI and in the app registration, then open that URL in a browser.",
			reason,
		);
	}
	const link = signInLink(
		redirectUri,
		{
			scopes: sameAsCredential ? undefined : scopes,
			claims,
			loginHint: reason === 'no-account' ? undefined : options.account,
		},
		options.signing,
	);
	return new SignInRequiredError(
		`Sign-in needed: ${why}. Open ${link} in a browser and sign in; later runs then work without asking.${note}`,
		"The link is served by the active 'Microsoft Entra ID Sign-In Trigger' of this credential. In unattended runs, send this message to the person from the workflow's error workflow.",
		reason,
	);
}
