import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';
import { MsalNodeError } from '../core/errors';
import { processWide } from '../core/processWide';
import { renewalCoordinator } from '../core/renewalLease';
import { SerialQueue } from '../core/serialQueue';
import {
	deriveSignInKeys,
	formatSignInSecret,
	newSignInSecret,
	parseSignInSecret,
	SignInKeyNeeded,
	type SignInKeys,
} from '../core/signInState';
import type { NodeTokenRequest } from '../core/signIn';
import type { TokenOutcome } from '../core/tokenResult';
import {
	acquireThroughCredentialStore,
	runThroughCredentialStore,
	type CredentialStoreContext,
	type StoreWork,
} from './credentialStore';

/**
 * The browser sign-in's keys (core/signInState.ts) come from a random secret kept in the
 * public-client credential record, in a hidden field n8n encrypts like every other: every process
 * of the instance (main, webhook processors, queue-mode workers) and every restart reads the same
 * record, so a sign-in begun by one completes on another, and nothing of n8n's own is read.
 *
 * The secret is created on first need (a node signing a link, the trigger's activation, or a
 * sign-in begun on a record that has none) and saved through the credential store's write path,
 * then read back: what the record holds is what every process uses. Creations are serialised in
 * this process and, in queue mode, across processes by a lease in n8n's queue Redis, and each
 * creation re-checks the record inside it, so two executions creating it at once end with one
 * secret, the one their links are signed with. Sign Out replaces it (`rotatingSignInKey`).
 */
export const SIGN_IN_KEY_FIELD = 'signInKey';

type SignInKeyContext = CredentialStoreContext & {
	getCredentials(type: string): Promise<ICredentialDataDecryptedObject>;
};

const creations = processWide('signInKeyCreations', () => new SerialQueue());

/** The keys the record's secret derives, or undefined when the record has none yet. */
export function storedSignInKeys(credentials: ICredentialDataDecryptedObject, record: string): SignInKeys | undefined {
	const secret = parseSignInSecret(credentials[SIGN_IN_KEY_FIELD]);
	return secret && deriveSignInKeys(secret, record);
}

/** The record's keys, creating its secret first when it has none. */
export async function ensureSignInKeys(
	context: SignInKeyContext,
	credentialType: string,
	record: string,
): Promise<SignInKeys> {
	const existing = storedSignInKeys(await context.getCredentials(credentialType), record);
	if (existing) return existing;
	return await creations.run(async () => {
		const coordinator = await renewalCoordinator();
		const create = async () => {
			await runThroughCredentialStore(context, credentialType, async (stored) => ({
				value: undefined,
				// n8n read the record for this very step: a secret created meanwhile is kept, links are signed with it.
				fieldsToStore: parseSignInSecret(stored[SIGN_IN_KEY_FIELD])
					? undefined
					: { [SIGN_IN_KEY_FIELD]: formatSignInSecret(newSignInSecret()) },
			}));
			return storedSignInKeys(await context.getCredentials(credentialType), record);
		};
		const saved = coordinator ? await coordinator.exclusively(`signInKey:${record}`, create) : await create();
		if (!saved) {
			throw new MsalNodeError(
				"The credential's sign-in key could not be saved, so no sign-in link can be signed.",
				'Check that n8n can save this credential (its log names the cause), then run the node again.',
			);
		}
		return saved;
	});
}

/** Sign Out: the saved fields also replace the secret, so every link and sign-in made before stops working. */
export function rotatingSignInKey<T>(work: StoreWork<T>): StoreWork<T> {
	return async (credentials, storedCache, record) => {
		const result = await work(credentials, storedCache, record);
		const current = parseSignInSecret(credentials[SIGN_IN_KEY_FIELD]);
		// Without a secret no link was signed for this record: nothing to replace.
		if (!current) return result;
		return {
			...result,
			fieldsToStore: { ...result.fieldsToStore, [SIGN_IN_KEY_FIELD]: formatSignInSecret(newSignInSecret(current)) },
		};
	};
}

/**
 * Silent-first acquisition through the credential store; when the sign-in link needs a key the
 * record does not have yet, the key is created and the acquisition runs once more.
 */
export async function acquireWithSignInKey(
	context: IExecuteFunctions,
	credentialType: string,
	request: NodeTokenRequest,
): Promise<TokenOutcome> {
	try {
		return await acquireThroughCredentialStore(context, credentialType, request);
	} catch (error) {
		const record = context.getNode().credentials?.[credentialType]?.id;
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- rethrown to the node, which turns it into a NodeOperationError (nodes/n8n/itemErrors.ts)
		if (!(error instanceof SignInKeyNeeded) || !record) throw error;
		await ensureSignInKeys(context, credentialType, record);
		return await acquireThroughCredentialStore(context, credentialType, request);
	}
}
