import {
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { InvalidInputError } from '../core/errors';
import type { TokenRequest, TokenResult } from '../core/tokenResult';
import { acquireThroughCredentialStore } from '../glue/credentialCacheStore';
import { testClientCredentials } from '../glue/credentialTests';
import { useN8nLogger } from '../glue/logSink';
import { toNodeError } from '../glue/nodeErrors';

useN8nLogger();

interface TokenOptions {
	forceRefresh?: boolean;
	claims?: string | IDataObject;
}

export class MsalAcquireToken implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Entra ID Token (MSAL)',
		name: 'msalAcquireToken',
		icon: 'file:msal.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{"Get token: " + ($parameter["scopes"] || "credential scope")}}',
		description:
			'Get an access token from Microsoft Entra ID with MSAL: from the token cache kept in the credential when it is still valid, from the identity provider otherwise',
		defaults: { name: 'Acquire Token' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'msalClientCredentialsApi',
				required: true,
				testedBy: 'msalClientCredentialsTest',
				displayOptions: { show: { authentication: ['clientCredentials'] } },
			},
		],
		properties: [
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				noDataExpression: true,
				default: 'clientCredentials',
				options: [
					{
						name: 'Client Credentials (App Only)',
						value: 'clientCredentials',
						description: 'The app acts as itself with a secret, certificate or federated assertion',
					},
				],
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				default: 'getToken',
				options: [
					{
						name: 'Get Token',
						value: 'getToken',
						action: 'Get an access token',
						description: 'Get an access token, from the cache when it is still valid',
					},
				],
			},
			{
				displayName: 'Scope',
				name: 'scopes',
				type: 'string',
				default: '',
				placeholder: 'e.g. https://graph.microsoft.com/.default',
				description:
					'Scope of the token; empty uses the credential\'s. App tokens take one "<resource>/.default" scope, e.g. https://management.azure.com/.default.',
				displayOptions: { show: { operation: ['getToken'] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				displayOptions: { show: { operation: ['getToken'] } },
				options: [
					{
						displayName: 'Force Refresh',
						name: 'forceRefresh',
						type: 'boolean',
						default: false,
						description: 'Whether to ignore a cached token and ask the identity provider for a new one',
					},
					{
						displayName: 'Claims',
						name: 'claims',
						type: 'json',
						default: '',
						placeholder: '{"access_token":{"xms_cc":{"values":["cp1"]}}}',
						description:
							'Claims request (JSON) to add to the token request, e.g. from a Continuous Access Evaluation challenge. Always asks the identity provider.',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: { msalClientCredentialsTest: testClientCredentials },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const credentialType = 'msalClientCredentialsApi';
		const output: INodeExecutionData[] = new Array(items.length);

		// Items asking for the same token share one acquisition.
		const groups = new Map<string, { request: TokenRequest; itemIndexes: number[] }>();
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			let request: TokenRequest;
			try {
				request = readTokenRequest(this, itemIndex);
			} catch (error) {
				output[itemIndex] = failItem(this, error, itemIndex);
				continue;
			}
			const key = JSON.stringify([request.scopes ?? null, request.forceRefresh ?? false, request.claims ?? null]);
			const group = groups.get(key) ?? { request, itemIndexes: [] };
			group.itemIndexes.push(itemIndex);
			groups.set(key, group);
		}

		for (const { request, itemIndexes } of groups.values()) {
			try {
				const { token, warnings } = await acquireThroughCredentialStore(this, credentialType, request);
				for (const warning of warnings) this.logger.warn(warning);
				for (const itemIndex of itemIndexes) {
					output[itemIndex] = { json: tokenOutput(token), pairedItem: { item: itemIndex } };
				}
			} catch (error) {
				for (const itemIndex of itemIndexes) output[itemIndex] = failItem(this, error, itemIndex);
			}
		}
		return [output];
	}
}

function readTokenRequest(context: IExecuteFunctions, itemIndex: number): TokenRequest {
	const scopes = (context.getNodeParameter('scopes', itemIndex, '') as string).trim();
	const options = context.getNodeParameter('options', itemIndex, {}) as TokenOptions;
	let claims = options.claims;
	if (typeof claims === 'object' && claims !== null) claims = JSON.stringify(claims);
	if (claims) {
		try {
			JSON.parse(claims);
		} catch {
			throw new InvalidInputError(
				'Claims is not valid JSON.',
				'Paste the decoded claims challenge, e.g. {"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}.',
				'Claims',
			);
		}
	}
	return { scopes: scopes || undefined, forceRefresh: options.forceRefresh === true || undefined, claims: claims || undefined };
}

function tokenOutput(token: TokenResult): IDataObject {
	return {
		accessToken: token.accessToken,
		tokenType: token.tokenType,
		expiresOn: token.expiresOn,
		expiresInSeconds: Math.max(0, Math.floor((Date.parse(token.expiresOn) - Date.now()) / 1000)),
		scopes: token.scopes,
		tenantId: token.tenantId,
		fromCache: token.fromCache,
		correlationId: token.correlationId,
		...(token.account ? { account: token.account } : {}),
	};
}

/** With "continue on fail" the item carries the error; otherwise the execution stops with it. */
function failItem(context: IExecuteFunctions, error: unknown, itemIndex: number): INodeExecutionData {
	const nodeError = toNodeError(context.getNode(), error, itemIndex);
	if (!context.continueOnFail()) throw nodeError;
	return { json: { error: nodeError.message, description: nodeError.description ?? undefined }, pairedItem: { item: itemIndex } };
}
