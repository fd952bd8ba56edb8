import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { TokenRejectedError } from '../core/entraApi/validateToken';
import { CLIENT_CREDENTIALS_CREDENTIAL_TYPE } from '../n8n/credentialTypes';
import { failedItem } from '../n8n/itemErrors';
import { permissionProperties, validateCaller, validationOptions } from '../n8n/tokenValidation';

/** The node's parameters; Acquire Token v1 shows the same ones under its Validate Token operation. */
export const properties: INodeProperties[] = [
	{
		displayName: 'Incoming Token',
		name: 'incomingToken',
		type: 'string',
		typeOptions: { password: true },
		default: '={{ $json.headers.authorization }}',
		required: true,
		description:
			'The caller\'s "Authorization: Bearer …" header, or the bare token. The default reads the header from n8n\'s Webhook node.',
	},
	...permissionProperties,
	{
		displayName: 'Options',
		name: 'validationOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: validationOptions,
	},
];

interface ValidationOptionValues {
	audiences?: string;
	allowedTenants?: string;
	allowedClientApps?: string;
	acceptTokensWithoutPermissions?: boolean;
	clockSkewSeconds?: number;
	includeToken?: boolean;
}

/**
 * The caller's token checked as the Protected Webhook Trigger checks it, for a workflow that
 * starts with n8n's own Webhook node, so that a refused token or an On Behalf Of challenge can be
 * answered with Respond to Webhook (401/403 and WWW-Authenticate).
 */
export async function execute(context: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const output: INodeExecutionData[] = [];
	const items = context.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const options = context.getNodeParameter('validationOptions', itemIndex, {}) as ValidationOptionValues;
			const { token, caller } = await validateCaller(
				await context.getCredentials(CLIENT_CREDENTIALS_CREDENTIAL_TYPE, itemIndex),
				{
					requiredScopes: context.getNodeParameter('requiredScopes', itemIndex, '') as string,
					requiredRoles: context.getNodeParameter('requiredRoles', itemIndex, '') as string,
					...options,
				},
				String(context.getNodeParameter('incomingToken', itemIndex, '') ?? ''),
				context.helpers,
			);
			const json: IDataObject = { caller: { ...caller } };
			if (options.includeToken === true) json.token = token;
			output.push({ json, pairedItem: { item: itemIndex } });
		} catch (error) {
			output.push(failedItem(context, error, itemIndex, error instanceof TokenRejectedError ? rejection(error) : {}));
		}
	}
	return [output];
}

/** What the caller must be answered (Respond to Webhook: status and WWW-Authenticate). */
function rejection(error: TokenRejectedError): IDataObject {
	return {
		statusCode: error.status,
		wwwAuthenticate: error.wwwAuthenticate,
		description: `Answer the caller ${error.status} with the WWW-Authenticate header of field "wwwAuthenticate" (Respond to Webhook).`,
	};
}
