import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { acquireOnBehalfOf, OboInteractionRequiredError } from '../core/entraApi/onBehalfOf';
import { egressFilterOf, withEgressFilter } from '../core/outbound';
import type { TokenResult } from '../core/tokenResult';
import { clientCredentialsSettingsFrom } from './clientCredentialsAdapter';
import { CLIENT_CREDENTIALS_CREDENTIAL_TYPE } from './credentialTypes';
import { checkTokenRequest } from './requestPolicy';

/**
 * On Behalf Of, as both nodes offer it with the client-credentials credential (the API's own app
 * registration): a token for a downstream API as the person whose token the webhook received.
 * The tokens stay in this process's memory (core/entraApi/onBehalfOf.ts), never in the credential.
 */
export function onBehalfOfProperties(show: Record<string, string[]>): INodeProperties[] {
	return [
		{
			displayName: 'Token For',
			name: 'tokenFor',
			type: 'options',
			default: 'app',
			displayOptions: { show: { ...show, authentication: ['clientCredentials'] } },
			options: [
				{ name: 'The App Itself', value: 'app', description: "The app's own permissions (app roles)" },
				{
					name: 'On Behalf Of the Caller',
					value: 'onBehalfOf',
					description:
						'The person who called this workflow with a token (Entra ID protected webhook), with their delegated permissions',
				},
			],
		},
		{
			displayName: "Caller's Token",
			name: 'userAssertion',
			type: 'string',
			typeOptions: { password: true },
			default: '={{ $json.token }}',
			required: true,
			description:
				"The access token the caller sent to this API (validated by the protected webhook trigger with Include Token on), or its Authorization header. Scope then names the downstream API's delegated permissions, e.g. https://graph.microsoft.com/User.Read.",
			displayOptions: { show: { ...show, authentication: ['clientCredentials'], tokenFor: ['onBehalfOf'] } },
		},
	];
}

/** True when the node runs On Behalf Of (read from the first item). */
export function isOnBehalfOf(context: IExecuteFunctions, kindName: string): boolean {
	return kindName === 'clientCredentials' && context.getNodeParameter('tokenFor', 0, 'app') === 'onBehalfOf';
}

/** Silent-first OBO token for one item's caller and scopes, under n8n's SSRF filter (as every token request). */
export async function onBehalfOfToken(
	context: IExecuteFunctions,
	itemIndex: number,
	scopes: string | string[] | undefined,
	options: { forceRefresh?: boolean; claims?: string; outputsToken?: boolean; scopeOrigin?: string } = {},
): Promise<TokenResult> {
	const credential = await context.getCredentials(CLIENT_CREDENTIALS_CREDENTIAL_TYPE, itemIndex);
	const settings = clientCredentialsSettingsFrom(credential);
	const { outputsToken, scopeOrigin, forceRefresh, claims } = options;
	const wanted =
		scopes === undefined || (typeof scopes === 'string' && scopes.trim() === '') ? settings.scopes : scopes;
	// The downstream API is bounded like any other token of this credential.
	checkTokenRequest(credential, { scopes: wanted, outputsToken, scopeOrigin });
	return await withEgressFilter(
		egressFilterOf(context.helpers),
		async () =>
			await acquireOnBehalfOf(settings, {
				assertion: String(context.getNodeParameter('userAssertion', itemIndex, '') ?? ''),
				scopes: wanted,
				forceRefresh,
				claims,
			}),
	);
}

/** What a failed OBO item carries for the webhook's answer (Continue On Fail). */
export function onBehalfOfFailure(error: unknown): IDataObject {
	if (error instanceof OboInteractionRequiredError)
		return {
			statusCode: 401,
			wwwAuthenticate: error.wwwAuthenticate,
			...(error.claims ? { claims: error.claims } : {}),
		};
	return {};
}
