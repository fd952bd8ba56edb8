// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { AuthenticationResult } from '@azure/msal-node';

export interface TokenRequest {
	/** Overrides the credential's scopes; space/comma separated or a list. */
	scopes?: string | string[];
	/** Skip the cached access token and ask the identity provider. */
	forceRefresh?: boolean;
	/** A claims request (JSON), e.g. from a Continuous Access Evaluation challenge. */
	claims?: string;
	/** Client credentials only: another tenant of a multi-tenant app (checked against Allowed Tenants). */
	tenant?: string;
}

/** A token and what a workflow may want to know about it. Never a refresh token or the cache. */
export interface TokenResult {
	accessToken: string;
	tokenType: string;
	expiresOn: string;
	scopes: string[];
	tenantId: string;
	fromCache: boolean;
	correlationId: string;
	account?: { username: string; homeAccountId: string; tenantId: string; name?: string };
}

export interface TokenOutcome {
	token: TokenResult;
	cacheToStore?: string;
	/** Call once n8n has saved `cacheToStore` (or failed to): see CacheSession.use. */
	saved?: () => void;
	warnings: string[];
}

export function toTokenResult(result: AuthenticationResult): TokenResult {
	return {
		accessToken: result.accessToken,
		tokenType: result.tokenType || 'Bearer',
		expiresOn: (result.expiresOn ?? new Date()).toISOString(),
		scopes: result.scopes,
		tenantId: result.tenantId || tenantOfAccessToken(result.accessToken),
		fromCache: result.fromCache,
		correlationId: result.correlationId,
		account: result.account
			? {
					username: result.account.username,
					homeAccountId: result.account.homeAccountId,
					tenantId: result.account.tenantId,
					name: result.account.name,
				}
			: undefined,
	};
}

let lastTenantLookup: { accessToken: string; tenantId: string } | undefined;

/** MSAL leaves tenantId empty for app tokens; Entra's access tokens carry it as `tid`. */
function tenantOfAccessToken(accessToken: string): string {
	if (lastTenantLookup?.accessToken === accessToken) return lastTenantLookup.tenantId;
	const tenantId = decodeTenant(accessToken);
	lastTenantLookup = { accessToken, tenantId };
	return tenantId;
}

function decodeTenant(accessToken: string): string {
	try {
		const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
			tid?: unknown;
		};
		return typeof payload.tid === 'string' ? payload.tid : '';
	} catch {
		return '';
	}
}
