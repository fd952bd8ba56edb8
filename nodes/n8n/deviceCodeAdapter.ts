import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { parseAllowedAccounts, usernameAllowListWarning } from '../core/allowedAccounts';
import { boundTenantId, cachedTokenStatus, selectAccount } from '../core/delegated';
import { acquireDeviceCodeToken, prepareDeviceCodeApp, type DeviceCodeSettings } from '../core/deviceCode/signInFlow';
import type { SignInMode } from '../core/signIn';
import { storedCacheOf, type Acquirer } from './credentialStore';
import { text } from './credentialFields';
import { delegatedSettingsFrom, listAccountsOf, withPendingSignIn, type DelegatedAppFrom } from './delegatedAdapter';
import { describeForCredentialTest } from './itemErrors';

/** n8n credential data → the device-code core's settings. */
export function deviceCodeSettingsFrom(data: ICredentialDataDecryptedObject): DeviceCodeSettings {
	const minutes = Number(data.signInTimeoutMinutes ?? 0);
	return {
		...delegatedSettingsFrom(data),
		signInMode: (text(data.signInMode) || 'stop') as SignInMode,
		allowedAccounts: parseAllowedAccounts(text(data.allowedAccounts)),
		signInTimeoutSeconds: Number.isFinite(minutes) && minutes > 0 ? minutes * 60 : undefined,
	};
}

export const deviceCodeAppFrom: DelegatedAppFrom = (data) => prepareDeviceCodeApp(deviceCodeSettingsFrom(data));

/** The credential type's acquirer: silent first, then the device-code sign-in; keeps the pending sign-in field. */
export const deviceCodeAcquirer: Acquirer = async (data, storedCache, request) =>
	await withPendingSignIn(data, (storedPending) =>
		acquireDeviceCodeToken(deviceCodeSettingsFrom(data), storedCache, storedPending, request),
	);

/**
 * The credential dialog's Test button: is someone signed in, and can a token be had without
 * them? It reads the stored cache (n8n passes the saved data merged with the form) and makes
 * no request: using the refresh token here would rotate it without saving the new one.
 */
export async function deviceCodeTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	const result = await deviceCodeTestResult(data);
	const warning = usernameAllowListWarning(
		parseAllowedAccounts(text(data.allowedAccounts)),
		boundTenantId(delegatedSettingsFrom(data)),
	);
	return warning ? { ...result, message: `${result.message} ${warning}` } : result;
}

async function deviceCodeTestResult(data: ICredentialDataDecryptedObject): Promise<INodeCredentialTestResult> {
	try {
		const settings = deviceCodeSettingsFrom(data);
		const { accounts } = await listAccountsOf(deviceCodeAppFrom, data);
		if (accounts.length === 0) {
			return {
				status: 'Error',
				message:
					'The settings are valid, but nobody has signed in with this credential yet. Run a node that uses it (e.g. Acquire Token): its error shows the sign-in URL and code; after signing in, run it again.',
			};
		}
		const chosen = selectAccount(
			accounts.map((a) => ({ ...a, localAccountId: '' })),
			settings.account,
		);
		const names = accounts.map((a) => a.username).join(', ');
		if (!chosen) {
			return {
				status: 'Error',
				message: `Signed in: ${names}, but not ${settings.account} (field: Account). Sign in as ${settings.account} or change Account.`,
			};
		}
		const status = cachedTokenStatus(deviceCodeAppFrom(data), storedCacheOf(data), chosen.homeAccountId);
		if (status.accessTokenValidUntil) {
			return {
				status: 'OK',
				message: `Signed in as ${chosen.username} (signed in: ${names}). A cached token is valid until ${status.accessTokenValidUntil}; the next run needs no request.`,
			};
		}
		if (status.hasRefreshToken) {
			return {
				status: 'OK',
				message: `Signed in as ${chosen.username} (signed in: ${names}). The next run renews the token silently with the cached refresh token (not tried here: the test cannot save a renewed one). If the refresh token was revoked or expired, the run asks for a new sign-in.`,
			};
		}
		return {
			status: 'Error',
			message: `${chosen.username} is in the cache but without a refresh token: run a node that uses the credential to sign in again.`,
		};
	} catch (error) {
		return { status: 'Error', message: describeForCredentialTest(error) };
	}
}
