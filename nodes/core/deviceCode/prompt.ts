import type { SignInReason } from '../delegated';
import type { SignInMode, SignInPrompt } from '../signIn';
import type { PendingSignIn } from './pendingSignIn';

const REASONS: Record<SignInReason, string> = {
	'no-account': 'Sign-in needed',
	'interaction-required':
		'Sign-in needed again (the saved sign-in is no longer accepted: refresh token expired or revoked, or a policy requires it)',
	claims: 'Sign-in needed again (the API asked for a fresh sign-in)',
};

/** The prompt in plain words. */
export function promptOf(
	pending: PendingSignIn,
	isNewCode: boolean,
	mode: SignInMode,
	notice?: string,
	wording: SignInMode = mode,
): SignInPrompt {
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
