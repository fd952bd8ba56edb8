// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { AuthenticationResult, PublicClientApplication } from '@azure/msal-node';
import { identityRefusal, isAllowedAccount, parseAllowedAccounts } from '../allowedAccounts';
import {
	acquireDelegatedToken,
	boundTenantId,
	prepareDelegatedApp,
	type DelegatedSettings,
	type SignInFlow,
	type SignInReason,
} from '../delegated';
import { describeError } from '../errors';
import { log } from '../logging';
import {
	SignInFailedError,
	SignInPendingError,
	type NodeTokenRequest,
	type SignInControls,
	type SignInMode,
	type SignInPrompt,
} from '../signIn';
import type { TokenOutcome } from '../tokenResult';
import { DeviceCodeNetwork } from './network';
import {
	MIN_REMAINING_SECONDS,
	parsePending,
	sameScopes,
	serializePending,
	toPending,
	type PendingSignIn,
} from './pendingSignIn';
import { runDeviceCode, type PollOutcome } from './poll';
import { promptOf } from './prompt';
import { DEVICE_CODE_TENANT_ALIASES, refuseUnsupportedTenant } from './tenant';

/**
 * The device-code sign-in, built for a workflow engine rather than a terminal.
 *
 * A run may be one-shot (`n8n execute`), land on another queue worker next time, or be killed
 * when it runs long, so nothing relies on polling in the background. Two behaviours:
 * - stop: get a code, save it (the "pending sign-in") with the credential, and fail at once
 *   with a message telling the person where to enter it. The next run redeems the saved code
 *   (one poll): signed in → tokens cached, pending cleared; still pending → the same message
 *   with the time left; expired/declined → a fresh code.
 * - wait: get a code (or reuse the pending one), deliver the prompt, and poll until the person
 *   signs in, the wait ends, or the execution is cancelled. A wait that ends early saves the
 *   code as pending, so a sign-in completed later within the code's lifetime is still kept.
 *
 * MSAL Node cannot resume a device code in a later process: acquireTokenByDeviceCode always
 * asks for a new code. A pending code is resumed by answering MSAL's device-code request from
 * the saved code (DeviceCodeNetwork below, the only hand-made part); the polling, the token
 * response and the cache (account, ID token, refresh token) stay MSAL's own.
 */

export interface DeviceCodeSettings extends DelegatedSettings {
	/** Longest wait for the person in wait mode, in seconds; 0 or absent: the code's lifetime. */
	signInTimeoutSeconds?: number;
	/** Default behaviour when a sign-in is needed. */
	signInMode?: SignInMode;
	/** Who may sign in with a code (parseAllowedAccounts); empty: nobody may start a sign-in. */
	allowedAccounts: string[];
}

export interface DeviceCodeOutcome extends TokenOutcome {
	/** New value of the credential's pending sign-in field ('' clears it); absent: unchanged. */
	pendingToStore?: string;
}

export function prepareDeviceCodeApp(settings: DeviceCodeSettings) {
	refuseUnsupportedTenant(settings);
	return prepareDelegatedApp(settings, 'deviceCode', DEVICE_CODE_TENANT_ALIASES);
}

/**
 * Silent-first token for a device-code credential: cached access token, refresh token, then
 * the sign-in (stop or wait, see above). `storedPending` is the credential's pending sign-in.
 */
export async function acquireDeviceCodeToken(
	settings: DeviceCodeSettings,
	storedCache: string | undefined,
	storedPending: string | undefined,
	request: NodeTokenRequest,
): Promise<DeviceCodeOutcome> {
	const prepared = prepareDeviceCodeApp(settings);
	const controls = request.signIn ?? {};
	const mode: SignInMode = controls.mode ?? settings.signInMode ?? 'stop';
	const account = (request.account ?? settings.account ?? '').trim() || undefined;
	const flow = deviceCodeFlow({
		owner: prepared.owner,
		pending: parsePending(storedPending, prepared.owner),
		mode,
		waitSeconds: settings.signInTimeoutSeconds,
		signal: controls.signal,
		onPrompt: controls.onPrompt,
		account,
		allowedAccounts: settings.allowedAccounts,
		tenantId: boundTenantId(settings),
	});
	const outcome: DeviceCodeOutcome = await acquireDelegatedToken(prepared, settings, storedCache, request, flow);
	// Signed in (or silent): a pending sign-in left in the credential has no use any more.
	if (storedPending) outcome.pendingToStore = '';
	return outcome;
}

interface FlowOptions {
	owner: string;
	pending: PendingSignIn | undefined;
	mode: SignInMode;
	waitSeconds?: number;
	signal?: AbortSignal;
	onPrompt?: SignInControls['onPrompt'];
	account?: string;
	allowedAccounts: string[];
	/** The tenant every sign-in must belong to (a credential bound to one tenant by ID). */
	tenantId?: string;
}

/** The device-code SignInFlow for the delegated core. */
export function deviceCodeFlow(options: FlowOptions): SignInFlow {
	let network: DeviceCodeNetwork | undefined;
	const flow: SignInFlow = async (app, scopes, reason, claims) => {
		if (!network) throw new Error('device-code network not set up');
		if (options.allowedAccounts.length === 0) {
			// The code is shown wherever the prompt goes; whoever enters it first would sign in.
			throw new SignInFailedError(
				"Nobody may sign in with this credential yet: its Allowed Accounts is empty (field 'Allowed Accounts').",
				"Enter who may sign in in the credential's Allowed Accounts (usernames, object IDs or home account IDs), then run the workflow again.",
				reason,
			);
		}
		let notice: string | undefined;
		const pending = options.pending;
		if (pending && !claims) {
			try {
				return await redeem(app, network, pending, scopes, options);
			} catch (error) {
				if (!(error instanceof SignInFailedError)) throw error;
				// Expired, declined or unknown: clear it and show a fresh code right away.
				notice = error.message;
				network.replay = undefined;
			}
		}
		return await newSignIn(app, network, scopes, reason, claims, options, notice);
	};
	flow.network = (shared) => (network = new DeviceCodeNetwork(shared));
	return flow;
}

/** Asks for a new code; in stop mode fails at once with the prompt, in wait mode polls. */
async function newSignIn(
	app: PublicClientApplication,
	network: DeviceCodeNetwork,
	scopes: string[],
	reason: SignInReason,
	claims: string | undefined,
	options: FlowOptions,
	notice: string | undefined,
): Promise<AuthenticationResult> {
	let issued: PendingSignIn | undefined;
	const poll = runDeviceCode(app, network, {
		scopes,
		claims,
		stopAfterCode: options.mode === 'stop',
		timeoutSeconds: options.mode === 'wait' ? options.waitSeconds : undefined,
		signal: options.signal,
		onCode: (response) => {
			issued = toPending(response, options.owner, scopes, options.account, reason);
			if (options.mode === 'wait') deliver(options, promptOf(issued, true, 'wait', notice));
		},
	});
	const outcome = await poll;
	if (outcome.kind === 'token') return await checkAccount(app, outcome.result, options);
	if (!issued) throw new Error('the identity provider returned no device code');
	return stillPending(issued, true, options.mode, outcome, notice);
}

/** Redeems a code saved by an earlier run: one poll in stop mode, a wait in wait mode. */
async function redeem(
	app: PublicClientApplication,
	network: DeviceCodeNetwork,
	pending: PendingSignIn,
	scopes: string[],
	options: FlowOptions,
): Promise<AuthenticationResult> {
	network.replay = pending;
	const outcome = await runDeviceCode(app, network, {
		// The code was issued for these scopes; the token endpoint wants the same ones.
		scopes: pending.scopes,
		maxPolls: options.mode === 'stop' ? 1 : undefined,
		timeoutSeconds: options.mode === 'wait' ? options.waitSeconds : undefined,
		signal: options.signal,
		onCode: () => {
			if (options.mode === 'wait') deliver(options, promptOf(pending, false, 'wait'));
		},
	});
	if (outcome.kind !== 'token') return stillPending(pending, false, options.mode, outcome);
	const signedIn = await checkAccount(app, outcome.result, options);
	if (sameScopes(pending.scopes, scopes)) return signedIn;
	// The refresh token just obtained serves the scopes asked for now.
	return await app.acquireTokenSilent({ account: signedIn.account!, scopes });
}

function stillPending(
	pending: PendingSignIn,
	isNew: boolean,
	mode: SignInMode,
	outcome: PollOutcome & { kind: 'pending' },
	notice?: string,
): never {
	// Worded for a person reading it after the node stopped (it no longer waits).
	const prompt = promptOf(pending, isNew, mode, notice, 'stop');
	if (prompt.expiresInSeconds < MIN_REMAINING_SECONDS) {
		throw new SignInFailedError(
			'The sign-in code expired before anyone signed in with it.',
			'Run the workflow again for a new code, and enter it within its lifetime (usually 15 minutes).',
			pending.reason,
		);
	}
	const fix =
		outcome.cause === 'cancelled'
			? 'The execution was cancelled while waiting. The code stays valid until it expires: sign in with it, then run the workflow again.'
			: outcome.cause === 'timeout'
				? 'The wait for the sign-in ended (Sign-In Timeout). The code stays valid until it expires: sign in with it, then run the workflow again.'
				: 'Sign in with the code, then run the workflow again; the sign-in is kept in the credential and later runs are silent.';
	throw new SignInPendingError(prompt, serializePending(pending), fix);
}

/**
 * The person who entered the code must be allowed (and be the Account asked for). Checked before
 * the sign-in's cache is adopted: a refused person's tokens are removed from the sign-in's
 * application, so nothing of them is stored.
 */
async function checkAccount(
	app: PublicClientApplication,
	result: AuthenticationResult,
	options: FlowOptions,
): Promise<AuthenticationResult> {
	const username = result.account?.username || 'another account';
	const refuse = async (message: string, fix: string): Promise<never> => {
		if (result.account) await app.getTokenCache().removeAccount(result.account);
		throw new SignInFailedError(`${message}.`, fix, 'no-account');
	};
	if (!result.account || !isAllowedAccount(result.account, options.allowedAccounts)) {
		return await refuse(
			`The code was used to sign in as ${username}, who is not in the credential's Allowed Accounts; nothing of this sign-in was kept`,
			"Run the workflow again for a new code and sign in with an allowed account, or add this one to the credential's Allowed Accounts.",
		);
	}
	const refusal = identityRefusal(result.account, await app.getAllAccounts(), options.tenantId);
	if (refusal)
		return await refuse(
			refusal.replace(/\.$/, ''),
			'Run the workflow again for a new code and sign in with the account the credential is for.',
		);
	const wanted = options.account;
	if (wanted && !isAllowedAccount(result.account, parseAllowedAccounts(wanted))) {
		return await refuse(
			`The code was used to sign in as ${username}, but the credential (or node) asks for ${wanted}`,
			`Run the workflow again and sign in as ${wanted}, or change Account.`,
		);
	}
	return result;
}

/** Hands the prompt to the node (which shows it to the person), or to the log when no node listens. */
function deliver(options: FlowOptions, prompt: SignInPrompt): void {
	if (!options.onPrompt) {
		log('warn', prompt.message);
		return;
	}
	try {
		void Promise.resolve(options.onPrompt(prompt)).catch((error: unknown) =>
			log('warn', `Could not deliver the sign-in prompt: ${describeError(error)}`),
		);
	} catch (error) {
		log('warn', `Could not deliver the sign-in prompt: ${describeError(error)}`);
	}
}
