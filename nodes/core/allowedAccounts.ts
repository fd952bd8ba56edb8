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

const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOME_ACCOUNT_ID = /^[0-9a-f-]{36}\.[0-9a-f-]{36}$/i;

/**
 * The credential Test's warning when Allowed Accounts names people by username and the credential
 * is not bound to one tenant by its ID (`boundTenantId`): the username (`preferred_username`)
 * then comes from whichever tenant or identity provider signs the person in, and can be renamed
 * there, so it identifies nobody for sure. Undefined when there is nothing to warn about.
 */
export function usernameAllowListWarning(allowed: string[], boundTenantId: string | undefined): string | undefined {
	if (boundTenantId) return undefined;
	const usernames = allowed.filter((entry) => !OBJECT_ID.test(entry) && !HOME_ACCOUNT_ID.test(entry));
	if (usernames.length === 0) return undefined;
	return `Warning: Allowed Accounts names ${usernames.join(', ')} by username, and the tenant is not a tenant ID, so a person of another tenant (or a renamed account) could sign in under that name. Use object IDs or home account IDs (the Acquire Token node's List Accounts shows them), or set Tenant to the tenant ID.`;
}
