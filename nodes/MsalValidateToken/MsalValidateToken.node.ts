import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { CLIENT_CREDENTIALS_CREDENTIAL_TYPE } from '../n8n/credentialTypes';
import { execute, properties } from './validation';

/**
 * A caller's Entra ID token checked mid-workflow, after n8n's own Webhook node: the workflow then
 * answers the caller itself (Respond to Webhook with 401/403 and WWW-Authenticate), which the
 * Protected Webhook Trigger cannot. It uses the API's own app registration, so it is a node of its
 * own rather than an operation of Acquire Token (where it was until Acquire Token v2).
 */
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool -- not an agent tool: with Include Token it would hand a caller's token to the model
export class MsalValidateToken implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Entra ID Token Validation',
		name: 'msalValidateToken',
		icon: { light: 'file:../../icons/msal.svg', dark: 'file:../../icons/msal.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: 'Validate Token',
		description:
			"Check a caller's Microsoft Entra ID access token for this API (signature, issuer, audience, lifetime, scopes or roles) and output the caller's claims",
		defaults: { name: 'Microsoft Entra ID Token Validation' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CLIENT_CREDENTIALS_CREDENTIAL_TYPE, required: true }],
		properties: [
			{
				displayName:
					'Use the credential of the app registration that exposes the API (its client ID is the audience of the tokens), not the one of the calling app',
				name: 'credentialNotice',
				type: 'notice',
				default: '',
			},
			...properties,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute(this);
	}
}
