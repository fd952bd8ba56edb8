/* eslint-disable n8n-nodes-base/node-filename-against-convention -- the description beside its node, as in n8n's Outlook v2 node */
import {
	NodeConnectionTypes,
	type INodeProperties,
	type INodePropertyOptions,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { APP_KIND_NAMES, credentialDescriptions } from '../n8n/credentialKinds';
import { authenticationProperty } from '../n8n/nodeProperties';
import * as getToken from './operations/getToken.operation';
import * as signOut from './operations/signOut.operation';
import * as validateToken from './operations/validateToken.operation';

const GET_TOKEN: INodePropertyOptions = {
	name: 'Get Token',
	value: 'getToken',
	action: 'Get access token',
	description: 'Get an access token, from the cache when it is still valid',
};
const LIST_ACCOUNTS: INodePropertyOptions = {
	name: 'List Accounts',
	value: 'listAccounts',
	action: 'List signed in accounts',
	description: 'One item per person signed in with the credential (username, name, home account ID, tenant)',
};
const VALIDATE_TOKEN: INodePropertyOptions = {
	name: 'Validate Token',
	value: 'validateToken',
	action: 'Validate an incoming access token',
	description:
		"Check a caller's token for this API (signature, issuer, audience, lifetime, scopes or roles) and output the caller's claims",
};
const SIGN_OUT: INodePropertyOptions = {
	name: 'Sign Out',
	value: 'signOut',
	action: 'Sign out account',
	description: 'Remove one person, or everyone, from the token cache in the credential',
};

/** The operations of one node version (v1 keeps Validate Token for saved workflows). */
function operationProperty(version: number, options: INodePropertyOptions[]): INodeProperties {
	return {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { '@version': [version] } },
		default: 'getToken',
		options,
	};
}

export const description: INodeTypeDescription = {
	displayName: 'Microsoft Entra ID Token',
	name: 'msalAcquireToken',
	icon: { light: 'file:../../icons/msal.svg', dark: 'file:../../icons/msal.dark.svg' },
	group: ['transform'],
	// v2: Validate Token moved to its own node (Microsoft Entra ID Token Validation); v1 keeps it for saved workflows.
	version: [1, 2],
	defaultVersion: 2,
	subtitle:
		'={{ $parameter["operation"] === "listAccounts" ? "List Accounts" : $parameter["operation"] === "signOut" ? "Sign Out" : $parameter["operation"] === "validateToken" ? "Validate Token" : "Get Token: " + ($parameter["scopes"] || "Credential Scope") }}',
	description:
		'Get an access token from Microsoft Entra ID with MSAL: from the token cache kept in the credential when it is still valid, from the identity provider otherwise',
	defaults: { name: 'Microsoft Entra ID Token' },
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	credentials: credentialDescriptions(),
	properties: [
		authenticationProperty,
		operationProperty(2, [GET_TOKEN, LIST_ACCOUNTS, SIGN_OUT]),
		operationProperty(1, [GET_TOKEN, LIST_ACCOUNTS, VALIDATE_TOKEN, SIGN_OUT]),
		{
			displayName: 'List Accounts and Sign Out need a credential that acts for a person (Device Code or Public Client)',
			name: 'appOnlyNotice',
			type: 'notice',
			default: '',
			displayOptions: { show: { operation: ['listAccounts', 'signOut'], authentication: APP_KIND_NAMES } },
		},
		{
			displayName:
				"Validate Token needs the API's own app registration: choose Client Credentials as Authentication, with the credential of the app that exposes the API",
			name: 'validateNotice',
			type: 'notice',
			default: '',
			displayOptions: {
				show: { '@version': [1], operation: ['validateToken'] },
				hide: { authentication: ['clientCredentials'] },
			},
		},
		...signOut.properties,
		...getToken.properties,
		...validateToken.properties,
	],
};
