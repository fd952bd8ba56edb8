import {
	NodeConnectionTypes,
	type IDataObject,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { TokenRejectedError } from '../core/entraApi/validateToken';
import { describeError, MsalNodeError } from '../core/errors';
import { CLIENT_CREDENTIALS_CREDENTIAL_TYPE } from '../n8n/credentialTypes';
import {
	permissionProperties,
	validateCaller,
	validationOptions,
	type ValidationParameters,
} from '../n8n/tokenValidation';

interface TriggerOptions {
	audiences?: string;
	allowedTenants?: string;
	allowedClientApps?: string;
	acceptTokensWithoutPermissions?: boolean;
	clockSkewSeconds?: number;
	includeToken?: boolean;
	responseCode?: number;
}

/**
 * A webhook protected by Microsoft Entra ID: n8n as an API. Every request's bearer token is
 * validated (signature against the authority's keys, issuer, audience, lifetime, scopes or app
 * roles) before anything runs. A refused request is answered here — 401 invalid_token or 403
 * insufficient_scope with WWW-Authenticate — and starts no execution; the reason goes to n8n's
 * log, never the token. An accepted request starts the workflow with the caller's claims.
 */
// eslint-disable-next-line @n8n/community-nodes/webhook-lifecycle-complete -- n8n serves this endpoint itself; there is no third-party webhook to register
export class MsalProtectedWebhook implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Entra ID Protected Webhook Trigger',
		name: 'msalProtectedWebhook',
		icon: { light: 'file:../../icons/msal.svg', dark: 'file:../../icons/msal.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ $parameter["httpMethod"] + " /" + $parameter["path"] }}',
		description:
			'Starts the workflow when a request with a valid Microsoft Entra ID access token for this API arrives; refuses any other with 401 or 403 before anything runs',
		defaults: { name: 'Microsoft Entra ID Protected Webhook Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CLIENT_CREDENTIALS_CREDENTIAL_TYPE, required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: '={{$parameter["httpMethod"]}}',
				responseMode: '={{$parameter["responseMode"]}}',
				responseCode: '={{$parameter["options"]["responseCode"] || 200}}',
				responseData: 'firstEntryJson',
				path: '={{$parameter["path"]}}',
				isFullPath: true,
			},
		],
		properties: [
			{
				displayName:
					"The credential is the API's own app registration (Expose an API): its tenant and client ID say which tokens are accepted; its secret or certificate serves On Behalf Of calls.",
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'HTTP Method',
				name: 'httpMethod',
				type: 'options',
				default: 'POST',
				options: ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'].map((m) => ({ name: m, value: m })),
			},
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'orders',
			},
			{
				displayName: 'Respond',
				name: 'responseMode',
				type: 'options',
				default: 'lastNode',
				options: [
					{
						name: 'When Last Node Finishes',
						value: 'lastNode',
						description: "Answers with the last node's first item (JSON)",
					},
					{ name: 'Immediately', value: 'onReceived', description: 'Answers as soon as the token is accepted' },
				],
			},
			...permissionProperties,
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					...validationOptions,
					{
						displayName: 'Response Code',
						name: 'responseCode',
						type: 'number',
						default: 200,
						typeOptions: { minValue: 100, maxValue: 599 },
					},
				],
			},
		],
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject();
		const res = this.getResponseObject();
		const options = this.getNodeParameter('options', {}) as TriggerOptions;
		let claims: IDataObject;
		let token: string;
		try {
			const parameters: ValidationParameters = {
				requiredScopes: this.getNodeParameter('requiredScopes', '') as string,
				requiredRoles: this.getNodeParameter('requiredRoles', '') as string,
				audiences: options.audiences,
				allowedTenants: options.allowedTenants,
				allowedClientApps: options.allowedClientApps,
				acceptTokensWithoutPermissions: options.acceptTokensWithoutPermissions,
				clockSkewSeconds: options.clockSkewSeconds,
			};
			const validated = await validateCaller(
				await this.getCredentials(CLIENT_CREDENTIALS_CREDENTIAL_TYPE),
				parameters,
				req.headers.authorization,
				this.helpers,
			);
			token = validated.token;
			claims = { ...validated.caller };
		} catch (error) {
			if (error instanceof TokenRejectedError) {
				this.logger.warn(
					`Entra ID protected webhook refused a request (${error.status} ${error.error}): ${error.description}`,
					{
						node: this.getNode().name,
						workflowId: this.getWorkflow().id,
					},
				);
				res.status(error.status);
				res.setHeader('WWW-Authenticate', error.wwwAuthenticate);
				res.setHeader('Content-Type', 'application/json; charset=utf-8');
				res.setHeader('Cache-Control', 'no-store');
				res.end(JSON.stringify({ error: error.error, error_description: error.description }));
				return { noWebhookResponse: true };
			}
			// The node's own configuration (credential, keys unreachable): not the caller's fault.
			const fix = error instanceof MsalNodeError ? ` ${error.fix}` : '';
			this.logger.error(`Entra ID protected webhook cannot validate tokens: ${describeError(error)}${fix}`, {
				node: this.getNode().name,
				workflowId: this.getWorkflow().id,
			});
			res.status(503);
			res.setHeader('Content-Type', 'application/json; charset=utf-8');
			res.end(
				JSON.stringify({ error: 'temporarily_unavailable', error_description: 'Token validation is unavailable.' }),
			);
			return { noWebhookResponse: true };
		}
		const { authorization: _authorization, cookie: _cookie, ...headers } = req.headers;
		return {
			workflowData: [
				[
					{
						json: {
							caller: claims,
							headers: headers as IDataObject,
							params: this.getParamsData() as IDataObject,
							query: this.getQueryData() as IDataObject,
							body: this.getBodyData() as IDataObject,
							...(options.includeToken === true ? { token } : {}),
						},
					},
				],
			],
		};
	}
}
