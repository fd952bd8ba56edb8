import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { InvalidInputError } from '../core/errors';
import { buildBody, type BuiltBody, type MultipartPart, type NameValue, type RequestBodySpec } from '../core/http/body';
import { buildHeaders } from '../core/http/headers';
import { DEFAULT_MAX_RESPONSE_BYTES, type ResponseFormat } from '../core/http/response';
import { DEFAULT_RETRY_POLICY } from '../core/http/retry';
import { chooseScopes, type ScopeChoice } from '../core/http/scopeForUrl';
import { assertWithinBoundary, type ResourceBoundary } from '../core/resourceBoundary';
import type { ApiRequest } from '../core/http/sendRequest';
import { baseUrlFor, resolveRequestUrl, withQuery, type BaseUrlChoice } from '../core/http/url';
import { quote } from '../core/quote';

const MB = 1024 * 1024;

/** Node-wide settings read once per execution (from the first item). */
export interface CallApiCredentialView {
	cloud: string;
	scopes: string;
	/** The resources the credential's tokens may be for. */
	boundary: ResourceBoundary;
}

export interface CallApiOptions {
	responseFormat?: ResponseFormat;
	outputBinaryPropertyName?: string;
	fullResponse?: boolean;
	neverError?: boolean;
	splitIntoItems?: boolean;
	returnAll?: boolean;
	limit?: number;
	/** 0.1.0's names of Return All and Limit, still read. */
	followNextLinks?: boolean;
	maxPages?: number;
	maxItems?: number;
	maxResponseSizeMb?: number;
	timeout?: number;
	maxRetries?: number;
	maxTotalWaitSeconds?: number;
	retryNonIdempotent?: boolean;
	concurrency?: number;
	batchRequests?: boolean;
}

/** How a response becomes output items. */
export interface OutputShape {
	outputBinaryPropertyName: string;
	fullResponse: boolean;
	splitIntoItems: boolean;
}

/** One item's request, ready to send except for binary bodies, which are read just before sending. */
export interface PreparedRequest {
	itemIndex: number;
	scope: ScopeChoice;
	/** The request as the HTTP client takes it; the body may be a function reading binary data first. */
	api: Omit<ApiRequest, 'body'> & { body: BuiltBody | (() => Promise<BuiltBody>) };
	output: OutputShape;
	/** Batch Requests with a Custom Base URL: the base, as the batch root. */
	customBatchRoot?: URL;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const DEFAULT_TIMEOUT_MS = 60_000;

function pairs(value: unknown, key: string): NameValue[] {
	const list = (value as IDataObject | undefined)?.[key];
	if (!Array.isArray(list)) return [];
	// A row left as the editor adds it (no name, no value) is not a mistake to report: skip it.
	const filled = list.filter((entry) => {
		const e = entry as IDataObject;
		return String(e.name ?? '').trim() !== '' || (e.value !== undefined && e.value !== null && e.value !== '');
	});
	return filled.map((entry) => {
		const e = entry as IDataObject;
		return {
			name: String(e.name ?? '').trim(),
			value:
				e.value === undefined || e.value === null
					? ''
					: typeof e.value === 'object'
						? JSON.stringify(e.value)
						: String(e.value),
		};
	});
}

function nonNegativeInteger(value: unknown, fallback: number, field: string): number {
	if (value === undefined || value === null || value === '') return fallback;
	const n = Number(value);
	if (!Number.isFinite(n) || n < 0)
		throw new InvalidInputError(
			`${field} must be a number of 0 or more, not ${quote(value)}.`,
			`Enter a whole number for ${field}.`,
			field,
		);
	return Math.floor(n);
}

/** The node's Concurrency option (read once, from the first item). */
export function readConcurrency(context: IExecuteFunctions): number {
	const options = context.getNodeParameter('options', 0, {}) as CallApiOptions;
	return Math.max(1, Math.min(100, nonNegativeInteger(options.concurrency, 5, 'Concurrency') || 1));
}

function scopeOrigin(scope: ScopeChoice, url: URL): string {
	if (scope.source === 'url') return `derived from the URL's host ${url.hostname}`;
	return scope.source === 'parameter' ? "the node's Scope" : "the credential's Scopes";
}

/** Reads and checks one item's parameters. Throws InvalidInputError naming the parameter. */
export function prepareRequest(
	context: IExecuteFunctions,
	item: INodeExecutionData,
	itemIndex: number,
	credential: CallApiCredentialView,
	kind: 'app' | 'delegated',
): PreparedRequest {
	const method = String(context.getNodeParameter('method', itemIndex, 'GET')).toUpperCase();
	if (!METHODS.has(method))
		throw new InvalidInputError(
			`Method ${quote(method)} is not supported.`,
			`Use one of ${[...METHODS].join(', ')}.`,
			'Method',
		);

	const baseChoice = context.getNodeParameter('baseUrl', itemIndex, 'none') as BaseUrlChoice;
	const customBase =
		baseChoice === 'custom' ? String(context.getNodeParameter('customBaseUrl', itemIndex, '')) : undefined;
	const base = baseUrlFor(baseChoice, credential.cloud, customBase);
	let url = resolveRequestUrl(String(context.getNodeParameter('url', itemIndex, '')), base, 'URL');
	if (context.getNodeParameter('sendQuery', itemIndex, false)) {
		url = withQuery(
			url,
			pairs(context.getNodeParameter('queryParameters', itemIndex, {}), 'parameters'),
			'Query Parameters',
		);
	}

	const scope = chooseScopes({
		override: String(context.getNodeParameter('scopes', itemIndex, '') ?? ''),
		credentialScopes: credential.scopes,
		url,
		cloud: credential.cloud,
		kind,
		field: 'Scope',
	});
	// Before any token request: a URL or Scope must not mint a token for an API the credential is not for.
	assertWithinBoundary(scope.scopes, credential.boundary, credential.cloud, scopeOrigin(scope, url));

	const headers = context.getNodeParameter('sendHeaders', itemIndex, false)
		? buildHeaders(pairs(context.getNodeParameter('headerParameters', itemIndex, {}), 'parameters'), 'Headers')
		: {};

	const body = context.getNodeParameter('sendBody', itemIndex, false)
		? readBody(context, item, itemIndex)
		: buildBody({ type: 'none' });

	const options = context.getNodeParameter('options', itemIndex, {}) as CallApiOptions;
	const responseFormat = options.responseFormat ?? 'auto';
	const outputBinaryPropertyName = (options.outputBinaryPropertyName ?? 'data').trim() || 'data';
	const limit = nonNegativeInteger(options.limit ?? options.maxItems, 0, 'Limit');
	const followNextLinks = options.returnAll === true || options.followNextLinks === true || limit > 0;
	return {
		itemIndex,
		scope,
		api: {
			method,
			url,
			headers,
			body,
			timeoutMs: nonNegativeInteger(options.timeout, DEFAULT_TIMEOUT_MS, 'Timeout'),
			responseFormat,
			neverError: options.neverError === true,
			maxResponseBytes:
				nonNegativeInteger(options.maxResponseSizeMb, DEFAULT_MAX_RESPONSE_BYTES / MB, 'Max Response Size') * MB,
			pagination: followNextLinks
				? {
						maxPages: nonNegativeInteger(options.maxPages, 100, 'Max Pages'),
						maxItems: options.returnAll === true ? 0 : limit,
					}
				: undefined,
			retry: {
				...DEFAULT_RETRY_POLICY,
				maxRetries: nonNegativeInteger(options.maxRetries, DEFAULT_RETRY_POLICY.maxRetries, 'Max Retries'),
				maxTotalWaitMs:
					nonNegativeInteger(
						options.maxTotalWaitSeconds,
						DEFAULT_RETRY_POLICY.maxTotalWaitMs / 1000,
						'Max Total Wait',
					) * 1000,
				retryNonIdempotent: options.retryNonIdempotent === true,
			},
		},
		customBatchRoot: baseChoice === 'custom' && base && options.batchRequests === true ? new URL(base) : undefined,
		output: {
			outputBinaryPropertyName,
			fullResponse: options.fullResponse === true,
			splitIntoItems: options.splitIntoItems === true,
		},
	};
}

function readBody(
	context: IExecuteFunctions,
	item: INodeExecutionData,
	itemIndex: number,
): BuiltBody | (() => Promise<BuiltBody>) {
	const type = context.getNodeParameter('bodyContentType', itemIndex, 'json') as RequestBodySpec['type'] | 'raw';
	switch (type) {
		case 'json':
			return buildBody({ type: 'json', value: context.getNodeParameter('jsonBody', itemIndex, '') }, 'JSON Body');
		case 'form':
			return buildBody(
				{ type: 'form', fields: pairs(context.getNodeParameter('formFields', itemIndex, {}), 'fields') },
				'Form Fields',
			);
		case 'text':
		case 'raw':
			return buildBody(
				{
					type: 'text',
					text: String(context.getNodeParameter('rawBody', itemIndex, '') ?? ''),
					contentType: String(context.getNodeParameter('rawContentType', itemIndex, '') ?? '').trim() || undefined,
				},
				'Body',
			);
		case 'binary': {
			const property = String(context.getNodeParameter('inputDataFieldName', itemIndex, 'data')).trim();
			const binary = assertBinary(context, item, itemIndex, property, 'Input Binary Field');
			const contentType =
				String(context.getNodeParameter('binaryContentType', itemIndex, '') ?? '').trim() ||
				binary.mimeType ||
				undefined;
			return async () =>
				buildBody(
					{ type: 'binary', data: await context.helpers.getBinaryDataBuffer(itemIndex, property), contentType },
					'Input Binary Field',
				);
		}
		case 'multipart': {
			const raw = (context.getNodeParameter('multipartParts', itemIndex, {}) as IDataObject).parts;
			const parts = ((Array.isArray(raw) ? raw : []) as IDataObject[]).filter(
				(part) =>
					part.partType === 'binary' ||
					String(part.name ?? '').trim() !== '' ||
					(part.value !== undefined && part.value !== null && part.value !== ''),
			);
			const binaries = parts.map((part) =>
				part.partType === 'binary'
					? assertBinary(context, item, itemIndex, String(part.inputDataFieldName ?? 'data').trim(), 'Multipart Parts')
					: undefined,
			);
			return async () => {
				const built: MultipartPart[] = [];
				for (let i = 0; i < parts.length; i++) {
					const part = parts[i];
					const name = String(part.name ?? '').trim();
					const binary = binaries[i];
					if (binary) {
						const data = await context.helpers.getBinaryDataBuffer(
							itemIndex,
							String(part.inputDataFieldName ?? 'data').trim(),
						);
						built.push({ name, data, fileName: binary.fileName, mimeType: binary.mimeType });
					} else {
						built.push({ name, value: part.value === undefined || part.value === null ? '' : String(part.value) });
					}
				}
				return buildBody({ type: 'multipart', parts: built }, 'Multipart Parts');
			};
		}
		default:
			throw new InvalidInputError(
				`Body content type ${quote(type)} is not supported.`,
				'Choose JSON, Form URL-Encoded, Multipart Form, Raw Text or Binary.',
				'Body Content Type',
			);
	}
}

function assertBinary(
	context: IExecuteFunctions,
	item: INodeExecutionData,
	itemIndex: number,
	property: string,
	field: string,
): IBinaryData {
	if (!property || !item.binary?.[property]) {
		const available = Object.keys(item.binary ?? {});
		throw new InvalidInputError(
			`Item ${itemIndex} has no binary property ${quote(property)}.`,
			available.length
				? `Use one of the item's binary properties: ${available.join(', ')}.`
				: 'The item has no binary data: read a file (e.g. with Read/Write Files from Disk or an HTTP download) before this node.',
			field,
		);
	}
	return context.helpers.assertBinaryData(itemIndex, property);
}
