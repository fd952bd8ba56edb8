import type { INodeProperties } from 'n8n-workflow';
import { AUTHENTICATION_OPTIONS } from './credentialKinds';

/** Parameters both nodes show the same way. */

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
			displayName: 'Account',
			name: 'account',
			type: 'string',
			default: '',
			placeholder: 'e.g. alice@contoso.com',
			description:
				"Username of the person to act as, when several signed in with the credential. Empty: the credential's Account.",
		},
		{
			displayName: 'Sign-In Prompt Workflow ID',
			name: 'signInPromptWorkflowId',
			displayOptions: { show: { '/authentication': ['deviceCode'] } },
			type: 'string',
			default: '',
			placeholder: 'e.g. 7Xk2mQ9rT4bYp1Lc',
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
