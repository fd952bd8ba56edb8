import type { IExecuteFunctions, INodeProperties, ISupplyDataFunctions } from 'n8n-workflow';
import { bearerFetch } from '../core/azureOpenAi/bearerFetch';
import {
	DEPLOYMENT_FIELD,
	ENDPOINT_FIELD,
	modelEndpoint,
	RESOURCE_NAME_FIELD,
	API_VERSION_FIELD,
	type EndpointSettings,
	type ModelEndpoint,
} from '../core/azureOpenAi/endpoint';
import { RenewingToken } from '../core/azureOpenAi/renewingToken';
import { assertTokenMayGo } from '../core/http/tokenGuard';
import { escapeForLog } from '../core/logging';
import { egressFilterOf, outboundFetch } from '../core/outbound';
import { parseScopes } from '../core/scopes';
import { cloudOf, domainRestrictionOf } from './credentialFields';
import { credentialKindNamed } from './credentialKinds';
import { acquireThroughCredentialStore } from './credentialStore';
import { toNodeError } from './itemErrors';
import { authenticationProperty } from './nodeProperties';

/**
 * What the two Azure OpenAI sub-nodes (chat model, embeddings) share: the endpoint parameters,
 * and the connection their OpenAI client uses, whose bearer comes from the package's
 * silent-first path for every request.
 */

/** The Azure OpenAI resource's audience: app kinds ask for its ".default", delegated kinds for its one permission. */
const COGNITIVE_SERVICES = 'https://cognitiveservices.azure.com';
const APP_SCOPE = `${COGNITIVE_SERVICES}/.default`;
const DELEGATED_SCOPE = `${COGNITIVE_SERVICES}/user_impersonation`;

/** The OpenAI client insists on a key; the fetch replaces it with the Entra ID bearer. */
export const NO_API_KEY = 'entra-id-bearer-set-per-request';

export const endpointProperties: INodeProperties[] = [
	authenticationProperty,
	{
		displayName: 'Endpoint Type',
		name: 'endpointType',
		type: 'options',
		noDataExpression: true,
		default: 'resourceName',
		options: [
			{
				name: 'Resource Name',
				value: 'resourceName',
				description: 'The resource host https://{resource}.openai.azure.com',
			},
			{
				name: 'Endpoint URL',
				value: 'url',
				description: 'A custom domain, a private endpoint, or API Management in front of the resource',
			},
		],
	},
	{
		displayName: RESOURCE_NAME_FIELD,
		name: 'resourceName',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. contoso-openai',
		description: 'The Azure OpenAI (or AI Foundry) resource: the part before .openai.azure.com',
		displayOptions: { show: { endpointType: ['resourceName'] } },
	},
	{
		displayName: ENDPOINT_FIELD,
		name: 'endpointUrl',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. https://contoso.cognitiveservices.azure.com',
		description:
			"The base URL the /openai/… paths are appended to. A host other than *.openai.azure.com, *.cognitiveservices.azure.com or *.services.ai.azure.com must be in the credential's Allowed Domains.",
		displayOptions: { show: { endpointType: ['url'] } },
	},
	{
		displayName: DEPLOYMENT_FIELD,
		name: 'deployment',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. gpt-4o-mini',
		description: 'The name of the model deployment',
	},
	{
		displayName: 'API',
		name: 'api',
		type: 'options',
		default: 'deployment',
		options: [
			{
				name: 'Deployment Routes (API Version)',
				value: 'deployment',
				description: '/openai/deployments/{deployment}/…?api-version=…',
			},
			{ name: 'V1 API', value: 'v1', description: '/openai/v1/…, no API version' },
		],
	},
	{
		displayName: API_VERSION_FIELD,
		name: 'apiVersion',
		type: 'string',
		default: '2024-10-21',
		description: 'The Azure OpenAI data-plane API version',
		displayOptions: { show: { api: ['deployment'] } },
	},
];

/** Options both nodes offer, with n8n's own Azure OpenAI nodes' names and defaults. */
export const connectionOptions: INodeProperties[] = [
	{
		displayName: 'Max Retries',
		name: 'maxRetries',
		type: 'number',
		default: 2,
		typeOptions: { minValue: 0 },
		description: 'Retries after a 429 (after its Retry-After), a timeout or a 5xx answer',
	},
	{
		displayName: 'Scope',
		name: 'scope',
		type: 'string',
		default: '',
		placeholder: APP_SCOPE,
		description: `Empty: ${APP_SCOPE} (app credentials) or ${DELEGATED_SCOPE} (a signed-in person). Must be within the credential's Scopes or Allowed Resources.`,
	},
	{
		displayName: 'Timeout',
		name: 'timeout',
		type: 'number',
		default: 60000,
		typeOptions: { minValue: 1 },
		description: 'Maximum time a request may take, in milliseconds',
	},
];

export interface ConnectionOptions {
	maxRetries?: number;
	scope?: string;
	timeout?: number;
}

export interface ModelConnection {
	endpoint: ModelEndpoint;
	/** Sets the bearer of the moment on each request of the OpenAI client. */
	fetch: typeof fetch;
}

/**
 * Reads the endpoint and the credential, acquires the first token (so a credential problem fails
 * the sub-node with the credential's own message), and returns the fetch every later request
 * takes its bearer from.
 */
export async function modelConnection(
	context: ISupplyDataFunctions,
	itemIndex: number,
	options: ConnectionOptions,
): Promise<ModelConnection> {
	try {
		const kind = credentialKindNamed(
			context.getNodeParameter('authentication', itemIndex, 'clientCredentials') as string,
		);
		const endpoint = modelEndpoint(endpointSettings(context, itemIndex));
		const credential = await context.getCredentials(kind.credentialType, itemIndex);
		const scopes = parseScopes(options.scope || (kind.tokens === 'delegated' ? DELEGATED_SCOPE : APP_SCOPE));
		// The store's helpers are those of IExecuteFunctions; a sub-node's context has the same ones.
		const storeContext = context as unknown as IExecuteFunctions;
		const token = new RenewingToken(async (claims) => {
			const { token, warnings } = await acquireThroughCredentialStore(storeContext, kind.credentialType, {
				scopes,
				claims,
				// Nobody watches a sub-node wait: a needed sign-in stops with the code in the error.
				signIn: { mode: 'stop' },
				scopeOrigin: "the node's Scope",
			});
			for (const warning of warnings) context.logger.warn(escapeForLog(warning));
			return token;
		});
		const assertMayGo = (url: URL) =>
			assertTokenMayGo(
				url,
				scopes,
				cloudOf(credential),
				domainRestrictionOf(credential),
				'the endpoint',
				ENDPOINT_FIELD,
			);
		assertMayGo(new URL(endpoint.baseUrl));
		await token.token();
		const egress = egressFilterOf(context.helpers);
		return {
			endpoint,
			fetch: bearerFetch({
				token,
				assertMayGo,
				send: async (url, init) => await outboundFetch(url, init, egress),
			}),
		};
	} catch (error) {
		throw toNodeError(context.getNode(), error, itemIndex);
	}
}

function endpointSettings(context: ISupplyDataFunctions, itemIndex: number): EndpointSettings {
	const text = (name: string, fallback = '') => String(context.getNodeParameter(name, itemIndex, fallback) ?? '');
	const api = text('api', 'deployment') === 'v1' ? 'v1' : 'deployment';
	return {
		endpointType: text('endpointType', 'resourceName') === 'url' ? 'url' : 'resourceName',
		resourceName: text('resourceName'),
		endpointUrl: text('endpointUrl'),
		deployment: text('deployment'),
		api,
		apiVersion: api === 'deployment' ? text('apiVersion', '2024-10-21') : undefined,
	};
}
