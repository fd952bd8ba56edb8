import type { IExecuteFunctions, INodeCredentialDescription, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import type { SignInControls } from '../core/deviceCode';
import { testClientCredentials } from './credentialTests';
import { signInControlsFor, type SignInNodeOptions } from './delegatedNode';
import { DEVICE_CODE_CREDENTIAL, testDeviceCode } from './deviceCodeCredential';
import { PUBLIC_CLIENT_CREDENTIAL_TYPE, testPublicClient } from './publicClientSettings';

/**
 * The credential kinds both nodes offer in their Authentication parameter: the n8n credential
 * type, whether its tokens are app tokens (one "<resource>/.default" scope) or delegated (a
 * person's permissions, with accounts to list and sign out), and its credential test.
 */
export interface Authentication {
	credentialType: string;
	kind: 'app' | 'delegated';
	option: INodePropertyOptions;
	testedBy: string;
}

export const AUTHENTICATIONS: Record<string, Authentication> = {
	clientCredentials: {
		credentialType: 'msalClientCredentialsApi',
		kind: 'app',
		testedBy: 'msalClientCredentialsTest',
		option: {
			name: 'Client Credentials (App Only)',
			value: 'clientCredentials',
			description: 'The app acts as itself with a secret, certificate or federated assertion',
		},
	},
	deviceCode: {
		credentialType: DEVICE_CODE_CREDENTIAL,
		kind: 'delegated',
		testedBy: 'msalDeviceCodeTest',
		option: {
			name: 'Device Code (Delegated)',
			value: 'deviceCode',
			description: 'The app acts for a person who signed in once with a code on any device',
		},
	},
	publicClient: {
		credentialType: PUBLIC_CLIENT_CREDENTIAL_TYPE,
		kind: 'delegated',
		testedBy: 'msalPublicClientTest',
		option: {
			name: 'Public Client: Browser Sign-In (Delegated)',
			value: 'publicClient',
			description: 'The app acts for a person who signed in once in the browser (or, deprecated, with username and password)',
		},
	},
};

/** The credential test functions named by `testedBy`, for the nodes' `methods.credentialTest`. */
export const CREDENTIAL_TESTS = {
	msalClientCredentialsTest: testClientCredentials,
	msalDeviceCodeTest: testDeviceCode,
	msalPublicClientTest: testPublicClient,
};

export function authenticationNamed(name: string): Authentication {
	return AUTHENTICATIONS[name] ?? AUTHENTICATIONS.clientCredentials;
}

/** The Authentication parameter's options. */
export const AUTHENTICATION_OPTIONS: INodePropertyOptions[] = Object.values(AUTHENTICATIONS).map((a) => a.option);

export const authenticationProperty: INodeProperties = {
	displayName: 'Authentication',
	name: 'authentication',
	type: 'options',
	noDataExpression: true,
	default: 'clientCredentials',
	options: AUTHENTICATION_OPTIONS,
};

/** Names of the authentications that act for a person. */
export const DELEGATED_AUTHENTICATIONS = Object.keys(AUTHENTICATIONS).filter((name) => AUTHENTICATIONS[name].kind === 'delegated');

/** The node description's credentials, one per authentication. */
export function credentialDescriptions(): INodeCredentialDescription[] {
	return Object.entries(AUTHENTICATIONS).map(([name, a]) => ({
		name: a.credentialType,
		required: true,
		testedBy: a.testedBy,
		displayOptions: { show: { authentication: [name] } },
	}));
}

/**
 * The `signIn` part of a delegated token request: the credential's mode, the execution's cancel
 * signal, prompt delivery. Without it a device-code credential still stops with the code, but a
 * wait could not be cancelled.
 */
export function signInControls(context: IExecuteFunctions, name: string, options: SignInNodeOptions = {}): SignInControls | undefined {
	return authenticationNamed(name).kind === 'delegated' ? signInControlsFor(context, options) : undefined;
}

/** Options of a delegated token request, the same in both nodes (read from the first item). */
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
			description: 'Username of the person to act as, when several signed in with the credential. Empty: the credential\'s Account.',
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
					description: 'Show the code (log, prompt workflow) and wait up to the credential\'s Sign-In Timeout',
				},
			],
		},
	],
};
