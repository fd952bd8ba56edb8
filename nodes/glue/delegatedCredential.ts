import type { PublicClientApplication } from '@azure/msal-node';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import type { PreparedApp } from '../core/cacheSession';
import { listAccounts, signOut, type AccountSummary, type DelegatedSettings } from '../core/delegated';
import type { TokenOutcome } from '../core/tokenResult';
import { SaveThenFail, storedCacheOf, type FieldsToStore } from './credentialCacheStore';
import { appSettingsFrom, text } from './credentialFields';

/**
 * n8n glue shared by the credentials that act for a person (device code now, public client
 * next): their settings, the pending-sign-in field, and the account operations. A delegated
 * credential type registers itself in DELEGATED_CREDENTIALS.
 */

/** Hidden field holding a sign-in started by one run and finished by a later one. */
export const PENDING_SIGN_IN_FIELD = 'pendingSignIn';

/** n8n credential data → the delegated core's settings. */
export function delegatedSettingsFrom(data: ICredentialDataDecryptedObject): DelegatedSettings {
	return {
		...appSettingsFrom(data),
		scopes: text(data.scopes),
		account: text(data.account).trim() || undefined,
	};
}

export function storedPendingOf(data: ICredentialDataDecryptedObject): string | undefined {
	const value = data[PENDING_SIGN_IN_FIELD];
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A core failure that carries a pending sign-in to save ('' clears the saved one). */
interface PendingCarrier {
	pendingToStore: string;
}

function carriesPending(error: unknown): error is PendingCarrier {
	return typeof (error as Partial<PendingCarrier> | null)?.pendingToStore === 'string';
}

/**
 * Runs a delegated acquisition and maps what it says about the pending sign-in onto the
 * credential fields: saved with the cache on success, saved before failing otherwise.
 */
export async function withPendingSignIn(
	data: ICredentialDataDecryptedObject,
	acquire: (storedPending: string | undefined) => Promise<TokenOutcome & { pendingToStore?: string }>,
): Promise<TokenOutcome & { fieldsToStore?: FieldsToStore }> {
	const storedPending = storedPendingOf(data);
	try {
		const outcome = await acquire(storedPending);
		const fieldsToStore = outcome.pendingToStore !== undefined && outcome.pendingToStore !== (storedPending ?? '') ? { [PENDING_SIGN_IN_FIELD]: outcome.pendingToStore } : undefined;
		return { ...outcome, fieldsToStore };
	} catch (error) {
		if (carriesPending(error) && error.pendingToStore !== (storedPending ?? '')) {
			throw new SaveThenFail(error, { [PENDING_SIGN_IN_FIELD]: error.pendingToStore });
		}
		throw error;
	}
}

/** How a delegated credential type builds its MSAL application from the credential data. */
export interface DelegatedCredentialType {
	prepare(data: ICredentialDataDecryptedObject): PreparedApp<PublicClientApplication>;
}

export const DELEGATED_CREDENTIALS: Record<string, DelegatedCredentialType> = {};

export function delegatedCredentialType(credentialType: string): DelegatedCredentialType {
	const found = DELEGATED_CREDENTIALS[credentialType];
	if (!found) throw new Error(`${credentialType} is not a delegated credential (List Accounts and Sign Out need a person's sign-in).`);
	return found;
}

/** The people signed in with a credential: username, name, home account ID, tenant. Nothing secret. */
export async function listAccountsOf(credentialType: string, data: ICredentialDataDecryptedObject): Promise<{ accounts: AccountSummary[]; warnings: string[] }> {
	return await listAccounts(delegatedCredentialType(credentialType).prepare(data), storedCacheOf(data));
}

/** Store work for Sign Out: removes one account (username or home account ID) or all of them. */
export function signOutWork(credentialType: string, which: { all: true } | { account: string }) {
	return async (data: ICredentialDataDecryptedObject, storedCache: string | undefined) => {
		const { removed, cacheToStore } = await signOut(delegatedCredentialType(credentialType).prepare(data), storedCache, which);
		// Signing everyone out also forgets a sign-in still waiting for a person.
		const fieldsToStore = 'all' in which && storedPendingOf(data) ? { [PENDING_SIGN_IN_FIELD]: '' } : undefined;
		return { value: removed, cacheToStore, fieldsToStore };
	};
}
