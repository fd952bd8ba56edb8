import {
	NodeApiError,
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type JsonObject,
} from 'n8n-workflow';
import { SignInPendingError, type DeviceCodeTokenRequest } from '../core/deviceCode';
import { ApiCallError } from '../core/http/apiError';
import { mapWithConcurrency } from '../core/http/concurrency';
import { sendApiRequest, type ApiResponse } from '../core/http/sendRequest';
import { parseAllowedHosts, type HostPattern } from '../core/http/tokenGuard';
import { TokenSource } from '../core/http/tokenSource';
import { scopeSetKey } from '../core/scopes';
import { authenticationNamed, credentialDescriptions, CREDENTIAL_TESTS, signInControls } from '../glue/authentications';
import { prepareRequest, readConcurrency, type PreparedRequest } from '../glue/callApiParameters';
import { callApiProperties } from '../glue/callApiProperties';
import { acquireThroughCredentialStore } from '../glue/credentialCacheStore';
import { readSignInOptions, reportStoppedSignIn, type SignInNodeOptions } from '../glue/delegatedNode';
import { useN8nLogger } from '../glue/logSink';
import { toNodeError } from '../glue/nodeErrors';

useN8nLogger();

interface ScopeGroup {
	scopes: string[];
	tokens?: TokenSource;
	error?: unknown;
}

export class MsalCallApi implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Entra ID API Call (MSAL)',
		name: 'msalCallApi',
		icon: 'file:msal.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["method"] + " " + $parameter["url"]}}',
		description:
			'Call Microsoft Graph, Azure Resource Manager or any Entra ID protected API with a token from MSAL (cached in the credential), with paging, throttling retries and claims challenges handled',
		defaults: { name: 'Call API' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: credentialDescriptions(),
		properties: callApiProperties,
	};

	methods = {
		credentialTest: CREDENTIAL_TESTS,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const continueOnFail = this.continueOnFail();
		const results: INodeExecutionData[][] = new Array(items.length);
		const fail = (error: unknown, itemIndex: number): INodeExecutionData[] => {
			const nodeError = toItemError(this, error, itemIndex);
			if (!continueOnFail) throw nodeError;
			return [{ json: errorJson(nodeError, error), pairedItem: { item: itemIndex } }];
		};
		if (items.length === 0) return [[]];

		const authenticationName = this.getNodeParameter('authentication', 0, 'clientCredentials') as string;
		const authentication = authenticationNamed(authenticationName);
		let signInOptions: SignInNodeOptions & { account?: string } = {};
		if (authentication.kind === 'delegated') {
			const raw = this.getNodeParameter('signInOptions', 0, {}) as IDataObject;
			try {
				signInOptions = { ...readSignInOptions(this, raw), account: String(raw.account ?? '').trim() || undefined };
			} catch (error) {
				throw toNodeError(this.getNode(), error);
			}
		}
		const signIn = signInControls(this, authenticationName, signInOptions);
		const tokenRequest = (scopes: string[], claims?: string): DeviceCodeTokenRequest => ({ scopes, claims, signIn, account: signInOptions.account });
		const credential = await this.getCredentials(authentication.credentialType, 0);
		const cloud = typeof credential.cloud === 'string' && credential.cloud ? credential.cloud : 'global';
		let allowedHosts: HostPattern[];
		try {
			// n8n's own "Allowed HTTP Request Domains" fields (added to every credential with `authenticate`).
			allowedHosts = parseAllowedHosts(credential.allowedHttpRequestDomains === 'domains' && typeof credential.allowedDomains === 'string' ? credential.allowedDomains : '');
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		}
		const credentialView = { cloud, scopes: typeof credential.scopes === 'string' ? credential.scopes : '' };

		// 1. Read every item's request; group by scope set.
		const groups = new Map<string, ScopeGroup>();
		const prepared: Array<{ request: PreparedRequest; group: ScopeGroup }> = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const request = prepareRequest(this, items[itemIndex], itemIndex, credentialView, authentication.kind);
				const key = scopeSetKey(request.scope.scopes);
				let group = groups.get(key);
				if (!group) {
					group = { scopes: request.scope.scopes };
					groups.set(key, group);
				}
				prepared.push({ request, group });
			} catch (error) {
				results[itemIndex] = fail(error, itemIndex);
			}
		}

		// 2. One token per scope set (silent-first from the credential's cache).
		for (const group of groups.values()) {
			try {
				const { token, warnings } = await acquireThroughCredentialStore(this, authentication.credentialType, tokenRequest(group.scopes));
				for (const warning of warnings) this.logger.warn(warning);
				group.tokens = new TokenSource(token.accessToken, async (claims) => {
					const renewed = await acquireThroughCredentialStore(this, authentication.credentialType, tokenRequest(group.scopes, claims));
					for (const warning of renewed.warnings) this.logger.warn(warning);
					return renewed.token.accessToken;
				});
			} catch (error) {
				if (error instanceof SignInPendingError && error.prompt.mode === 'stop') await reportStoppedSignIn(this, signInOptions, error.prompt);
				group.error = error;
			}
		}

		// 3. The requests, a bounded number at a time; results land at their item's index.
		const concurrency = readConcurrency(this);
		await mapWithConcurrency(prepared, concurrency, async ({ request, group }) => {
			const { itemIndex } = request;
			try {
				if (group.error !== undefined || !group.tokens) throw group.error;
				const body = typeof request.body === 'function' ? await request.body() : request.body;
				const response = await sendApiRequest(
					{
						method: request.method,
						url: request.url,
						headers: request.headers,
						body,
						timeoutMs: request.timeoutMs,
						responseFormat: request.responseFormat,
						neverError: request.neverError,
						pagination: request.pagination,
						retry: request.retry,
					},
					group.tokens,
					{ scopes: group.scopes, cloud, allowedHosts },
				);
				results[itemIndex] = await toOutputItems(this, request, response);
			} catch (error) {
				results[itemIndex] = fail(error, itemIndex);
			}
		});

		return [results.flat()];
	}
}

/** A response as output items of one input item. */
async function toOutputItems(context: IExecuteFunctions, request: PreparedRequest, response: ApiResponse): Promise<INodeExecutionData[]> {
	const pairedItem = { item: request.itemIndex };
	const { body } = response;
	if (body.kind === 'binary') {
		const binaryData = await context.helpers.prepareBinaryData(body.data, body.fileName, body.mimeType);
		const json: IDataObject = request.fullResponse ? fullResponse(response, null) : {};
		return [{ json, binary: { [request.outputBinaryPropertyName]: binaryData }, pairedItem }];
	}
	const value = body.kind === 'json' || body.kind === 'text' ? body.value : undefined;
	if (request.fullResponse) return [{ json: fullResponse(response, value ?? null), pairedItem }];
	if (body.kind === 'text') return [{ json: { data: body.value }, pairedItem }];
	if (body.kind === 'empty') return [{ json: {}, pairedItem }];

	let elements: unknown[] | undefined;
	if (Array.isArray(value)) elements = value;
	else if (request.splitIntoItems && isObject(value) && Array.isArray(value.value)) elements = value.value;
	if (elements) return elements.map((element) => ({ json: asJson(element), pairedItem }));
	return [{ json: asJson(value), pairedItem }];
}

function fullResponse(response: ApiResponse, body: unknown): IDataObject {
	const headers: IDataObject = {};
	response.headers.forEach((value, key) => (headers[key] = value));
	return {
		statusCode: response.status,
		statusMessage: response.statusText,
		headers,
		body: body as IDataObject,
		...(response.pages > 1 ? { pages: response.pages } : {}),
	};
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asJson(value: unknown): IDataObject {
	return isObject(value) ? (value as IDataObject) : { value: value as IDataObject[keyof IDataObject] };
}

/** API failures as NodeApiError (status, code, request ids); everything else as NodeOperationError naming the field. */
function toItemError(context: IExecuteFunctions, error: unknown, itemIndex: number): Error {
	if (error instanceof ApiCallError) {
		const response: JsonObject = {
			statusCode: error.status,
			code: error.code ?? null,
			message: error.apiMessage ?? error.message,
			requestId: error.requestId ?? null,
			clientRequestId: error.clientRequestId ?? null,
			body: (error.body ?? null) as JsonObject[keyof JsonObject],
		};
		return new NodeApiError(context.getNode(), response, {
			message: error.message,
			description: error.fix,
			httpCode: String(error.status),
			itemIndex,
		});
	}
	return toNodeError(context.getNode(), error, itemIndex);
}

function errorJson(nodeError: Error & { description?: string | null; httpCode?: string | null }, cause: unknown): IDataObject {
	const json: IDataObject = { error: nodeError.message };
	if (nodeError.description) json.description = nodeError.description;
	if (cause instanceof ApiCallError) {
		json.statusCode = cause.status;
		if (cause.code) json.code = cause.code;
		if (cause.requestId) json.requestId = cause.requestId;
		if (cause.clientRequestId) json.clientRequestId = cause.clientRequestId;
	}
	return json;
}
