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
import { PUBLIC_CLIENT_CREDENTIAL_TYPE } from '../nodes/n8n/credentialTypes';
import { PENDING_SIGN_INS_FIELD, publicClientAcquirer } from '../nodes/n8n/publicClientAdapter';
import { SIGN_IN_KEY_FIELD } from '../nodes/n8n/signInKeys';
import {
	authorityProperties,
	clientIdProperty,
	policyProperties,
	tokenCacheProperties,
} from './common/sharedProperties';
import { allowedAccountsProperty } from './common/delegatedProperties';

export class MsalPublicClientApi implements ICredentialType {
	name = PUBLIC_CLIENT_CREDENTIAL_TYPE;

	displayName = 'Microsoft Entra Browser Sign-In API';

	icon: Icon = { light: 'file:../icons/msal.svg', dark: 'file:../icons/msal.dark.svg' };

	documentationUrl = guideUrl('docs/credentials/public-client.md');

	properties: INodeProperties[] = [
		...authorityProperties(
			'Directory (tenant) ID or a verified domain; or organizations (any work or school account), common (work, school or personal) or consumers (personal Microsoft accounts), as the app registration allows',
		),
		clientIdProperty,
		{
			displayName: 'Scopes',
			name: 'scopes',
			type: 'string',
			default: 'https://graph.microsoft.com/User.Read',
			required: true,
			description:
				'Delegated permissions asked for at sign-in, e.g. https://graph.microsoft.com/User.Read https://graph.microsoft.com/Mail.Read. Nodes can ask for others later (other APIs come silently; new permissions need the person to consent once).',
		},
		...policyProperties,
		{
			displayName: 'Redirect URI (Sign-In Link)',
			name: 'redirectUri',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://n8n.example.com/webhook/msal-sign-in',
			description:
				"The production URL of the 'Microsoft Entra ID Sign-In Trigger' in an active workflow that uses this credential. Register the same URL in the app registration (Authentication, platform 'Mobile and desktop applications'). A person signs in by opening it; nodes show it when a sign-in is needed.",
		},
		allowedAccountsProperty('through the link (it is public)'),
		{
			displayName: 'Account',
			name: 'account',
			type: 'string',
			default: '',
			placeholder: 'e.g. alice@contoso.com',
			description:
				'Which signed-in person to act as when several have signed in to this credential. Empty: the only one.',
		},
		{
			displayName: 'Sign In With Username and Password (Deprecated)',
			name: 'usernameFlowEnabled',
			type: 'boolean',
			default: false,
			description:
				'Whether to sign in by sending a username and password to Microsoft (resource owner password credentials flow) instead of the browser',
		},
		{
			displayName:
				'Microsoft deprecates this flow and advises against it. It fails for accounts with multi-factor authentication or Conditional Access that needs interaction, for federated accounts (ADFS or another identity provider) and for personal Microsoft accounts. The app registration needs "Allow public client flows" set to Yes. Prefer the browser sign-in.',
			name: 'usernameFlowNotice',
			type: 'notice',
			default: '',
			displayOptions: { show: { usernameFlowEnabled: [true] } },
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. alice@contoso.com',
			displayOptions: { show: { usernameFlowEnabled: [true] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { usernameFlowEnabled: [true] } },
		},
		...tokenCacheProperties,
		{
			displayName: 'Pending Sign-Ins',
			name: PENDING_SIGN_INS_FIELD,
			type: 'hidden',
			default: '',
			typeOptions: { password: true },
		},
		{
			// Declared so that n8n keeps it; hidden and a password, so the editor never receives it.
			displayName: 'Sign-In Key',
			name: SIGN_IN_KEY_FIELD,
			type: 'hidden',
			default: '',
			typeOptions: { password: true },
		},
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
		return await preAuthenticate(PUBLIC_CLIENT_CREDENTIAL_TYPE, credentials, publicClientAcquirer, this.helpers);
	}

	authenticate = async (credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions) =>
		await authenticateRequest(PUBLIC_CLIENT_CREDENTIAL_TYPE, credentials, requestOptions, publicClientAcquirer);
}
