import type { ICredentialDataDecryptedObject, ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { readEnvelope } from '../core/cacheEnvelope';
import { acquireDeviceCodeToken, prepareDeviceCodeApp, type DeviceCodeSettings, type DeviceCodeTokenRequest, type SignInMode } from '../core/deviceCode';
import { selectAccount } from '../core/delegated';
import type { TokenRequest } from '../core/tokenResult';
import { TOKEN_CACHE_FIELD, type Acquirer } from './credentialCacheStore';
import { text } from './credentialFields';
import { DELEGATED_CREDENTIALS, delegatedSettingsFrom, listAccountsOf, withPendingSignIn } from './delegatedCredential';
import { describeForCredentialTest } from './nodeErrors';

export const DEVICE_CODE_CREDENTIAL = 'msalDeviceCodeApi';

/** n8n credential data → the device-code core's settings. */
export function deviceCodeSettingsFrom(data: ICredentialDataDecryptedObject): DeviceCodeSettings {
	const minutes = Number(data.signInTimeoutMinutes ?? 0);
	return {
		...delegatedSettingsFrom(data),
		signInMode: (text(data.signInMode) || 'stop') as SignInMode,
		signInTimeoutSeconds: Number.isFinite(minutes) && minutes > 0 ? minutes * 60 : undefined,
	};
}

/** The credential type's acquirer: silent first, then the device-code sign-in; keeps the pending sign-in field. */
export const acquireDeviceCodeForCredential: Acquirer = async (data, storedCache, request: TokenRequest) =>
	await withPendingSignIn(data, (storedPending) => acquireDeviceCodeToken(deviceCodeSettingsFrom(data), storedCache, storedPending, request as DeviceCodeTokenRequest));

DELEGATED_CREDENTIALS[DEVICE_CODE_CREDENTIAL] = { prepare: (data) => prepareDeviceCodeApp(deviceCodeSettingsFrom(data)) };

/**
 * The credential dialog's Test button: is someone signed in, and can a token be had without
 * them? It reads the stored cache (n8n passes the saved data merged with the form) and makes
 * no request: using the refresh token here would rotate it without saving the new one.
 */
export async function testDeviceCode(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	try {
		const settings = deviceCodeSettingsFrom(data);
		const prepared = prepareDeviceCodeApp(settings);
		const { accounts } = await listAccountsOf(DEVICE_CODE_CREDENTIAL, data);
		if (accounts.length === 0) {
			return {
				status: 'Error',
				message:
					'The settings are valid, but nobody has signed in with this credential yet. Run a node that uses it (e.g. Acquire Token): its error shows the sign-in URL and code; after signing in, run it again.',
			};
		}
		let chosen;
		try {
			chosen = selectAccount(
				accounts.map((a) => ({ ...a, localAccountId: '' })),
				settings.account,
			);
		} catch (error) {
			return { status: 'Error', message: describeForCredentialTest(error) };
		}
		const names = accounts.map((a) => a.username).join(', ');
		if (!chosen) {
			return { status: 'Error', message: `Signed in: ${names}, but not ${settings.account} (field: Account). Sign in as ${settings.account} or change Account.` };
		}
		const envelope = readEnvelope(data[TOKEN_CACHE_FIELD], prepared.owner, prepared.clientId);
		const msal = envelope.kind === 'ok' ? (envelope.envelope.msal as CacheShape) : {};
		const now = Date.now() / 1000;
		const validUntil = Object.values(msal.AccessToken ?? {})
			.filter((t) => t.home_account_id === chosen.homeAccountId && Number(t.expires_on) - now > 300)
			.map((t) => Number(t.expires_on))
			.sort((a, b) => b - a)[0];
		const hasRefreshToken = Object.values(msal.RefreshToken ?? {}).some((t) => t.home_account_id === chosen.homeAccountId);
		if (validUntil) {
			return { status: 'OK', message: `Signed in as ${chosen.username} (signed in: ${names}). A cached token is valid until ${new Date(validUntil * 1000).toISOString()}; the next run needs no request.` };
		}
		if (hasRefreshToken) {
			return {
				status: 'OK',
				message: `Signed in as ${chosen.username} (signed in: ${names}). The next run renews the token silently with the cached refresh token (not tried here: the test cannot save a renewed one). If the refresh token was revoked or expired, the run asks for a new sign-in.`,
			};
		}
		return { status: 'Error', message: `${chosen.username} is in the cache but without a refresh token: run a node that uses the credential to sign in again.` };
	} catch (error) {
		return { status: 'Error', message: describeForCredentialTest(error) };
	}
}

interface CacheShape {
	AccessToken?: Record<string, { home_account_id: string; expires_on: string }>;
	RefreshToken?: Record<string, { home_account_id: string }>;
}
