import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';
import { guideUrl } from '../nodes/n8n/packageDocumentation';
import { authenticateRequest, preAuthenticate } from '../nodes/n8n/credentialStore';
import { DEVICE_CODE_CREDENTIAL_TYPE } from '../nodes/n8n/credentialTypes';
import { deviceCodeAcquirer } from '../nodes/n8n/deviceCodeAdapter';
import {
	accountProperty,
	allowedAccountsProperty,
	delegatedScopesProperty,
	pendingSignInProperty,
} from './common/delegatedProperties';
import {
	authorityProperties,
	clientIdProperty,
	policyProperties,
	tokenCacheProperties,
} from './common/sharedProperties';

/**
 * A person signs in once with a code on any device (phone, laptop); the workflow then acts for
 * them silently, renewing with the refresh token kept in this credential, until that is revoked
 * or unused for 90 days. See the Acquire Token node's "When Sign-In Is Needed".
 */
export class MsalDeviceCodeApi implements ICredentialType {
	name = DEVICE_CODE_CREDENTIAL_TYPE;

	displayName = 'Microsoft Entra Device Code API';

	icon: Icon = { light: 'file:../icons/msal.svg', dark: 'file:../icons/msal.dark.svg' };

	documentationUrl = guideUrl('docs/credentials/device-code.md');

	properties: INodeProperties[] = [
		{
			displayName:
				'A person signs in once with a code shown by the node (open the URL on any device, enter the code). The app registration must be a public client: Authentication → "Allow public client flows" = Yes.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		...authorityProperties(
			'Directory (tenant) ID or a verified domain of the people who sign in, or "organizations" (work and school accounts of any tenant). "common" and "consumers" do not work with the device code flow (AADSTS90133).',
		),
		clientIdProperty,
		delegatedScopesProperty,
		...policyProperties,
		allowedAccountsProperty('with a code (the code is shown in errors, logs and prompts)'),
		accountProperty,
		{
			displayName: 'When Sign-In Is Needed',
			name: 'signInMode',
			type: 'options',
			default: 'stop',
			options: [
				{
					name: 'Stop and Show the Code',
					value: 'stop',
					description:
						'The node fails at once with the URL and code in its error (error panel, error workflow). After signing in, run the workflow again: it picks up the sign-in.',
				},
				{
					name: 'Wait for Sign-In',
					value: 'wait',
					description:
						'The node shows the code (log, prompt workflow) and waits for the sign-in, up to the Sign-In Timeout',
				},
			],
			description:
				'What a node does when no signed-in person can be used silently. The Acquire Token node can override it.',
		},
		{
			displayName: 'Sign-In Timeout (Minutes)',
			name: 'signInTimeoutMinutes',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description:
				'Longest wait for the person when waiting for sign-in (0 = the lifetime of the code, usually 15 minutes). A sign-in made later, while the code is still valid, is picked up by the next run.',
		},
		...tokenCacheProperties,
		pendingSignInProperty,
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
		return await preAuthenticate(DEVICE_CODE_CREDENTIAL_TYPE, credentials, deviceCodeAcquirer, this.helpers);
	}

	authenticate = async (credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions) =>
		await authenticateRequest(DEVICE_CODE_CREDENTIAL_TYPE, credentials, requestOptions, deviceCodeAcquirer);
}
