import { AuthError, type AuthenticationResult, type DeviceCodeRequest, type INetworkModule, type NetworkRequestOptions, type NetworkResponse, type PublicClientApplication } from '@azure/msal-node';
import { explainAadsts, findAadstsCode } from './aadsts';
import {
	acquireDelegatedToken,
	prepareDelegatedApp,
	SignInRequiredError,
	type DelegatedSettings,
	type DelegatedTokenRequest,
	type SignInFlow,
	type SignInReason,
} from './delegated';
import { IdentityProviderError, InvalidInputError } from './errors';
import { log } from './logging';
import type { MsalNetworkClient } from './networkClient';
import type { TokenOutcome } from './tokenResult';

type DeviceCodeResponse = Parameters<DeviceCodeRequest['deviceCodeCallback']>[0];

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

export type SignInMode = 'stop' | 'wait';

export interface DeviceCodeSettings extends DelegatedSettings {
	/** Longest wait for the person in wait mode, in seconds; 0 or absent: the code's lifetime. */
	signInTimeoutSeconds?: number;
	/** Default behaviour when a sign-in is needed. */
	signInMode?: SignInMode;
}

/** What the person has to do; the only sign-in text that may appear in output, errors and logs. */
export interface SignInPrompt {
	/** One paragraph in plain words: URL, code, deadline. */
	message: string;
	verificationUri: string;
	userCode: string;
	/** ISO time the code expires. */
	expiresOn: string;
	expiresInSeconds: number;
	/** The account to sign in with, when the credential names one. */
	account?: string;
	/** Why a sign-in is needed. */
	reason: SignInReason;
	/** False when the code was issued by an earlier run (the person may have it already). */
	isNewCode: boolean;
	mode: SignInMode;
}

/** How a node wants this sign-in handled (travels with the token request). */
export interface SignInControls {
	mode?: SignInMode;
	/** Stops waiting (and MSAL's polling) when the execution is cancelled. */
	signal?: AbortSignal;
	/** Called once a code is known: show it to a person. Errors it throws are logged and ignored. */
	onPrompt?: (prompt: SignInPrompt) => void | Promise<void>;
}

export interface DeviceCodeTokenRequest extends DelegatedTokenRequest {
	signIn?: SignInControls;
}

/**
 * The sign-in is waiting for the person. The message is the prompt. `pendingToStore` is the
 * pending sign-in to save in the credential ('' clears it), so the next run can redeem it.
 */
export class SignInPendingError extends SignInRequiredError {
	constructor(
		readonly prompt: SignInPrompt,
		readonly pendingToStore: string,
		fix: string,
	) {
		super(prompt.message, fix, prompt.reason);
	}
}

/** A sign-in that failed for good (declined, expired); the saved pending sign-in must be cleared. */
export class SignInFailedError extends SignInRequiredError {
	readonly pendingToStore = '';
}

export interface DeviceCodeOutcome extends TokenOutcome {
	/** New value of the credential's pending sign-in field ('' clears it); absent: unchanged. */
	pendingToStore?: string;
}

/** The pending sign-in saved (encrypted) in the credential between runs. Holds the device code: never log it. */
interface PendingSignIn {
	format: 'n8n-nodes-msal/pending-device-code@1';
	owner: string;
	scopes: string[];
	account?: string;
	reason: SignInReason;
	deviceCode: string;
	userCode: string;
	verificationUri: string;
	message: string;
	interval: number;
	/** Epoch seconds. */
	expiresAt: number;
}

const PENDING_FORMAT = 'n8n-nodes-msal/pending-device-code@1';
/** A code with less left than this is treated as expired (the person could not make it). */
const MIN_REMAINING_SECONDS = 10;

const DEVICE_CODE_TENANT_REFUSALS: Record<string, string> = {
	common:
		'Tenant "common" cannot be used for the device code flow: Entra answers AADSTS90133 ("Device Code flow is not supported under /common or /consumers endpoint") or AADSTS50059 (no tenant-identifying information).',
	consumers:
		'Tenant "consumers" cannot be used for the device code flow: Entra answers AADSTS90133 ("Device Code flow is not supported under /common or /consumers endpoint"); for personal Microsoft accounts see AADSTS9002331.',
};

/** The tenant aliases a device-code credential accepts. */
export const DEVICE_CODE_TENANT_ALIASES = ['organizations'] as const;

function refuseUnsupportedTenant(settings: DeviceCodeSettings): void {
	let tenant = (settings.tenant ?? '').trim().toLowerCase();
	let field = 'Tenant';
	if (settings.cloud === 'custom') {
		try {
			tenant = new URL((settings.authorityUrl ?? '').trim()).pathname.split('/').filter(Boolean)[0]?.toLowerCase() ?? '';
			field = 'Authority URL';
		} catch {
			return; // resolveAuthority reports the malformed URL
		}
	}
	const refusal = DEVICE_CODE_TENANT_REFUSALS[tenant];
	if (refusal) {
		throw new InvalidInputError(
			refusal,
			'Enter the Directory (tenant) ID or a verified domain of the people who sign in (e.g. contoso.onmicrosoft.com), or "organizations" for work and school accounts of any tenant.',
			field,
		);
	}
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
	request: DeviceCodeTokenRequest,
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
}

/** The device-code SignInFlow for the delegated core. */
export function deviceCodeFlow(options: FlowOptions): SignInFlow {
	let network: DeviceCodeNetwork | undefined;
	const flow: SignInFlow = async (app, scopes, reason, claims) => {
		if (!network) throw new Error('device-code network not set up');
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
	if (outcome.kind === 'token') return checkAccount(outcome.result, options.account);
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
	const signedIn = checkAccount(outcome.result, options.account);
	if (sameScopes(pending.scopes, scopes)) return signedIn;
	// The refresh token just obtained serves the scopes asked for now.
	return await app.acquireTokenSilent({ account: signedIn.account!, scopes });
}

type PollOutcome = { kind: 'token'; result: AuthenticationResult } | { kind: 'pending'; cause: 'stopped' | 'timeout' | 'cancelled' };

interface PollOptions {
	scopes: string[];
	claims?: string;
	/** Stop as soon as the code is known, before any poll. */
	stopAfterCode?: boolean;
	/** Stop when this many polls answered "pending". */
	maxPolls?: number;
	timeoutSeconds?: number;
	signal?: AbortSignal;
	onCode: (response: DeviceCodeResponse) => void;
}

/**
 * MSAL's acquireTokenByDeviceCode, stopped by our rules. MSAL checks its `cancel` flag and
 * timeout only between polls (after sleeping the interval), so when we stop we set `cancel`
 * (no further poll is sent) and return at once instead of waiting for MSAL to notice.
 */
async function runDeviceCode(app: PublicClientApplication, network: DeviceCodeNetwork, options: PollOptions): Promise<PollOutcome> {
	const { signal } = options;
	if (signal?.aborted) return { kind: 'pending', cause: 'cancelled' };
	let settle: (outcome: PollOutcome) => void = () => undefined;
	const stopped = new Promise<PollOutcome>((resolve) => (settle = resolve));
	const request = {
		scopes: options.scopes,
		claims: options.claims,
		timeout: options.timeoutSeconds && options.timeoutSeconds > 0 ? Math.ceil(options.timeoutSeconds) : undefined,
		cancel: false,
		deviceCodeCallback: (response: DeviceCodeResponse) => {
			options.onCode(response);
			if (options.stopAfterCode) request.cancel = true;
		},
	};
	const stop = (cause: 'stopped' | 'cancelled') => {
		request.cancel = true;
		settle({ kind: 'pending', cause });
	};
	const onAbort = () => stop('cancelled');
	signal?.addEventListener('abort', onAbort, { once: true });
	network.lastPollError = undefined;
	network.onPending = (polls) => {
		if (options.maxPolls !== undefined && polls >= options.maxPolls) stop('stopped');
	};
	const polling = app.acquireTokenByDeviceCode(request).then(
		(result): PollOutcome => {
			if (!result) throw new Error('MSAL returned no result for the device code flow');
			return { kind: 'token', result };
		},
		(error: unknown): PollOutcome => {
			if (error instanceof AuthError) {
				if (error.errorCode === 'device_code_polling_cancelled') return { kind: 'pending', cause: signal?.aborted ? 'cancelled' : 'stopped' };
				if (error.errorCode === 'user_timeout_reached') return { kind: 'pending', cause: 'timeout' };
			}
			throw translateDeviceCodeError(error, network.lastPollError);
		},
	);
	try {
		return await Promise.race([polling, stopped]);
	} finally {
		signal?.removeEventListener('abort', onAbort);
		network.onPending = undefined;
		polling.catch(() => undefined); // MSAL settles after its next interval; nothing to do then
	}
}

function stillPending(pending: PendingSignIn, isNew: boolean, mode: SignInMode, outcome: PollOutcome & { kind: 'pending' }, notice?: string): never {
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

function checkAccount(result: AuthenticationResult, wanted: string | undefined): AuthenticationResult {
	const username = result.account?.username ?? '';
	if (wanted && username.toLowerCase() !== wanted.toLowerCase()) {
		throw new SignInFailedError(
			`The code was used to sign in as ${username || 'another account'}, but the credential (or node) asks for ${wanted}.`,
			`Run the workflow again and sign in as ${wanted}, or change Account.`,
			'no-account',
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
		void Promise.resolve(options.onPrompt(prompt)).catch((error: unknown) => log('warn', `Could not deliver the sign-in prompt: ${describe(error)}`));
	} catch (error) {
		log('warn', `Could not deliver the sign-in prompt: ${describe(error)}`);
	}
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

function toPending(response: DeviceCodeResponse, owner: string, scopes: string[], account: string | undefined, reason: SignInReason): PendingSignIn {
	return {
		format: PENDING_FORMAT,
		owner,
		scopes,
		account,
		reason,
		deviceCode: response.deviceCode,
		userCode: response.userCode,
		verificationUri: response.verificationUri,
		message: response.message,
		interval: Number(response.interval) > 0 ? Number(response.interval) : 5,
		expiresAt: Math.floor(Date.now() / 1000) + Number(response.expiresIn),
	};
}

function serializePending(pending: PendingSignIn): string {
	return JSON.stringify(pending);
}

/** The saved pending sign-in, if it belongs to this app and has not expired. */
function parsePending(stored: string | undefined, owner: string): PendingSignIn | undefined {
	if (!stored) return undefined;
	try {
		const value = JSON.parse(stored) as PendingSignIn;
		if (value?.format !== PENDING_FORMAT || value.owner !== owner || typeof value.deviceCode !== 'string' || !Array.isArray(value.scopes)) return undefined;
		if (value.expiresAt - Date.now() / 1000 < MIN_REMAINING_SECONDS) return undefined;
		return value;
	} catch {
		return undefined;
	}
}

function sameScopes(a: string[], b: string[]): boolean {
	const norm = (s: string[]) => [...new Set(s.map((x) => x.toLowerCase()))].sort().join(' ');
	return norm(a) === norm(b);
}

const REASONS: Record<SignInReason, string> = {
	'no-account': 'Sign-in needed',
	'interaction-required': 'Sign-in needed again (the saved sign-in is no longer accepted: refresh token expired or revoked, or a policy requires it)',
	claims: 'Sign-in needed again (the API asked for a fresh sign-in)',
};

/** The prompt in plain words. */
export function promptOf(pending: PendingSignIn, isNewCode: boolean, mode: SignInMode, notice?: string, wording: SignInMode = mode): SignInPrompt {
	const expiresInSeconds = Math.max(0, Math.floor(pending.expiresAt - Date.now() / 1000));
	const expiresOn = new Date(pending.expiresAt * 1000);
	const minutes = Math.max(1, Math.round(expiresInSeconds / 60));
	const deadline = `${expiresOn.toISOString().slice(11, 16)} UTC (${minutes} minute${minutes === 1 ? '' : 's'}${isNewCode ? '' : ' left'})`;
	const as = pending.account ? ` as ${pending.account}` : '';
	const then = wording === 'wait' ? 'The workflow is waiting for the sign-in.' : 'Then run the workflow again.';
	const message = `${notice ? `${notice} ` : ''}${REASONS[pending.reason]}: open ${pending.verificationUri} and enter the code ${pending.userCode} before ${deadline}, signing in${as}. ${then}`;
	return {
		message: message.replace(', signing in.', '.'),
		verificationUri: pending.verificationUri,
		userCode: pending.userCode,
		expiresOn: expiresOn.toISOString(),
		expiresInSeconds,
		account: pending.account,
		reason: pending.reason,
		isNewCode,
		mode,
	};
}

/** Device-flow errors (RFC 8628 and Entra's names) in plain words. */
const DEVICE_FLOW_ERRORS: Record<string, { message: string; fix: string }> = {
	authorization_declined: {
		message: 'The person declined the sign-in (authorization_declined).',
		fix: 'Run the workflow again for a new code and approve the request, or check that the right account signs in.',
	},
	access_denied: {
		message: 'The person declined the sign-in (access_denied).',
		fix: 'Run the workflow again for a new code and approve the request.',
	},
	expired_token: {
		message: 'The sign-in code expired before anyone signed in with it (expired_token).',
		fix: 'Run the workflow again for a new code, and enter it within its lifetime (usually 15 minutes).',
	},
	bad_verification_code: {
		message: 'The identity provider does not know the saved sign-in code (bad_verification_code).',
		fix: 'Run the workflow again for a new code.',
	},
};

/** MSAL reports a failed poll only as "post_request_failed: <error>"; the network client kept the body. */
export function translateDeviceCodeError(error: unknown, pollError: PollErrorBody | undefined): unknown {
	const code = pollError?.error ?? (error instanceof AuthError && error.errorCode === 'post_request_failed' ? error.errorMessage : undefined);
	if (code && DEVICE_FLOW_ERRORS[code]) {
		const known = DEVICE_FLOW_ERRORS[code];
		return new SignInFailedError(known.message, known.fix, 'no-account');
	}
	if (pollError) {
		const aadsts = pollError.error_codes?.[0] !== undefined ? String(pollError.error_codes[0]) : findAadstsCode(pollError.error_description);
		const explained = aadsts ? explainAadsts(aadsts) : undefined;
		const headline = explained
			? `AADSTS${aadsts}: ${explained.explanation}`
			: `The identity provider refused the sign-in: ${pollError.error}${pollError.error_description ? ` – ${pollError.error_description.split(/\r?\n/)[0]}` : ''}`;
		return new IdentityProviderError(headline, explained?.fix ?? 'Check the credential settings against the app registration.', pollError.error, aadsts, pollError.correlation_id, explained?.field);
	}
	return error;
}

interface PollErrorBody {
	error: string;
	error_description?: string;
	error_codes?: number[];
	correlation_id?: string;
}

/**
 * The network client of a device-code sign-in. It delegates to the session's client and:
 * - answers MSAL's device-code request from a saved code when resuming (`replay`), so MSAL
 *   polls for the code an earlier run showed instead of asking for a new one;
 * - counts polls answered "pending" (`onPending`), so a run can stop after one;
 * - keeps the last poll's error body: MSAL reports only the error name, not Entra's AADSTS code.
 */
export class DeviceCodeNetwork implements INetworkModule {
	replay: PendingSignIn | undefined;
	onPending: ((polls: number) => void) | undefined;
	lastPollError: PollErrorBody | undefined;
	private polls = 0;

	constructor(private readonly shared: MsalNetworkClient) {}

	sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
		return this.shared.sendGetRequestAsync<T>(url, options, timeout);
	}

	async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
		const path = safePath(url);
		if (this.replay && /\/devicecode$/i.test(path)) {
			const pending = this.replay;
			const body = {
				device_code: pending.deviceCode,
				user_code: pending.userCode,
				verification_uri: pending.verificationUri,
				expires_in: Math.max(0, Math.floor(pending.expiresAt - Date.now() / 1000)),
				interval: pending.interval,
				message: pending.message,
			};
			return { status: 200, headers: {}, body: body as T };
		}
		const response = await this.shared.sendPostRequestAsync<T>(url, options);
		if (/\/token$/i.test(path) && String(options?.body ?? '').includes('grant_type=device_code')) {
			const body = response.body as unknown as PollErrorBody | undefined;
			if (body && typeof body === 'object' && typeof body.error === 'string') {
				if (body.error === 'authorization_pending') {
					this.polls += 1;
					this.onPending?.(this.polls);
				} else {
					this.lastPollError = body;
				}
			}
		}
		return response;
	}
}

function safePath(url: string): string {
	try {
		return new URL(url).pathname;
	} catch {
		return url;
	}
}
