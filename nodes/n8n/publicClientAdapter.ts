import { parseAllowedAccounts, usernameAllowListWarning } from '../core/allowedAccounts';
import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { browserSignInPrompt, validateRedirectUri, type LinkSigning } from '../core/authCode';
import {
	acquireDelegatedToken,
	boundTenantId,
	delegatedScopes,
	listAccounts,
	prepareDelegatedApp,
	type DelegatedSettings,
	type DelegatedTokenRequest,
	type SignInFlow,
} from '../core/delegated';
import { MULTI_TENANT_ALIASES } from '../core/authority';
import { usernamePasswordSignIn } from '../core/usernamePassword';
import { storedCacheOf, type Acquirer } from './credentialStore';
import { delegatedSettingsFrom, type DelegatedAppFrom } from './delegatedAdapter';
import { describeForCredentialTest } from './itemErrors';
import { text } from './credentialFields';
import { SignInKeyNeeded } from '../core/signInState';
import { storedSignInKeys } from './signInKeys';

/**
 * Hidden field where 0.1.0 kept the browser sign-ins begun and not yet completed. Nothing is
 * kept there any more (the state carries it, core/signInState.ts); the field stays declared so
 * that a completed sign-in can clear what an older version left (PKCE verifiers) from records.
 */
export const PENDING_SIGN_INS_FIELD = 'pendingSignIns';

/** Work and school, personal or both: the public client may use Entra's multi-tenant endpoints. */
export const PUBLIC_CLIENT_TENANT_ALIASES = MULTI_TENANT_ALIASES;

export interface PublicClientSettings extends DelegatedSettings {
	redirectUri: string;
	allowedAccounts: string[];
	/** Set only when the credential turns the deprecated username/password flow on. */
	usernamePassword?: { username: string; password: string };
	/** The username/password fields are filled but the flow is off. */
	usernamePasswordIgnored: boolean;
}

/** n8n credential data → the core's plain settings. */
export function publicClientSettingsFrom(data: ICredentialDataDecryptedObject): PublicClientSettings {
	const enabled = data.usernameFlowEnabled === true;
	const username = text(data.username);
	const password = text(data.password);
	return {
		...delegatedSettingsFrom(data),
		redirectUri: text(data.redirectUri).trim(),
		allowedAccounts: parseAllowedAccounts(text(data.allowedAccounts)),
		usernamePassword: enabled ? { username, password } : undefined,
		usernamePasswordIgnored: !enabled && (username !== '' || password !== ''),
	};
}

export const publicClientAppFrom: DelegatedAppFrom = (data) =>
	prepareDelegatedApp(publicClientSettingsFrom(data), 'publicClient', PUBLIC_CLIENT_TENANT_ALIASES);

/** What runs when nothing can be done silently: the password flow if turned on, else the sign-in link. */
export function publicClientSignInFlow(
	settings: PublicClientSettings,
	request: DelegatedTokenRequest,
	signing?: LinkSigning,
): SignInFlow {
	if (settings.usernamePassword) return usernamePasswordSignIn(settings.usernamePassword);
	let credentialScopes: string[] = [];
	try {
		credentialScopes = delegatedScopes(settings.scopes);
	} catch {
		credentialScopes = [];
	}
	return browserSignInPrompt({
		redirectUri: settings.redirectUri,
		credentialScopes,
		account: request.account ?? settings.account,
		signing,
		note: settings.usernamePasswordIgnored
			? '(The username and password stored in the credential were not used: "Sign In With Username and Password" is off.)'
			: undefined,
	});
}

/**
 * Silent-first token for a public-client credential: cached access token, then the refresh
 * token (also for other APIs and scopes), then the sign-in: username/password when the
 * credential turns it on, otherwise a SignInRequiredError whose message carries the sign-in
 * link (with the extra scopes or claims when it is incremental consent or a step-up).
 */
export const publicClientAcquirer: Acquirer = async (data, storedCache, request) => {
	const settings = publicClientSettingsFrom(data);
	const prepared = publicClientAppFrom(data);
	// Without the record (n8n's HTTP Request node), links carry no extras to sign: nothing is signed.
	const record = request.record;
	const signing = record
		? {
				// A record without a key yet: the node creates it and asks again (signInKeys.ts).
				keys: () => storedSignInKeys(data, record) ?? throwSignInKeyNeeded(),
				clientId: prepared.clientId,
				authority: prepared.authority,
				record,
			}
		: undefined;
	return await acquireDelegatedToken(
		prepared,
		settings,
		storedCache,
		request,
		publicClientSignInFlow(settings, request, signing),
	);
};

function throwSignInKeyNeeded(): never {
	throw new SignInKeyNeeded();
}

/**
 * The credential dialog's Test button: are the settings usable, and has someone signed in?
 * Reads the stored cache only (a refresh here would rotate the refresh token without saving it).
 */
export async function publicClientTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	const result = await publicClientTestResult(data);
	const settings = publicClientSettingsFrom(data);
	const warning = usernameAllowListWarning(settings.allowedAccounts, boundTenantId(settings));
	return warning ? { ...result, message: `${result.message} ${warning}` } : result;
}

async function publicClientTestResult(data: ICredentialDataDecryptedObject): Promise<INodeCredentialTestResult> {
	try {
		const settings = publicClientSettingsFrom(data);
		const redirectUri = validateRedirectUri(settings.redirectUri);
		if (settings.usernamePassword) usernamePasswordSignIn(settings.usernamePassword);
		const { accounts } = await listAccounts(publicClientAppFrom(data), storedCacheOf(data));
		if (accounts.length === 0) {
			return {
				status: 'Error',
				message: settings.usernamePassword
					? 'The settings are valid; the first run signs in with the username and password.'
					: `The settings are valid, but nobody has signed in yet. Open ${redirectUri} in a browser (the Microsoft Entra ID Sign-In Trigger's workflow must be active) and sign in.`,
			};
		}
		return { status: 'OK', message: `Signed in: ${accounts.map((a) => a.username).join(', ')}.` };
	} catch (error) {
		return { status: 'Error', message: describeForCredentialTest(error) };
	}
}
