// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import { AuthError } from '@azure/msal-node';
import { explainAadsts, findAadstsCode } from '../aadsts';
import { IdentityProviderError } from '../errors';
import { SignInFailedError } from '../signIn';

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
	// MSAL's own: its clock passed the code's expires_in while polling.
	device_code_expired: {
		message: 'The sign-in code expired before anyone signed in with it (device_code_expired).',
		fix: 'Run the workflow again for a new code, and enter it within its lifetime (usually 15 minutes).',
	},
	bad_verification_code: {
		message: 'The identity provider does not know the saved sign-in code (bad_verification_code).',
		fix: 'Run the workflow again for a new code.',
	},
};

/** MSAL reports a failed poll only as "post_request_failed: <error>"; the network client kept the body. */
export function translateDeviceCodeError(error: unknown, pollError: PollErrorBody | undefined): unknown {
	const code =
		pollError?.error ??
		(error instanceof AuthError && error.errorCode === 'post_request_failed' ? error.errorMessage : undefined) ??
		(error instanceof AuthError && error.errorCode === 'device_code_expired' ? error.errorCode : undefined);
	if (code && DEVICE_FLOW_ERRORS[code]) {
		const known = DEVICE_FLOW_ERRORS[code];
		return new SignInFailedError(known.message, known.fix, 'no-account');
	}
	if (pollError) {
		const aadsts =
			pollError.error_codes?.[0] !== undefined
				? String(pollError.error_codes[0])
				: findAadstsCode(pollError.error_description);
		const explained = aadsts ? explainAadsts(aadsts) : undefined;
		const headline = explained
			? `AADSTS${aadsts}: ${explained.explanation}`
			: `The identity provider refused the sign-in: ${pollError.error}${pollError.error_description ? ` – ${pollError.error_description.split(/\r?\n/)[0]}` : ''}`;
		return new IdentityProviderError(
			headline,
			explained?.fix ?? 'Check the credential settings against the app registration.',
			pollError.error,
			aadsts,
			pollError.correlation_id,
			explained?.field,
		);
	}
	return error;
}

export interface PollErrorBody {
	error: string;
	error_description?: string;
	error_codes?: number[];
	correlation_id?: string;
}
