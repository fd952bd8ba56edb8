// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import { AuthError, ClientConfigurationError, ServerError } from '@azure/msal-node';
import { explainAadsts, findAadstsCode } from './aadsts';
import type { OAuthErrorBody } from './networkClient';
import { excerpt } from './quote';
import {
	describeError,
	IdentityProviderError,
	IdentityProviderUnreachableError,
	InvalidInputError,
	MsalNodeError,
} from './errors';

/** What the network client saw go wrong, which MSAL itself does not pass on. */
export interface FailureContext {
	networkFailure?: string;
	/** The OAuth error the authority's discovery document request was answered with, if any. */
	discoveryError?: OAuthErrorBody;
	authority: string;
}

/** Errors that mean "a person has to sign in (again)" rather than "something is broken". */
const SIGN_IN_NEEDED = new Set([
	'invalid_grant',
	'interaction_required',
	'login_required',
	'consent_required',
	'no_tokens_found',
	'no_account_in_silent_request',
]);

export function isSignInNeeded(error: unknown): boolean {
	return error instanceof AuthError && SIGN_IN_NEEDED.has(error.errorCode);
}

/** Turns anything MSAL throws into an error that names the cause and the fix. */
export function translateMsalError(error: unknown, context: FailureContext): MsalNodeError {
	if (error instanceof MsalNodeError) return error;
	if (
		error instanceof ServerError ||
		(error instanceof AuthError && findAadstsCode(error.errorMessage) !== undefined)
	) {
		return fromServerError(error as AuthError & { errorNo?: string });
	}
	if (error instanceof ClientConfigurationError) {
		return new InvalidInputError(
			`MSAL rejected the configuration: ${excerpt(error.errorMessage || error.errorCode, DESCRIPTION_MAX)}.`,
			'Check the credential fields.',
			undefined,
		);
	}
	if (error instanceof AuthError) {
		if (error.errorCode === 'endpoints_resolution_error' && context.discoveryError) {
			const { error: code, error_description: description, error_codes: codes } = context.discoveryError;
			return fromServerError(
				new ServerError(
					code,
					'',
					`Description: ${description ?? code} - Correlation ID:`,
					undefined,
					codes?.[0] === undefined ? undefined : String(codes[0]),
				),
			);
		}
		if (
			['endpoints_resolution_error', 'network_error', 'openid_config_error'].includes(error.errorCode) ||
			context.networkFailure
		) {
			const cause =
				context.networkFailure ?? `MSAL could not resolve the endpoints of ${context.authority} (${error.errorCode}).`;
			return new IdentityProviderUnreachableError(
				`Could not reach the identity provider at ${context.authority}: ${excerpt(cause, DESCRIPTION_MAX)}`,
				'Check the cloud / authority URL and tenant, and that this n8n host can reach it (DNS, firewall, proxy, trusted TLS certificates).',
			);
		}
		return new IdentityProviderError(
			`Token acquisition failed: ${excerpt(error.errorCode)}${error.errorMessage ? ` – ${firstSentence(error.errorMessage)}` : ''}.`,
			"Check the credential settings; if the problem persists, turn on debug logging in n8n to see MSAL's log.",
			error.errorCode,
			undefined,
			error.correlationId || undefined,
		);
	}
	return new MsalNodeError(
		`Token acquisition failed: ${excerpt(describeError(error), DESCRIPTION_MAX)}`,
		'Check the credential settings and try again.',
	);
}

function fromServerError(error: AuthError & { errorNo?: string }): IdentityProviderError {
	const code = error.errorNo ? String(error.errorNo) : findAadstsCode(error.errorMessage);
	const description = extractDescription(error.errorMessage);
	const known = code ? explainAadsts(code) : undefined;
	const headline = known
		? `AADSTS${code}: ${known.explanation}`
		: `The identity provider refused the request: ${excerpt(error.errorCode)}${description ? ` – ${firstSentence(description)}` : ''}`;
	const fix =
		known?.fix ??
		(isSignInNeeded(error) ? 'Sign in again.' : 'Check the credential settings against the app registration.');
	return new IdentityProviderError(
		headline,
		fix,
		error.errorCode,
		code,
		error.correlationId || undefined,
		known?.field,
	);
}

/** MSAL formats server errors as "Error(s): … - Description: <text> - Correlation ID: …". */
function extractDescription(message: string): string {
	const match = /Description: ([\s\S]*?) - Correlation ID:/.exec(message);
	return (match?.[1] ?? message).trim();
}

/** How much of an identity provider's error description (documented as shown to people) is quoted. */
const DESCRIPTION_MAX = 300;

/** The first line of a description the identity provider sent, escaped and bounded. */
function firstSentence(text: string): string {
	return excerpt(/^[^\r\n]*/.exec(text)?.[0] ?? '', DESCRIPTION_MAX);
}
