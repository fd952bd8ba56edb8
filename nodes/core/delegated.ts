import { createHash } from 'node:crypto';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import {
	PublicClientApplication,
	type AccountInfo,
	type AuthenticationResult,
	type INetworkModule,
} from '@azure/msal-node';
import { GUID, resolveAuthority, validateClientId, type AuthoritySettings } from './authority';
import { cacheOwner, readEnvelope } from './cacheEnvelope';
import { sessionFor, type CacheSession, type PreparedApp } from './cacheSession';
import { InvalidInputError, MsalNodeError } from './errors';
import { isSignInNeeded, translateMsalError } from './errorTranslation';
import { msalConfiguration } from './msalConfiguration';
import type { MsalNetworkClient } from './networkClient';
import { parseScopes } from './scopes';
import { toTokenResult, type TokenOutcome, type TokenRequest } from './tokenResult';
import { excerpt, quote } from './quote';

/** A credential acting for a person (device code, browser sign-in, username/password). */
export interface DelegatedSettings extends AuthoritySettings {
	clientId: string;
	/** Delegated scopes, e.g. "User.Read Mail.Read"; MSAL adds openid, profile and offline_access. */
	scopes: string;
	/** Which signed-in person to act as when the cache holds several (username or home account ID). */
	account?: string;
}

export interface DelegatedTokenRequest extends TokenRequest {
	/** Overrides the credential's account choice. */
	account?: string;
	/** The credential record the stored cache was read from (n8n's credential ID), when known. */
	record?: string;
}

export interface AccountSummary {
	username: string;
	name?: string;
	homeAccountId: string;
	tenantId: string;
	environment: string;
}

/** Why a sign-in is needed, for the message shown to the person. */
export type SignInReason = 'no-account' | 'interaction-required' | 'claims';

/**
 * Runs an interactive flow (device code, browser, password) on `app`, an application loaded
 * with the stored cache and not shared with anything else, and returns its result.
 * `network`, when present, gives the app a network client wrapping the session's (see
 * CacheSession.detachedApp).
 */
export type SignInFlow = ((
	app: PublicClientApplication,
	scopes: string[],
	reason: SignInReason,
	claims?: string,
) => Promise<AuthenticationResult>) & {
	network?: (shared: MsalNetworkClient) => INetworkModule;
};

/** The tenant a sign-in must belong to: the credential's, when it names one by ID on a Microsoft cloud. */
export function boundTenantId(settings: AuthoritySettings): string | undefined {
	return settings.cloud !== 'custom' && GUID.test(settings.tenant ?? '') ? settings.tenant : undefined;
}

/** The person must sign in and nothing can be done silently; `prompt` says how. */
export class SignInRequiredError extends MsalNodeError {
	constructor(
		message: string,
		fix: string,
		readonly reason: SignInReason,
	) {
		super(message, fix);
	}
}

const RESERVED_SCOPES = new Set(['openid', 'profile', 'offline_access']);

/** Delegated scopes: anything but the OpenID ones MSAL adds itself. */
export function delegatedScopes(raw: string | string[] | undefined, field = 'Scopes'): string[] {
	const scopes = parseScopes(raw).filter((scope) => !RESERVED_SCOPES.has(scope.toLowerCase()));
	if (scopes.length === 0) {
		throw new InvalidInputError(
			'No scope given.',
			'Enter the permissions to ask for, e.g. User.Read Mail.Read or https://graph.microsoft.com/User.Read.',
			field,
		);
	}
	return scopes;
}

export function prepareDelegatedApp(
	settings: DelegatedSettings,
	flow: string,
	allowedTenantAliases: readonly string[],
): PreparedApp<PublicClientApplication> {
	const resolved = resolveAuthority(settings, allowedTenantAliases);
	const clientId = validateClientId(settings.clientId, settings.cloud !== 'custom');
	return {
		key: createHash('sha256')
			.update(JSON.stringify([flow, resolved.authority, clientId]))
			.digest('base64url'),
		owner: cacheOwner(resolved.authority, clientId),
		clientId,
		authority: resolved.authority,
		shareableAcrossRecords: false,
		create: (networkClient, authorityMetadata) =>
			new PublicClientApplication(msalConfiguration(resolved, clientId, networkClient, authorityMetadata)),
	};
}

export function summarizeAccount(account: AccountInfo): AccountSummary {
	return {
		username: account.username,
		name: account.name,
		homeAccountId: account.homeAccountId,
		tenantId: account.tenantId,
		environment: account.environment,
	};
}

/** The account to act as: the one asked for, or the only one; several without a choice is an error. */
export function selectAccount(accounts: AccountInfo[], wanted: string | undefined): AccountInfo | undefined {
	const preference = (wanted ?? '').trim().toLowerCase();
	if (preference) {
		// IDs a person cannot change first; a username only when it names one identity.
		const byId = accounts.find(
			(a) => a.homeAccountId.toLowerCase() === preference || a.localAccountId.toLowerCase() === preference,
		);
		if (byId) return byId;
		const byUsername = accounts.filter((a) => a.username.toLowerCase() === preference);
		if (byUsername.length > 1) {
			throw new InvalidInputError(
				`${byUsername.length} signed-in identities share the username ${quote(wanted)} (${byUsername.map((a) => a.homeAccountId).join(', ')}).`,
				'Set Account to the home account ID to act as (List Accounts shows it), and sign the other one out.',
				'Account',
			);
		}
		return byUsername[0];
	}
	if (accounts.length > 1) {
		throw new InvalidInputError(
			`The credential holds ${accounts.length} signed-in accounts (${excerpt(accounts.map((a) => a.username).join(', '), 300)}) and none is chosen.`,
			'Set Account in the credential (or the node) to the username to act as, or sign the others out.',
			'Account',
		);
	}
	return accounts[0];
}

/**
 * Silent-first delegated token: cached access token, then the refresh token, and only when
 * both fail the sign-in flow. A failed silent attempt writes nothing.
 */
export async function acquireDelegatedToken(
	prepared: PreparedApp<PublicClientApplication>,
	settings: DelegatedSettings,
	storedCache: string | undefined,
	request: DelegatedTokenRequest,
	signIn: SignInFlow,
): Promise<TokenOutcome> {
	const scopes = delegatedScopes(
		request.scopes ?? settings.scopes,
		request.scopes === undefined ? 'Scopes (credential)' : 'Scopes',
	);
	const wanted = request.account ?? settings.account;
	const session = sessionFor(prepared, storedCache);
	const fail = (error: unknown) => translateMsalError(error, session.failureContext());
	let reason: SignInReason = 'no-account';
	try {
		const silent = await session.use(storedCache, { record: request.record }, async (app) => {
			const account = selectAccount(await app.getAllAccounts(), wanted);
			if (!account) return { value: undefined, changed: false };
			try {
				const result = await app.acquireTokenSilent({
					account,
					scopes,
					forceRefresh: request.forceRefresh === true,
					claims: request.claims || undefined,
				});
				return { value: result, changed: !result.fromCache };
			} catch (error) {
				if (!isSignInNeeded(error)) throw error;
				reason = request.claims ? 'claims' : 'interaction-required';
				return { value: undefined, changed: false };
			}
		});
		if (silent.value)
			return {
				token: toTokenResult(silent.value),
				cacheToStore: silent.cacheToStore,
				saved: silent.saved,
				warnings: silent.warnings,
			};
		// The sign-in's own write supersedes whatever the silent attempt wrote (discovery metadata).
		silent.saved?.();
		return await signInAndAdopt(session, storedCache, request, scopes, reason, signIn, silent.warnings);
	} catch (error) {
		throw fail(error);
	}
}

async function signInAndAdopt(
	session: CacheSession<PublicClientApplication>,
	storedCache: string | undefined,
	request: DelegatedTokenRequest,
	scopes: string[],
	reason: SignInReason,
	signIn: SignInFlow,
	warnings: string[],
): Promise<TokenOutcome> {
	const app = session.detachedApp(storedCache, signIn.network?.(session.network));
	const result = await signIn(app, scopes, reason, request.claims);
	const cacheToStore = await session.adopt(storedCache, app.getTokenCache().serialize(), request.record);
	return { token: toTokenResult(result), cacheToStore, warnings };
}

export async function listAccounts(
	prepared: PreparedApp<PublicClientApplication>,
	storedCache: string | undefined,
): Promise<{ accounts: AccountSummary[]; warnings: string[] }> {
	const session = sessionFor(prepared, storedCache);
	const outcome = await session.use(storedCache, {}, async (app) => ({
		value: (await app.getAllAccounts()).map(summarizeAccount),
		changed: false,
	}));
	outcome.saved?.(); // nothing of it is saved
	return { accounts: outcome.value, warnings: outcome.warnings };
}

/** Removes one account (by username or home account ID), or every account, from the cache. */
export async function signOut(
	prepared: PreparedApp<PublicClientApplication>,
	storedCache: string | undefined,
	which: { all: true } | { account: string },
	record?: string,
): Promise<{ removed: AccountSummary[]; cacheToStore?: string; saved?: () => void }> {
	const session = sessionFor(prepared, storedCache);
	// Exclusive: a process renewing from an older cache at the same moment must not write the account back.
	const outcome = await session.use(storedCache, { exclusive: true, record }, async (app) => {
		const accounts = await app.getAllAccounts();
		const targets = 'all' in which ? accounts : accounts.filter((a) => selectAccount([a], which.account));
		if (!('all' in which) && targets.length === 0) {
			throw new InvalidInputError(
				`No signed-in account ${quote(which.account)} in the credential (signed in: ${excerpt(accounts.map((a) => a.username).join(', '), 300) || 'nobody'}).`,
				'Use List Accounts to see the usernames.',
				'Account',
			);
		}
		for (const account of targets) await app.getTokenCache().removeAccount(account);
		return { value: targets.map(summarizeAccount), changed: targets.length > 0 };
	});
	return { removed: outcome.value, cacheToStore: outcome.cacheToStore, saved: outcome.saved };
}

export interface CachedTokenStatus {
	/** ISO time until which a cached access token serves without a request (beyond MSAL's 5-minute renewal window). */
	accessTokenValidUntil?: string;
	hasRefreshToken: boolean;
}

interface MsalCacheMaps {
	AccessToken?: Record<string, { home_account_id: string; expires_on: string }>;
	RefreshToken?: Record<string, { home_account_id: string }>;
}

/** What the stored cache holds for one account, read without MSAL and without any request. */
export function cachedTokenStatus(
	prepared: PreparedApp<PublicClientApplication>,
	storedCache: string | undefined,
	homeAccountId: string,
): CachedTokenStatus {
	const envelope = readEnvelope(storedCache, prepared.owner, prepared.clientId);
	const msal: MsalCacheMaps = envelope.kind === 'ok' ? (envelope.envelope.msal as MsalCacheMaps) : {};
	const renewBefore = Date.now() / 1000 + 300;
	const validUntil = Object.values(msal.AccessToken ?? {})
		.filter((t) => t.home_account_id === homeAccountId && Number(t.expires_on) > renewBefore)
		.map((t) => Number(t.expires_on))
		.sort((a, b) => b - a)[0];
	return {
		accessTokenValidUntil: validUntil ? new Date(validUntil * 1000).toISOString() : undefined,
		hasRefreshToken: Object.values(msal.RefreshToken ?? {}).some((t) => t.home_account_id === homeAccountId),
	};
}
