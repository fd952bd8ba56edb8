/**
 * Errors the core raises. They carry what a person needs to act: which field or
 * cause, and the fix. The n8n layer (nodes/n8n/itemErrors.ts) turns them into NodeOperationError/NodeApiError.
 */
export class MsalNodeError extends Error {
	constructor(
		message: string,
		/** What to do about it, one sentence. */
		readonly fix: string,
		/** Credential field or node parameter at fault, when there is one. */
		readonly field?: string,
	) {
		super(message);
		this.name = new.target.name;
	}
}

/** A value the user typed is unusable; nothing was sent anywhere. */
export class InvalidInputError extends MsalNodeError {}

/** The identity provider answered with an error (AADSTS… on Entra ID). */
export class IdentityProviderError extends MsalNodeError {
	constructor(
		message: string,
		fix: string,
		readonly errorCode: string,
		readonly aadstsCode?: string,
		readonly correlationId?: string,
		field?: string,
	) {
		super(message, fix, field);
	}
}

/** The identity provider could not be reached (DNS, TLS, timeout, refused connection). */
export class IdentityProviderUnreachableError extends MsalNodeError {}

/** The message of anything thrown, for logs and warnings. */
export function describeError(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
