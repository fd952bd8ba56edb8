import { SignInRequiredError, type DelegatedTokenRequest, type SignInReason } from './delegated';

/**
 * What the nodes know of a person's sign-in, whatever the flow (device code, browser link,
 * username/password): how they want it handled, what the person is shown, and the errors
 * that carry it.
 */

export type SignInMode = 'stop' | 'wait';

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

/** How a node wants a sign-in handled (travels with the token request). */
export interface SignInControls {
	mode?: SignInMode;
	/** Stops waiting (and MSAL's polling) when the execution is cancelled. */
	signal?: AbortSignal;
	/** Called once a code is known: show it to a person. Errors it throws are logged and ignored. */
	onPrompt?: (prompt: SignInPrompt) => void | Promise<void>;
}

/** A token request as the nodes make it, for every credential kind. */
export interface NodeTokenRequest extends DelegatedTokenRequest {
	/** Only used by flows that need a person; app tokens ignore it. */
	signIn?: SignInControls;
	/** The token goes into node output (Acquire Token): refused when the credential forbids it. */
	outputsToken?: boolean;
	/** Where `scopes` came from, for the message when they are outside the credential's boundary. */
	scopeOrigin?: string;
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
