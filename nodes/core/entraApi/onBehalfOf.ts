import { createHash } from 'node:crypto';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { ConfidentialClientApplication } from '@azure/msal-node';
import { prepareClientCredentials, type ClientCredentialsSettings } from '../clientCredentials';
import { IdentityProviderError, InvalidInputError, MsalNodeError } from '../errors';
import { translateMsalError } from '../errorTranslation';
import { MsalNetworkClient } from '../networkClient';
import { processWide } from '../processWide';
import { parseScopes } from '../scopes';
import { toTokenResult, type TokenResult } from '../tokenResult';

/**
 * On-Behalf-Of: the API (n8n's protected webhook) exchanges the token its caller sent for a token
 * to a downstream API, as the same person, with MSAL's acquireTokenOnBehalfOf.
 *
 * The tokens are other people's: they live only in this process's memory, in one MSAL
 * application per app registration, never in the credential record. MSAL keys them by the hash
 * of the incoming assertion, so the same caller token finds its downstream token without a
 * request. Bounded: when more than OBO_ASSERTION_LIMIT distinct caller tokens have been seen, the
 * application's cache is emptied (the next calls fetch again).
 */
export const OBO_ASSERTION_LIMIT = 1000;

interface OboApp {
	app: ConfidentialClientApplication;
	network: MsalNetworkClient;
	assertions: Set<string>;
}

const oboApps = processWide('onBehalfOfApps', () => new Map<string, OboApp>());
const APP_LIMIT = 50;

function oboAppFor(settings: ClientCredentialsSettings): OboApp {
	const prepared = prepareClientCredentials(settings);
	let entry = oboApps.get(prepared.key);
	if (!entry) {
		const network = new MsalNetworkClient();
		entry = { app: prepared.create(network, undefined), network, assertions: new Set() };
		oboApps.set(prepared.key, entry);
		if (oboApps.size > APP_LIMIT) oboApps.delete(oboApps.keys().next().value as string);
	}
	return entry;
}

/** The caller's token from a header value ("Bearer …") or the bare token. */
export function assertionFrom(value: string | undefined): string {
	const text = (value ?? '').trim().replace(/^Bearer\s+/i, '');
	if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(text)) {
		throw new InvalidInputError(
			"The caller's token (User Assertion) is not a JWT.",
			'Map the token the webhook received, e.g. {{ $json.token }} from the protected webhook trigger with "Include Token" on, or its Authorization header.',
			'User Assertion',
		);
	}
	return text;
}

/** The consent the downstream permission needs, with the admin-consent link. */
export class ConsentRequiredError extends IdentityProviderError {}

/**
 * The person must do something (MFA, a Conditional Access step, a claims challenge): the API
 * answers its caller 401 with `wwwAuthenticate`, and the caller signs in again with the claims.
 */
export class OboInteractionRequiredError extends IdentityProviderError {
	constructor(
		message: string,
		fix: string,
		errorCode: string,
		aadstsCode: string | undefined,
		correlationId: string | undefined,
		/** The claims challenge (JSON) the identity provider returned, if any. */
		readonly claims: string | undefined,
		/** The WWW-Authenticate header value to answer the caller with. */
		readonly wwwAuthenticate: string,
	) {
		super(message, fix, errorCode, aadstsCode, correlationId);
	}
}

export interface OboRequest {
	assertion: string;
	scopes: string | string[];
	forceRefresh?: boolean;
	claims?: string;
}

/** Silent-first On-Behalf-Of token: MSAL's in-memory OBO cache, then the token endpoint. */
export async function acquireOnBehalfOf(
	settings: ClientCredentialsSettings,
	request: OboRequest,
): Promise<TokenResult> {
	const scopes = parseScopes(request.scopes);
	if (scopes.length === 0) {
		throw new InvalidInputError(
			'Scope is empty.',
			'Enter the downstream API permission(s), e.g. https://graph.microsoft.com/User.Read or api://downstream/.default.',
			'Scope',
		);
	}
	const assertion = assertionFrom(request.assertion);
	const entry = oboAppFor(settings);
	{
		// Synchronous bookkeeping: concurrent calls of different callers need not wait for each other.
		const assertionHash = createHash('sha256').update(assertion).digest('base64url');
		if (!entry.assertions.has(assertionHash)) {
			if (entry.assertions.size >= OBO_ASSERTION_LIMIT) {
				entry.app.clearCache();
				entry.assertions.clear();
			}
			entry.assertions.add(assertionHash);
		}
	}
	try {
		const result = await entry.app.acquireTokenOnBehalfOf({
			oboAssertion: assertion,
			scopes,
			skipCache: request.forceRefresh === true,
			claims: request.claims || undefined,
		});
		if (!result) throw new MsalNodeError('MSAL returned no token.', 'Try again; if it persists, report it.');
		return toTokenResult(result);
	} catch (error) {
		throw translateOboError(error, settings, scopes, {
			authority: prepareClientCredentials(settings).authority,
			networkFailure: entry.network.lastFailure,
			discoveryError: entry.network.lastDiscoveryError,
		});
	}
}

interface MsalLikeError {
	errorCode?: string;
	errorMessage?: string;
	subError?: string;
	claims?: string;
	correlationId?: string;
	message?: string;
}

function translateOboError(
	error: unknown,
	settings: ClientCredentialsSettings,
	scopes: string[],
	context: Parameters<typeof translateMsalError>[1],
): unknown {
	const e = (error ?? {}) as MsalLikeError;
	const text = `${e.errorCode ?? ''} ${e.errorMessage ?? e.message ?? ''}`;
	const aadsts = /AADSTS(\d+)/.exec(text)?.[1];
	const prepared = prepareClientCredentials(settings);
	if (aadsts === '65001' || e.subError === 'consent_required') {
		const url = adminConsentUrl(prepared.authority, prepared.clientId, scopes);
		return new ConsentRequiredError(
			`AADSTS65001: nobody consented to the permission ${scopes.join(' ')} for app ${prepared.clientId} (the API calling on behalf of its caller).`,
			`An administrator grants it once at ${url} (or in the app registration's API permissions: "Grant admin consent"). Add the client app to "Known client applications" of this API so users consent to both at sign-in.`,
			e.errorCode ?? 'invalid_grant',
			'65001',
			e.correlationId,
			'Scope',
		);
	}
	const interaction =
		e.errorCode === 'interaction_required' ||
		e.subError === 'basic_action' ||
		e.subError === 'additional_action' ||
		(e.claims !== undefined && e.claims !== '') ||
		/AADSTS(50076|50079|50158|53003|50001)/.test(text);
	if (interaction) {
		const claims = e.claims || undefined;
		const challenge = [
			'Bearer realm=""',
			`authorization_uri="${prepared.authority}/oauth2/v2.0/authorize"`,
			`client_id="${prepared.clientId}"`,
			'error="insufficient_claims"',
			...(claims ? [`claims="${Buffer.from(claims).toString('base64')}"`] : []),
		].join(', ');
		return new OboInteractionRequiredError(
			`The caller must sign in again${claims ? ' with the claims the identity provider asked for' : ''} (${e.errorCode ?? 'interaction_required'}${aadsts ? `, AADSTS${aadsts}` : ''}).`,
			'Answer the caller 401 with this WWW-Authenticate header (wwwAuthenticate); the client app signs in again with the claims and calls again.',
			e.errorCode ?? 'interaction_required',
			aadsts,
			e.correlationId,
			claims,
			challenge,
		);
	}
	return translateMsalError(error, context);
}

/** Entra's admin-consent endpoint for the API's app and the downstream permissions. */
export function adminConsentUrl(authority: string, clientId: string, scopes: string[]): string {
	const query = new URLSearchParams({ client_id: clientId, scope: scopes.join(' ') });
	return `${authority}/v2.0/adminconsent?${query.toString()}`;
}
