import { InvalidInputError } from '../errors';
import { isLoopbackHost } from '../loopback';
import { quote } from '../quote';

/**
 * Where an Azure OpenAI model is reached: the resource's own host, a custom domain, a private
 * endpoint or API Management in front of it, with either the deployment routes
 * (/openai/deployments/{deployment}/…?api-version=…) or the version-less v1 API (/openai/v1/…).
 * The OpenAI client appends "/chat/completions" or "/embeddings" to the base URL.
 */

export const RESOURCE_NAME_FIELD = 'Resource Name';
export const ENDPOINT_FIELD = 'Endpoint';
export const DEPLOYMENT_FIELD = 'Deployment Name';
export const API_VERSION_FIELD = 'API Version';

export interface EndpointSettings {
	/** 'resourceName': https://{name}.openai.azure.com; 'url': a full endpoint URL. */
	endpointType: 'resourceName' | 'url';
	resourceName?: string;
	endpointUrl?: string;
	deployment: string;
	/** 'deployment': the classic routes with an api-version; 'v1': the /openai/v1/ API. */
	api: 'deployment' | 'v1';
	apiVersion?: string;
}

export interface ModelEndpoint {
	baseUrl: string;
	/** The query every request carries (api-version on the deployment routes). */
	query: Record<string, string>;
	/** What goes into the request body's `model`: the deployment name either way. */
	model: string;
}

// Azure resource names: letters, digits and hyphens, starting and ending with a letter or digit.
const RESOURCE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/i;
// A deployment name is a path segment: no slash, no query, nothing that needs escaping twice.
const DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const API_VERSION = /^\d{4}-\d{2}-\d{2}(?:-preview)?$/;

export function modelEndpoint(settings: EndpointSettings): ModelEndpoint {
	const root = endpointRoot(settings);
	const deployment = settings.deployment.trim();
	if (!DEPLOYMENT_NAME.test(deployment)) {
		throw new InvalidInputError(
			`The deployment name ${quote(deployment)} is not valid.`,
			'Enter the name of the model deployment as the Azure AI Foundry portal shows it (letters, digits, ".", "_", "-"), e.g. gpt-4o-mini.',
			DEPLOYMENT_FIELD,
		);
	}
	if (settings.api === 'v1') return { baseUrl: `${root}/openai/v1`, query: {}, model: deployment };
	const apiVersion = (settings.apiVersion ?? '').trim();
	if (!API_VERSION.test(apiVersion)) {
		throw new InvalidInputError(
			`The API version ${quote(apiVersion)} is not valid.`,
			'Enter a dated Azure OpenAI API version such as 2024-10-21 or 2025-04-01-preview, or choose the v1 API.',
			API_VERSION_FIELD,
		);
	}
	return {
		baseUrl: `${root}/openai/deployments/${deployment}`,
		query: { 'api-version': apiVersion },
		model: deployment,
	};
}

/** The endpoint without a trailing slash and without an "/openai…" suffix a user pasted with it. */
function endpointRoot(settings: EndpointSettings): string {
	if (settings.endpointType === 'resourceName') {
		const name = (settings.resourceName ?? '').trim();
		if (!RESOURCE_NAME.test(name)) {
			throw new InvalidInputError(
				`The resource name ${quote(name)} is not valid.`,
				'Enter the name of the Azure OpenAI resource (the part before .openai.azure.com), or choose Endpoint URL for a custom domain, private endpoint or API Management.',
				RESOURCE_NAME_FIELD,
			);
		}
		return `https://${name.toLowerCase()}.openai.azure.com`;
	}
	const raw = (settings.endpointUrl ?? '').trim();
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new InvalidInputError(
			`The endpoint ${quote(raw)} is not a URL.`,
			'Enter the full endpoint, e.g. https://contoso.openai.azure.com or https://apim-contoso.azure-api.net/openai-gateway.',
			ENDPOINT_FIELD,
		);
	}
	if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
		throw new InvalidInputError(
			`The endpoint ${quote(url.origin)} is not HTTPS; the access token would travel in clear text.`,
			'Use the https:// address of the resource, custom domain, private endpoint or API Management gateway.',
			ENDPOINT_FIELD,
		);
	}
	if (url.search || url.hash || url.username || url.password) {
		throw new InvalidInputError(
			`The endpoint ${quote(raw)} has a query, fragment or user name; the node adds the path and query itself.`,
			'Enter only the scheme, host and (for API Management) the path prefix.',
			ENDPOINT_FIELD,
		);
	}
	const path = url.pathname.replace(/\/+$/, '').replace(/\/openai(?:\/v1|\/deployments\/[^/]*)?$/i, '');
	return `${url.origin}${path}`;
}
