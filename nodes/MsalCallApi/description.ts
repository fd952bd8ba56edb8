/* eslint-disable n8n-nodes-base/node-filename-against-convention -- the description beside its node, as in n8n's Outlook v2 node */
import { NodeConnectionTypes, type INodeProperties, type INodeTypeDescription } from 'n8n-workflow';
import { credentialDescriptions, DELEGATED_KIND_NAMES } from '../n8n/credentialKinds';
import { authenticationProperty, signInOptionsProperty } from '../n8n/nodeProperties';
import { onBehalfOfProperties } from '../n8n/onBehalfOf';
import { tenantOverrideProperty } from '../n8n/tenantOverride';

const nameValue = (nameExample: string, valueExample: string): INodeProperties[] => [
	{ displayName: 'Name', name: 'name', type: 'string', default: '', placeholder: `e.g. ${nameExample}` },
	{ displayName: 'Value', name: 'value', type: 'string', default: '', placeholder: `e.g. ${valueExample}` },
];

/** The Call API node's parameters. Display names here are the "field" names its errors cite. */
const properties: INodeProperties[] = [
	authenticationProperty,
	...onBehalfOfProperties({}),
	{
		displayName: 'Method',
		name: 'method',
		type: 'options',
		default: 'GET',
		options: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].map((method) => ({
			name: method,
			value: method,
		})),
		description: 'HTTP method of the request',
	},
	{
		displayName: 'Base URL',
		name: 'baseUrl',
		type: 'options',
		default: 'graphV1',
		options: [
			{
				name: 'Azure Resource Manager',
				value: 'resourceManager',
				description: "Base https://management.azure.com/ (or the equivalent in the credential's cloud)",
			},
			{
				name: 'Custom',
				value: 'custom',
				description: 'A base URL you enter, e.g. https://contoso.sharepoint.com/_api/',
			},
			{
				name: 'Microsoft Graph Beta',
				value: 'graphBeta',
				description: "Base https://graph.microsoft.com/beta/ (or the equivalent in the credential's cloud)",
			},
			{
				name: 'Microsoft Graph v1.0',
				value: 'graphV1',
				description:
					"Base https://graph.microsoft.com/v1.0/ (or the US Government / China equivalent of the credential's cloud)",
			},
			{ name: 'None (Absolute URL)', value: 'none', description: 'The URL field holds the full URL' },
		],
		description: 'What a relative URL is appended to. An absolute URL (https://…) is used as is, whatever the base.',
	},
	{
		displayName: 'Custom Base URL',
		name: 'customBaseUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. https://contoso.sharepoint.com/_api/',
		displayOptions: { show: { baseUrl: ['custom'] } },
	},
	{
		displayName: 'URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. users?$select=displayName or https://graph.microsoft.com/v1.0/users',
		description:
			'Path relative to the Base URL (e.g. "users/{ID}/messages" for Graph, "subscriptions?api-version=2022-12-01" for ARM), or a full https:// URL. The token is only sent to hosts of the token\'s API or the credential\'s Allowed Domains.',
	},
	{
		displayName: 'Scope',
		name: 'scopes',
		type: 'string',
		default: '',
		placeholder: 'e.g. https://management.azure.com/.default',
		description:
			"Scope of the token. Empty: the credential's scope when the URL is on that API, else derived from the URL for Microsoft APIs (Graph, ARM, Key Vault, Storage, SharePoint, Dataverse…). App tokens take one scope: the API's resource followed by /.default, e.g. api://my-api/.default.",
	},
	tenantOverrideProperty({}),
	{ ...signInOptionsProperty, displayOptions: { show: { authentication: DELEGATED_KIND_NAMES } } },
	{
		displayName: 'Send Query Parameters',
		name: 'sendQuery',
		type: 'boolean',
		default: false,
		description: 'Whether to add query parameters to the URL (they can also be written in the URL)',
	},
	{
		displayName: 'Query Parameters',
		name: 'queryParameters',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Parameter',
		default: { parameters: [{ name: '', value: '' }] },
		displayOptions: { show: { sendQuery: [true] } },
		options: [
			{ name: 'parameters', displayName: 'Parameter', values: nameValue('$filter', "startswith(displayName,'A')") },
		],
	},
	{
		displayName: 'Send Headers',
		name: 'sendHeaders',
		type: 'boolean',
		default: false,
		description: 'Whether to send extra headers (the Authorization header is set by the node)',
	},
	{
		displayName: 'Headers',
		name: 'headerParameters',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Header',
		default: { parameters: [{ name: '', value: '' }] },
		displayOptions: { show: { sendHeaders: [true] } },
		options: [{ name: 'parameters', displayName: 'Header', values: nameValue('ConsistencyLevel', 'eventual') }],
	},
	{
		displayName: 'Send Body',
		name: 'sendBody',
		type: 'boolean',
		default: false,
		description: 'Whether to send a request body',
	},
	{
		displayName: 'Body Content Type',
		name: 'bodyContentType',
		type: 'options',
		default: 'json',
		displayOptions: { show: { sendBody: [true] } },
		options: [
			{
				name: 'Binary',
				value: 'binary',
				description: 'The bytes of an input binary property, e.g. a file upload to OneDrive',
			},
			{ name: 'Form URL-Encoded', value: 'form' },
			{ name: 'JSON', value: 'json' },
			{
				name: 'Multipart Form',
				value: 'multipart',
				description: 'Sends multipart/form-data, with text and file parts',
			},
			{ name: 'Raw Text', value: 'text', description: 'Text with a content type you choose (XML, CSV, …)' },
		],
	},
	{
		displayName: 'JSON Body',
		name: 'jsonBody',
		type: 'json',
		default: '{}',
		placeholder: '{"displayName": "Project X", "mailEnabled": false}',
		description: 'JSON to send, e.g. {"displayName": "Project X"}. An expression may return an object.',
		displayOptions: { show: { sendBody: [true], bodyContentType: ['json'] } },
	},
	{
		displayName: 'Form Fields',
		name: 'formFields',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Field',
		default: { fields: [{ name: '', value: '' }] },
		displayOptions: { show: { sendBody: [true], bodyContentType: ['form'] } },
		options: [{ name: 'fields', displayName: 'Field', values: nameValue('grant_type', 'value') }],
	},
	{
		displayName: 'Multipart Parts',
		name: 'multipartParts',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Part',
		default: { parts: [{ partType: 'text', name: '', value: '' }] },
		displayOptions: { show: { sendBody: [true], bodyContentType: ['multipart'] } },
		options: [
			{
				name: 'parts',
				displayName: 'Part',
				values: [
					{
						displayName: 'Part Type',
						name: 'partType',
						type: 'options',
						default: 'text',
						options: [
							{ name: 'Text', value: 'text' },
							{ name: 'File (Binary Property)', value: 'binary' },
						],
					},
					{ displayName: 'Name', name: 'name', type: 'string', default: '', placeholder: 'e.g. file' },
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						displayOptions: { show: { partType: ['text'] } },
					},
					{
						displayName: 'Input Binary Field',
						name: 'inputDataFieldName',
						type: 'string',
						default: 'data',
						description:
							"Name of the input item's binary property to send as this part (with its file name and MIME type)",
						displayOptions: { show: { partType: ['binary'] } },
					},
				],
			},
		],
	},
	{
		displayName: 'Body',
		name: 'rawBody',
		type: 'string',
		typeOptions: { rows: 5 },
		default: '',
		placeholder: 'e.g. <entry>…</entry>',
		displayOptions: { show: { sendBody: [true], bodyContentType: ['text'] } },
	},
	{
		displayName: 'Content Type',
		name: 'rawContentType',
		type: 'string',
		default: 'text/plain',
		placeholder: 'e.g. application/xml',
		displayOptions: { show: { sendBody: [true], bodyContentType: ['text'] } },
	},
	{
		displayName: 'Input Binary Field',
		name: 'inputDataFieldName',
		type: 'string',
		default: 'data',
		required: true,
		description: "Name of the input item's binary property whose bytes are the body, e.g. data",
		displayOptions: { show: { sendBody: [true], bodyContentType: ['binary'] } },
	},
	{
		displayName: 'Content Type',
		name: 'binaryContentType',
		type: 'string',
		default: '',
		placeholder: "e.g. application/pdf (empty: the binary property's MIME type)",
		displayOptions: { show: { sendBody: [true], bodyContentType: ['binary'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Batch Requests (Microsoft Graph)',
				name: 'batchRequests',
				type: 'boolean',
				default: false,
				description:
					"Whether to send the items' requests as sub-requests of Graph's POST /$batch, 20 per batch (Graph v1.0 and beta in every cloud, or a Custom Base URL that serves $batch). Each item still gets its own response; throttled sub-requests are retried alone. Items with a binary or multipart body, a binary response or Follow Next Links are sent on their own.",
			},
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 100 },
				default: 5,
				description:
					'How many requests run at the same time (for the whole node, read from the first item). Output order is kept.',
			},
			{
				displayName: 'Follow Next Links (Deprecated)',
				name: 'followNextLinks',
				type: 'boolean',
				default: false,
				description:
					'Whether to follow next links, as Return All does; kept so that workflows made with 0.1.0 keep paging',
			},
			{
				displayName: 'Full Response',
				name: 'fullResponse',
				type: 'boolean',
				default: false,
				description:
					'Whether to return status code, status message, headers and body as one item per request (no splitting)',
			},
			{
				displayName: 'Limit',
				name: 'limit',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
				description: 'Max number of results to return',
			},
			{
				displayName: 'Max Items (Deprecated)',
				name: 'maxItems',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					'Stop paging after this many elements, as Limit does; kept so that workflows made with 0.1.0 keep their limit',
			},
			{
				displayName: 'Max Pages',
				name: 'maxPages',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 100,
				description:
					'With pagination: fetch at most this many pages, the first included (0 = up to 10,000 pages, the hard ceiling)',
			},
			{
				displayName: 'Max Response Size (MB)',
				name: 'maxResponseSizeMb',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 64,
				description:
					"Largest response body read, per response (each page counts on its own); a larger one fails the item without being read. 0 = the default, 64 MB. A JSON or text answer is held in memory several times over while it is parsed; a binary answer goes to n8n's binary data as it arrives.",
			},
			{
				displayName: 'Max Retries',
				name: 'maxRetries',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 4,
				description:
					"Retries after HTTP 429, 503 or 504, waiting as the API's Retry-After says, else backing off exponentially with jitter (0 = no retries)",
			},
			{
				displayName: 'Max Total Wait (Seconds)',
				name: 'maxTotalWaitSeconds',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 60,
				description: 'Stop retrying one request when its waits would add up to more than this',
			},
			{
				displayName: 'Never Error',
				name: 'neverError',
				type: 'boolean',
				default: false,
				description:
					'Whether to return non-2xx responses as output instead of failing (combine with Full Response to see the status code)',
			},
			{
				displayName: 'Output Binary Field',
				name: 'outputBinaryPropertyName',
				type: 'string',
				default: 'data',
				description: 'Binary property that receives a binary response (file name and MIME type from the response)',
			},
			{
				displayName: 'Response Format',
				name: 'responseFormat',
				type: 'options',
				default: 'auto',
				options: [
					{ name: 'Autodetect', value: 'auto', description: 'JSON, text or binary from the Content-Type' },
					{ name: 'JSON', value: 'json' },
					{ name: 'Text', value: 'text', description: 'Into the "data" field' },
					{
						name: 'Binary (File)',
						value: 'binary',
						description: 'Into the Output Binary Field, e.g. /me/drive/items/{ID}/content',
					},
				],
			},
			{
				displayName: 'Retry Non-Idempotent Requests',
				name: 'retryNonIdempotent',
				type: 'boolean',
				default: false,
				description:
					'Whether POST and PATCH requests are retried after 429/503/504 too (only when repeating them is safe)',
			},
			{
				displayName: 'Return All',
				name: 'returnAll',
				type: 'boolean',
				default: false,
				description: 'Whether to return all results or only up to a given limit',
			},
			{
				displayName: 'Split Into Items',
				name: 'splitIntoItems',
				type: 'boolean',
				default: false,
				description: 'Whether to output one item per element of the response\'s "value" array (e.g. one item per user)',
			},
			{
				displayName: 'Timeout (Milliseconds)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 60000,
				description: 'Time allowed for each attempt, response body included (0 = no limit)',
			},
		],
	},
];

export const description: INodeTypeDescription = {
	displayName: 'Microsoft Entra ID API Call',
	name: 'msalCallApi',
	icon: { light: 'file:../../icons/msal.svg', dark: 'file:../../icons/msal.dark.svg' },
	group: ['transform'],
	version: 1,
	subtitle: '={{$parameter["method"] + " " + $parameter["url"]}}',
	description:
		'Call Microsoft Graph, Azure Resource Manager or any Entra ID protected API with a token from MSAL (cached in the credential), with paging, throttling retries and claims challenges handled',
	defaults: { name: 'Microsoft Entra ID API Call' },
	usableAsTool: true,
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	credentials: credentialDescriptions(),
	hints: [
		{
			type: 'warning',
			location: 'ndv',
			whenToDisplay: 'always',
			message:
				'The URL is Microsoft Graph but the Scope is Azure Resource Manager: Graph refuses that token. Empty the Scope to use the one the URL needs, or enter https://graph.microsoft.com/.default.',
			displayCondition:
				'={{ (String($parameter["baseUrl"]).startsWith("graph") || String($parameter["url"]).includes("graph.microsoft")) && (String($parameter["scopes"]).includes("management.azure") || String($parameter["scopes"]).includes("management.core")) }}',
		},
		{
			type: 'warning',
			location: 'ndv',
			whenToDisplay: 'always',
			message:
				'The URL is Azure Resource Manager but the Scope is Microsoft Graph: ARM refuses that token. Empty the Scope to use the one the URL needs, or enter https://management.azure.com/.default.',
			displayCondition:
				'={{ ($parameter["baseUrl"] === "resourceManager" || String($parameter["url"]).includes("management.azure")) && String($parameter["scopes"]).includes("graph.microsoft") }}',
		},
	],
	properties,
};
