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
