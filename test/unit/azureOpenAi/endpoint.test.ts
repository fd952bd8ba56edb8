import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../../../nodes/core/errors';
import { modelEndpoint, type EndpointSettings } from '../../../nodes/core/azureOpenAi/endpoint';

const base: EndpointSettings = {
	endpointType: 'resourceName',
	resourceName: 'contoso-openai',
	deployment: 'gpt-4o-mini',
	api: 'deployment',
	apiVersion: '2024-10-21',
};

const fieldOf = (settings: EndpointSettings): string | undefined => {
	try {
		modelEndpoint(settings);
	} catch (error) {
		expect(error).toBeInstanceOf(InvalidInputError);
		return (error as InvalidInputError).field;
	}
	return undefined;
};

describe('Azure OpenAI endpoint', () => {
	it('a resource name gives the deployment route with its api-version', () => {
		expect(modelEndpoint(base)).toEqual({
			baseUrl: 'https://contoso-openai.openai.azure.com/openai/deployments/gpt-4o-mini',
			query: { 'api-version': '2024-10-21' },
			model: 'gpt-4o-mini',
		});
	});

	it('the v1 API has no api-version and names the deployment as the model', () => {
		expect(modelEndpoint({ ...base, api: 'v1' })).toEqual({
			baseUrl: 'https://contoso-openai.openai.azure.com/openai/v1',
			query: {},
			model: 'gpt-4o-mini',
		});
	});

	it('a full endpoint keeps its host and path prefix (API Management, custom domain), and drops a pasted /openai suffix', () => {
		const url = (endpointUrl: string, api: EndpointSettings['api'] = 'deployment') =>
			modelEndpoint({ ...base, endpointType: 'url', endpointUrl, api }).baseUrl;
		expect(url('https://apim-contoso.azure-api.net/aoai/')).toBe(
			'https://apim-contoso.azure-api.net/aoai/openai/deployments/gpt-4o-mini',
		);
		expect(url('https://ai.contoso.com/openai/v1/', 'v1')).toBe('https://ai.contoso.com/openai/v1');
		expect(url('https://x.cognitiveservices.azure.com/openai/deployments/other')).toBe(
			'https://x.cognitiveservices.azure.com/openai/deployments/gpt-4o-mini',
		);
		expect(url('http://127.0.0.1:8443', 'v1')).toBe('http://127.0.0.1:8443/openai/v1');
	});

	it('bad input names the field to fix', () => {
		expect(fieldOf({ ...base, resourceName: 'contoso.openai.azure.com' })).toBe('Resource Name');
		expect(fieldOf({ ...base, endpointType: 'url', endpointUrl: 'contoso' })).toBe('Endpoint');
		expect(fieldOf({ ...base, endpointType: 'url', endpointUrl: 'http://contoso.openai.azure.com' })).toBe('Endpoint');
		expect(fieldOf({ ...base, endpointType: 'url', endpointUrl: 'https://x.test/?api-key=1' })).toBe('Endpoint');
		expect(fieldOf({ ...base, deployment: 'a/../b' })).toBe('Deployment Name');
		expect(fieldOf({ ...base, apiVersion: 'latest' })).toBe('API Version');
		expect(fieldOf({ ...base, api: 'v1', apiVersion: 'latest' })).toBeUndefined();
	});
});
