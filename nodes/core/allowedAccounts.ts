// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { AccountInfo } from '@azure/msal-node';

/**
 * Who may sign in to a delegated credential. An entry is a username (UPN or email, compared
 * case-insensitively), an object ID (`oid`), or a home account ID (`<oid>.<tid>`, as List
 * Accounts shows it). Object and home account IDs never change and cannot be chosen by a person;
 * a username can be renamed, and with B2C or social identity providers look-alikes can be
 * registered, so IDs are the stronger form.
 */
export function parseAllowedAccounts(text: string | undefined): string[] {
	return (text ?? '')
		.split(/[\s,;]+/)
		.map((entry) => entry.trim().toLowerCase())
		.filter(Boolean);
}

/** True when the signed-in account is one of `allowed`. */
export function isAllowedAccount(account: AccountInfo, allowed: string[]): boolean {
	const claims = account.idTokenClaims ?? {};
	const oid = typeof claims.oid === 'string' ? claims.oid : account.localAccountId;
	const identities = [account.username, oid, account.homeAccountId]
		.filter((value): value is string => typeof value === 'string' && value !== '')
		.map((value) => value.toLowerCase());
	return allowed.some((entry) => identities.includes(entry));
}

/**
 * Why a completed sign-in must not be kept, if it must not: a second identity under a username
 * the credential already holds (a look-alike: the first person to sign in with a username keeps
 * it — their home account ID is what later selection by that username finds), or, for a
 * credential bound to one tenant by its ID, a person whose token names another tenant (`tid`).
 */
export function identityRefusal(
	signedIn: AccountInfo,
	accountsInCache: AccountInfo[],
	tenantId: string | undefined,
): string | undefined {
	const username = signedIn.username.toLowerCase();
	const lookAlike = accountsInCache.find(
		(a) => a.username.toLowerCase() === username && a.homeAccountId !== signedIn.homeAccountId,
	);
	if (lookAlike)
		return `${signedIn.username} signed in as another identity (${signedIn.homeAccountId}) than the one already signed in with that username (${lookAlike.homeAccountId}); nothing of this sign-in was kept.`;
	const tid = typeof signedIn.idTokenClaims?.tid === 'string' ? signedIn.idTokenClaims.tid : signedIn.tenantId;
	if (tenantId && tid && tid.toLowerCase() !== tenantId.toLowerCase())
		return `${signedIn.username} signed in through tenant ${tid}, but the credential is bound to tenant ${tenantId}; nothing of this sign-in was kept.`;
	return undefined;
}
