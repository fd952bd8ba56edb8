// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { PublicClientApplication } from '@azure/msal-node';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import type { PreparedApp } from '../core/cacheSession';
import { listAccounts, signOut, type AccountSummary, type DelegatedSettings } from '../core/delegated';
import type { TokenOutcome } from '../core/tokenResult';
import { SaveThenFail, storedCacheOf, type FieldsToStore, type StoreWork } from './credentialStore';
import { appSettingsFrom, text } from './credentialFields';

/**
 * What the credential kinds that act for a person (device code, public client) share: their
 * settings, the pending-sign-in field, and the account operations.
 */

/** Builds a delegated credential's MSAL application from the credential data. */
export type DelegatedAppFrom = (data: ICredentialDataDecryptedObject) => PreparedApp<PublicClientApplication>;

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

function storedPendingOf(data: ICredentialDataDecryptedObject): string | undefined {
	return text(data[PENDING_SIGN_IN_FIELD]) || undefined;
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
		const fieldsToStore =
			outcome.pendingToStore !== undefined && outcome.pendingToStore !== (storedPending ?? '')
				? { [PENDING_SIGN_IN_FIELD]: outcome.pendingToStore }
				: undefined;
		return { ...outcome, fieldsToStore };
	} catch (error) {
		if (carriesPending(error) && error.pendingToStore !== (storedPending ?? '')) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- rethrown to the node, which turns it into a NodeOperationError (nodes/n8n/itemErrors.ts)
			throw new SaveThenFail(error, { [PENDING_SIGN_IN_FIELD]: error.pendingToStore });
		}
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- rethrown to the node, which turns it into a NodeOperationError (nodes/n8n/itemErrors.ts)
		throw error;
	}
}

/** The people signed in with a credential: username, name, home account ID, tenant. Nothing secret. */
export async function listAccountsOf(
	appFrom: DelegatedAppFrom,
	data: ICredentialDataDecryptedObject,
): Promise<{ accounts: AccountSummary[]; warnings: string[] }> {
	return await listAccounts(appFrom(data), storedCacheOf(data));
}

/** Store work for Sign Out: removes one account (username or home account ID) or all of them. */
export function signOutWork(
	appFrom: DelegatedAppFrom,
	which: { all: true } | { account: string },
): StoreWork<AccountSummary[]> {
	return async (data, storedCache, record) => {
		const { removed, cacheToStore, saved } = await signOut(appFrom(data), storedCache, which, record);
		// Signing everyone out also forgets a sign-in still waiting for a person.
		const fieldsToStore = 'all' in which && storedPendingOf(data) ? { [PENDING_SIGN_IN_FIELD]: '' } : undefined;
		return { value: removed, cacheToStore, fieldsToStore, saved };
	};
}
