import type { INodeProperties } from 'n8n-workflow';
import { AUTHENTICATION_OPTIONS } from './credentialKinds';

/** Parameters both nodes show the same way, and the reader of their values. */

/**
 * A signed-in person, picked from the accounts in the credential's cache (by home account ID,
 * which a person cannot change) or typed as a username.
 */
export function accountLocator(displayName: string): INodeProperties {
	return {
		displayName,
		name: 'account',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a signed-in account…',
				typeOptions: { searchListMethod: 'searchAccounts', searchable: true },
			},
			{ displayName: 'By Username', name: 'username', type: 'string', placeholder: 'e.g. alice@contoso.com' },
		],
	};
}

export const authenticationProperty: INodeProperties = {
	displayName: 'Authentication',
	name: 'authentication',
	type: 'options',
	noDataExpression: true,
	default: 'clientCredentials',
	options: AUTHENTICATION_OPTIONS,
};

/** Options of a delegated token request (read from the first item). */
export const signInOptionsProperty: INodeProperties = {
	displayName: 'Sign-In Options',
	name: 'signInOptions',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			...accountLocator('Account'),
			description: "The person to act as, when several signed in with the credential. Empty: the credential's Account.",
		},
		{
			displayName: 'Sign-In Prompt Workflow',
			name: 'signInPromptWorkflowId',
			displayOptions: { show: { '/authentication': ['deviceCode'] } },
			type: 'workflowSelector',
			default: '',
			description:
				'A published workflow starting with an Execute Workflow Trigger that receives each new sign-in prompt as its input item (message, verificationUri, userCode, expiresOn…), e.g. to mail or post it to the person',
		},
		{
			displayName: 'When Sign-In Is Needed',
			name: 'signInMode',
			displayOptions: { show: { '/authentication': ['deviceCode'] } },
			type: 'options',
			default: 'credential',
			options: [
				{ name: 'Credential Setting', value: 'credential' },
				{
					name: 'Stop and Show the Code',
					value: 'stop',
					description: 'Fail at once with the URL and code in the error; the next run picks up the sign-in',
				},
				{
					name: 'Wait for Sign-In',
					value: 'wait',
					description: "Show the code (log, prompt workflow) and wait up to the credential's Sign-In Timeout",
				},
			],
		},
	],
};
