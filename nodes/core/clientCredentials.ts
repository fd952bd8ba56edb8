import { createHash } from 'node:crypto';
import { assertPlatformTokenMayBeUsed, federatedTokenFileAssertion } from './federatedTokenFile';
import { assertAmbientResourceAllowed, type AmbientUse } from './hostIdentity';
import { WORKLOAD_IDENTITY_USE } from './workloadIdentityEnvironment';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import { ConfidentialClientApplication, type AuthenticationResult } from '@azure/msal-node';
import { resolveAuthority, validateClientId, type AuthoritySettings, type ResolvedAuthority } from './authority';
import { cacheOwner } from './cacheEnvelope';
import { sessionFor, type PreparedApp } from './cacheSession';
import { parseCertificateCredential } from './certificate';
import { IdentityProviderError, InvalidInputError, type MsalNodeError } from './errors';
import { translateMsalError } from './errorTranslation';
import { msalConfiguration } from './msalConfiguration';
import { normalizeAppScopes } from './scopes';
import { adminConsentUrl, tenantAuthority, type TenantAuthority } from './tenantOverride';
import { toTokenResult, type TokenRequest, type TokenOutcome } from './tokenResult';
import { quote } from './quote';

export type ClientAuthentication =
	| { method: 'secret'; clientSecret: string }
	| { method: 'certificate'; privateKey: string; certificate: string; passphrase?: string; sendX5c: boolean }
	| { method: 'assertion'; clientAssertion: string }
	/** A platform token from a file; `fromEnvironment`: Workload Identity From Environment. */
	| { method: 'assertionFile'; tokenFilePath: string; fromEnvironment?: boolean };

/** A client-credentials credential as the user filled it in, free of n8n types. */
export interface ClientCredentialsSettings extends AuthoritySettings {
	clientId: string;
	authentication: ClientAuthentication;
	/** Default scope, e.g. https://graph.microsoft.com/.default */
	scopes: string;
	/** Tenants a Tenant Override may name (IDs or domains, `*` for any); empty refuses every override. */
	allowedTenants?: string;
}

/** A confidential client ready to be built, with the authority a Tenant Override is derived from. */
export type PreparedConfidentialClient = PreparedApp<ConfidentialClientApplication> & { resolved: ResolvedAuthority };

const preparedBySettings = new Map<string, PreparedConfidentialClient>();
const PREPARED_LIMIT = 200;

/**
 * Validates every field and returns what is needed to build the MSAL application. Memoised:
 * every item of every execution passes through here, and parsing a certificate is not free.
 */
export function prepareClientCredentials(settings: ClientCredentialsSettings): PreparedConfidentialClient {
	// Not memoised: the administrator's settings are read at every use.
	const platformToken = platformTokenUse(settings.authentication);
	if (platformToken) assertPlatformTokenMayBeUsed(settings.cloud, platformToken);
	const memoKey = JSON.stringify([
		settings.cloud,
		settings.tenant,
		settings.authorityUrl,
		settings.clientId,
		settings.authentication,
	]);
	const known = preparedBySettings.get(memoKey);
	if (known) return known;
	const prepared = validateAndPrepare(settings);
	preparedBySettings.set(memoKey, prepared);
	if (preparedBySettings.size > PREPARED_LIMIT)
		preparedBySettings.delete(preparedBySettings.keys().next().value as string);
	return prepared;
}

/** What a credential that sends the host's platform token is called in errors, or undefined. */
function platformTokenUse(authentication: ClientAuthentication): AmbientUse | undefined {
	if (authentication?.method !== 'assertionFile') return undefined;
	return authentication.fromEnvironment
		? WORKLOAD_IDENTITY_USE
		: { what: 'A Federated Client Assertion from a token file', field: 'Assertion Source' };
}

function validateAndPrepare(settings: ClientCredentialsSettings): PreparedConfidentialClient {
	const resolved = resolveAuthority(settings, []);
	const clientId = validateClientId(settings.clientId, settings.cloud !== 'custom');
	const auth = msalClientAuth(settings.authentication);
	const key = createHash('sha256')
		.update(JSON.stringify(['cc', resolved.authority, clientId, settings.authentication]))
		.digest('base64url');
	return {
		key,
		owner: cacheOwner(resolved.authority, clientId),
		clientId,
		authority: resolved.authority,
		resolved,
		shareableAcrossRecords: true,
		create: (networkClient, authorityMetadata) =>
			new ConfidentialClientApplication(msalConfiguration(resolved, clientId, networkClient, authorityMetadata, auth)),
	};
}

function msalClientAuth(authentication: ClientAuthentication) {
	switch (authentication?.method) {
		case 'secret': {
			const clientSecret = (authentication.clientSecret ?? '').trim();
			if (!clientSecret) {
				throw new InvalidInputError(
					'Client Secret is empty.',
					"Create a secret in the app registration's Certificates & secrets page and paste its Value.",
					'Client Secret',
				);
			}
			return { clientSecret };
		}
		case 'certificate': {
			const parsed = parseCertificateCredential(
				authentication.privateKey,
				authentication.certificate,
				authentication.sendX5c,
				authentication.passphrase,
			);
			return {
				clientCertificate: {
					privateKey: parsed.privateKeyPem,
					thumbprintSha256: parsed.thumbprintSha256,
					x5c: parsed.x5c,
				},
			};
		}
		case 'assertion': {
			const clientAssertion = (authentication.clientAssertion ?? '').trim();
			if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(clientAssertion)) {
				throw new InvalidInputError(
					'Client Assertion is not a JWT (three base64url parts separated by dots).',
					'Give the signed token issued by your workload identity provider, e.g. with an expression reading it from a file or a previous node.',
					'Client Assertion',
				);
			}
			return { clientAssertion };
		}
		case 'assertionFile':
			return { clientAssertion: federatedTokenFileAssertion(authentication.tokenFilePath) };
		default:
			throw new InvalidInputError(
				`Unknown client authentication ${quote((authentication as { method?: unknown })?.method)}.`,
				'Pick Client Secret, Certificate or Federated Client Assertion.',
				'Client Authentication',
			);
	}
}

/**
 * Silent-first app token: MSAL's cache (loaded from the credential) first; the token endpoint
 * only when it has no token valid for more than 5 minutes, or when forced / claims are given.
 */
export async function acquireAppToken(
	settings: ClientCredentialsSettings,
	storedCache: string | undefined,
	request: TokenRequest,
): Promise<TokenOutcome> {
	const prepared = prepareClientCredentials(settings);
	const scopeField = request.scopes === undefined ? 'Scopes (credential)' : 'Scopes';
	const scopes = normalizeAppScopes(request.scopes ?? settings.scopes, scopeField);
	if (platformTokenUse(settings.authentication)) assertAmbientResourceAllowed(scopes, scopeField);
	const target = tenantAuthority(
		prepared.resolved,
		settings.cloud === 'custom',
		request.tenant,
		settings.allowedTenants,
	);
	const overridden = target.authority !== prepared.authority;
	const session = sessionFor(prepared, storedCache);
	try {
		const outcome = await session.use(storedCache, {}, async (app) => {
			// One application and one cache for every tenant: MSAL keys app tokens by the request
			// authority's tenant (realm), so each tenant has its own token and its own renewal.
			const result: AuthenticationResult | null = await app.acquireTokenByClientCredential({
				scopes,
				authority: overridden ? target.authority : undefined,
				skipCache: request.forceRefresh === true,
				claims: request.claims || undefined,
			});
			if (!result)
				throw new InvalidInputError('MSAL returned no token.', 'Try again; if it persists, report it.', undefined);
			return { value: toTokenResult(result), changed: !result.fromCache };
		});
		return { token: outcome.value, cacheToStore: outcome.cacheToStore, warnings: outcome.warnings };
	} catch (error) {
		throw inTenant(translateMsalError(error, session.failureContext()), target, overridden, prepared.clientId);
	}
}

// The app is not (fully) consented in this tenant: each customer tenant's administrator consents once.
const CONSENT_CODES = new Set(['700016', '7000229', '65001']);

/**
 * Names the tenant an identity-provider error happened in (a Tenant Override, or missing consent),
 * with the admin-consent link of that tenant when consent is what is missing.
 */
function inTenant(error: MsalNodeError, target: TenantAuthority, overridden: boolean, clientId: string): MsalNodeError {
	if (!(error instanceof IdentityProviderError) || !target.tenant) return error;
	const consent = error.aadstsCode !== undefined && CONSENT_CODES.has(error.aadstsCode);
	if (!overridden && !consent) return error;
	return new IdentityProviderError(
		`${error.message.replace(/\.$/, '')} (tenant ${target.tenant}).`,
		!consent
			? error.fix
			: overridden
				? `The app is not consented in tenant ${target.tenant}: an administrator of that tenant grants consent at ${adminConsentUrl(target.authority, clientId)}`
				: `${error.fix} Admin consent for tenant ${target.tenant}: ${adminConsentUrl(target.authority, clientId)}`,
		error.errorCode,
		error.aadstsCode,
		error.correlationId,
		error.field,
	);
}
