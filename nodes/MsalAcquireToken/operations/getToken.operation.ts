import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { escapeForLog } from '../../core/logging';
import { InvalidInputError } from '../../core/errors';
import { SignInPendingError, type NodeTokenRequest } from '../../core/signIn';
import type { TokenResult } from '../../core/tokenResult';
import type { CredentialKind } from '../../n8n/credentialKinds';
import { APP_KIND_NAMES, DELEGATED_KIND_NAMES } from '../../n8n/credentialKinds';
import { acquireWithSignInKey } from '../../n8n/signInKeys';
import { CLIENT_CREDENTIALS_CREDENTIAL_TYPE } from '../../n8n/credentialTypes';
import { failedItem, toNodeError } from '../../n8n/itemErrors';
import { signInOptionsProperty } from '../../n8n/nodeProperties';
import { nodeSignIn, reportStoppedSignIn, type NodeSignIn } from '../../n8n/signInDelivery';
import { locatorValue } from '../../n8n/parameterValues';
import { onBehalfOfProperties } from '../../n8n/onBehalfOf';
import { tenantOverrideOf, tenantOverrideProperty } from '../../n8n/tenantOverride';

const show = { operation: ['getToken'] };

export const properties: INodeProperties[] = [
	...onBehalfOfProperties(show),
	{
		displayName: 'Scope',
		name: 'scopes',
		type: 'string',
		default: '',
		placeholder: 'e.g. https://graph.microsoft.com/.default',
		description:
			"Scope of the token; empty uses the credential's. App tokens take one scope: the API's resource followed by /.default, e.g. https://management.azure.com/.default.",
		displayOptions: { show: { ...show, authentication: APP_KIND_NAMES } },
	},
	tenantOverrideProperty(show),
	{
		displayName: 'Scopes',
		name: 'scopes',
		type: 'string',
		default: '',
		placeholder: 'e.g. User.Read Mail.Read',
		description:
			"Delegated permissions of the token, separated by spaces; empty uses the credential's. A permission the person has not consented to needs a new sign-in.",
		displayOptions: { show: { ...show, authentication: DELEGATED_KIND_NAMES } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Claims',
				name: 'claims',
				type: 'json',
				default: '',
				placeholder: '{"access_token":{"xms_cc":{"values":["cp1"]}}}',
				description:
					'Claims request (JSON) to add to the token request, e.g. from a Continuous Access Evaluation challenge. Always asks the identity provider.',
			},
			{
				displayName: 'Force Refresh',
				name: 'forceRefresh',
				type: 'boolean',
				default: false,
				description: 'Whether to ignore a cached token and ask the identity provider for a new one',
			},
		],
	},
	{ ...signInOptionsProperty, displayOptions: { show: { ...show, authentication: DELEGATED_KIND_NAMES } } },
];

interface TokenOptions {
	forceRefresh?: boolean;
	claims?: string | IDataObject;
	account?: string;
}

/** Get Token: one acquisition per distinct request; items asking for the same token share it. */
export async function execute(context: IExecuteFunctions, kind: CredentialKind): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	const delegated = kind.tokens === 'delegated';
	let signIn: NodeSignIn;
	try {
		signIn = nodeSignIn(context, delegated);
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	}

	const output: INodeExecutionData[] = new Array(items.length);
	const groups = new Map<string, { request: NodeTokenRequest; itemIndexes: number[] }>();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		let request: NodeTokenRequest;
		try {
			request = { ...readTokenRequest(context, itemIndex, delegated), signIn: signIn.controls, outputsToken: true };
			if (kind.credentialType === CLIENT_CREDENTIALS_CREDENTIAL_TYPE)
				request.tenant = tenantOverrideOf(context, itemIndex);
		} catch (error) {
			output[itemIndex] = failedItem(context, error, itemIndex);
			continue;
		}
		const key = JSON.stringify([
			request.scopes ?? null,
			request.forceRefresh ?? false,
			request.claims ?? null,
			request.account ?? null,
			request.tenant?.toLowerCase() ?? null,
		]);
		const group = groups.get(key) ?? { request, itemIndexes: [] };
		group.itemIndexes.push(itemIndex);
		groups.set(key, group);
	}

	for (const { request, itemIndexes } of groups.values()) {
		try {
			const { token, warnings } = await acquireWithSignInKey(context, kind.credentialType, request);
			for (const warning of warnings) context.logger.warn(escapeForLog(warning));
			for (const itemIndex of itemIndexes)
				output[itemIndex] = { json: tokenOutput(token), pairedItem: { item: itemIndex } };
		} catch (error) {
			if (error instanceof SignInPendingError && error.prompt.mode === 'stop')
				await reportStoppedSignIn(context, signIn.options, error.prompt);
			for (const itemIndex of itemIndexes) output[itemIndex] = failedItem(context, error, itemIndex);
		}
	}
	return [output];
}

export function readTokenRequest(context: IExecuteFunctions, itemIndex: number, delegated: boolean): NodeTokenRequest {
	const scopes = (context.getNodeParameter('scopes', itemIndex, '') as string).trim();
	const options = context.getNodeParameter('options', itemIndex, {}) as TokenOptions;
	const account = delegated
		? locatorValue((context.getNodeParameter('signInOptions', itemIndex, {}) as { account?: unknown }).account)
		: '';
	let claims = options.claims;
	if (typeof claims === 'object' && claims !== null) claims = JSON.stringify(claims);
	if (claims) {
		try {
			JSON.parse(claims);
		} catch {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- rethrown to the node, which turns it into a NodeOperationError (nodes/n8n/itemErrors.ts)
			throw new InvalidInputError(
				'Claims is not valid JSON.',
				'Paste the decoded claims challenge, e.g. {"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}.',
				'Claims',
			);
		}
	}
	return {
		scopes: scopes || undefined,
		scopeOrigin: scopes ? "the node's Scope" : undefined,
		forceRefresh: options.forceRefresh === true || undefined,
		claims: claims || undefined,
		account: account || undefined,
	};
}

export function tokenOutput(token: TokenResult): IDataObject {
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
