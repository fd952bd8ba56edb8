// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import { ManagedIdentityApplication, type ManagedIdentityIdParams } from '@azure/msal-node';
import { IdentityProviderError, IdentityProviderUnreachableError, InvalidInputError, MsalNodeError } from '../errors';
import { assertAmbientIdentityEnabled, assertAmbientResourceAllowed } from '../hostIdentity';
import { msalLoggerOptions } from '../logging';
import { processWide } from '../processWide';
import { normalizeAppScopes } from '../scopes';
import { SerialQueue } from '../serialQueue';
import { toTokenResult, type TokenOutcome, type TokenRequest } from '../tokenResult';
import { ManagedIdentityEndpointClient, type EndpointFailure } from './endpointClient';
import { describeSource, whatWasLookedFor } from './sources';
import { quote } from '../quote';

export type IdentityType = 'system' | 'userClientId' | 'userResourceId' | 'userObjectId';

/** A managed identity credential as the user filled it in, free of n8n types. */
export interface ManagedIdentitySettings {
	identityType: IdentityType;
	/** The user-assigned identity's client ID, resource ID or object ID ('' for system-assigned). */
	identityId: string;
	/** Default scope: `<resource>/.default`. */
	scopes: string;
}

const ID_FIELDS: Record<Exclude<IdentityType, 'system'>, { field: string; param: keyof ManagedIdentityIdParams }> = {
	userClientId: { field: 'Client ID', param: 'userAssignedClientId' },
	userResourceId: { field: 'Resource ID', param: 'userAssignedResourceId' },
	userObjectId: { field: 'Object ID', param: 'userAssignedObjectId' },
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_ID =
	/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+$/i;

/** The field that holds the user-assigned identity's ID, for errors. */
export function identityIdField(type: IdentityType): string {
	return type === 'system' ? 'Identity Type' : ID_FIELDS[type].field;
}

function managedIdentityIdParams(settings: ManagedIdentitySettings): ManagedIdentityIdParams | undefined {
	const { identityType: type } = settings;
	if (type === 'system') return undefined;
	const spec = ID_FIELDS[type];
	if (!spec) {
		throw new InvalidInputError(
			`Unknown identity type ${quote(type)}.`,
			'Pick System-Assigned or one of the User-Assigned options.',
			'Identity Type',
		);
	}
	const id = settings.identityId.trim();
	const valid = type === 'userResourceId' ? RESOURCE_ID.test(id) : GUID.test(id);
	if (!valid) {
		throw new InvalidInputError(
			id
				? `${spec.field} ${quote(id, 300)} is not a valid user-assigned identity ${spec.field.toLowerCase()}.`
				: `${spec.field} is empty.`,
			type === 'userResourceId'
				? "Copy the identity's Resource ID from its Properties page: /subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>."
				: `Copy the identity's ${spec.field} (a GUID) from its Overview page in the Azure portal.`,
			spec.field,
		);
	}
	return { [spec.param]: id };
}

/**
 * MSAL keeps one managed identity source per process (a static of its ManagedIdentityClient),
 * built with the network client of the first application that sends a request, and one
 * in-memory token cache (a static of ManagedIdentityApplication), keyed by identity and resource.
 * So: one network client for every identity, and one acquisition at a time, which keeps the
 * client's `lastFailure` that of the acquisition that reads it, and lets items waiting behind the
 * first one find its token in MSAL's cache instead of asking the endpoint again.
 */
const shared = processWide('managedIdentity', () => ({
	network: new ManagedIdentityEndpointClient(),
	queue: new SerialQueue(),
	/** One MSAL application per identity. */
	apps: new Map<string, ManagedIdentityApplication>(),
}));

function appFor(settings: ManagedIdentitySettings): ManagedIdentityApplication {
	const idParams = managedIdentityIdParams(settings);
	const key = JSON.stringify(idParams ?? 'system');
	let app = shared.apps.get(key);
	if (!app) {
		app = new ManagedIdentityApplication({
			managedIdentityIdParams: idParams,
			system: { networkClient: shared.network, loggerOptions: msalLoggerOptions },
		});
		shared.apps.set(key, app);
	}
	return app;
}

/** The source MSAL detects on this host (from the process environment), as a person calls it. */
export function detectedSource(settings: ManagedIdentitySettings): string {
	return describeSource(appFor(settings).getManagedIdentitySource()).name;
}

/**
 * Silent-first: MSAL's managed identity cache first (a token valid for more than 5 minutes, or
 * before its refresh time), the endpoint only when there is none or when forced / claims given.
 * Nothing is persisted in the credential record: the endpoint is local and needs no secret.
 */
export async function acquireManagedIdentityToken(
	settings: ManagedIdentitySettings,
	request: TokenRequest,
): Promise<TokenOutcome> {
	assertAmbientIdentityEnabled({ what: 'Managed identity', field: 'Identity Type' });
	const app = appFor(settings);
	const { network, queue } = shared;
	const scopeField = request.scopes === undefined ? 'Scopes (credential)' : 'Scopes';
	const scopes = normalizeAppScopes(request.scopes ?? settings.scopes, scopeField);
	assertAmbientResourceAllowed(scopes, scopeField);
	return await queue.run(async () => {
		network.lastFailure = undefined;
		try {
			const result = await app.acquireToken({
				resource: scopes[0],
				forceRefresh: request.forceRefresh === true,
				claims: request.claims || undefined,
			});
			// MSAL reports the resource as the scope; workflows and the token guard see the scope asked for.
			return { token: { ...toTokenResult(result), scopes }, warnings: [] };
		} catch (error) {
			throw translateManagedIdentityError(error, settings, app.getManagedIdentitySource(), network.lastFailure);
		}
	});
}

/** Turns what MSAL throws into an error that names the cause and the fix, never quoting the endpoint. */
export function translateManagedIdentityError(
	error: unknown,
	settings: ManagedIdentitySettings,
	msalSource: string,
	failure: EndpointFailure | undefined,
): MsalNodeError {
	if (error instanceof MsalNodeError) return error;
	const source = describeSource(msalSource);
	const userAssigned = settings.identityType !== 'system';
	const idField = identityIdField(settings.identityType);
	const errorCode = (error as { errorCode?: unknown })?.errorCode;
	// Azure's IMDS answers 400 for an identity it does not have; a bare 404 there is another
	// cloud's metadata service (or none), after MSAL's retries.
	const notAzureImds = msalSource === 'DefaultToImds' && failure?.status === 404 && failure.code === undefined;
	if (failure?.status === undefined || notAzureImds) {
		if (msalSource === 'DefaultToImds') {
			return new IdentityProviderUnreachableError(
				`No managed identity found on this host. Looked for: ${whatWasLookedFor()}.${failure ? ` IMDS: ${failure.description}` : ''}`,
				'Run n8n on an Azure host with a managed identity (App Service, Container Apps, a VM, AKS, Azure Arc) and pass its environment variables to the n8n process (e.g. docker run -e IDENTITY_ENDPOINT -e IDENTITY_HEADER); elsewhere use the Client Credentials credential.',
			);
		}
		return new IdentityProviderUnreachableError(
			`The managed identity endpoint of ${source.name} could not be reached${failure ? `: ${failure.description}` : ` (${String(errorCode ?? 'unknown error')})`}.`,
			`Check that ${source.detectedBy} are the platform's own values and reach the n8n process unchanged.`,
		);
	}
	const { status, code } = failure;
	const said = failure.description;
	if (code === 'invalid_resource' || code === 'invalid_scope') {
		return new IdentityProviderError(
			`${said} The resource is not known to Microsoft Entra ID.`,
			"Use the API's resource followed by /.default, e.g. https://graph.microsoft.com/.default.",
			code,
			undefined,
			undefined,
			'Scopes',
		);
	}
	if ((status === 400 || status === 404) && userAssigned) {
		return new IdentityProviderError(
			`${said} The user-assigned identity given in ${idField} (${quote(settings.identityId.trim(), 300)}) is not attached to this ${source.name} host, or does not exist.`,
			`Assign the user-assigned identity to this resource in the Azure portal (Identity → User assigned → Add), or correct ${idField}.`,
			code ?? String(status),
			undefined,
			undefined,
			idField,
		);
	}
	if (status === 400 || status === 404) {
		return new IdentityProviderError(
			`${said} This host has no system-assigned identity enabled.`,
			'Turn on the system-assigned identity of this resource in the Azure portal (Identity → System assigned → On), or choose the user-assigned identity attached to it in Identity Type.',
			code ?? String(status),
			undefined,
			undefined,
			'Identity Type',
		);
	}
	if (status === 401 || status === 403) {
		return new IdentityProviderError(
			`${said} The endpoint refused this process's credentials.`,
			`Pass the platform's own ${source.detectedBy} to the n8n process unchanged.`,
			code ?? String(status),
		);
	}
	return new IdentityProviderError(
		`${said}${status >= 500 || status === 429 ? ' It is unavailable or busy (MSAL already retried).' : ''}`,
		'Try again later; if it persists, check the managed identity of this resource in the Azure portal.',
		code ?? String(status),
	);
}

/** The identity a token belongs to: its app (client) ID, else its object ID. */
export function identityOfToken(accessToken: string): string {
	try {
		const claims = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
			string,
			unknown
		>;
		const clientId = claims.appid ?? claims.azp;
		if (typeof clientId === 'string') return `client ID ${clientId}`;
		if (typeof claims.oid === 'string') return `object ID ${claims.oid}`;
	} catch {
		// An opaque token: nothing to tell.
	}
	return 'an identity the token does not name';
}
