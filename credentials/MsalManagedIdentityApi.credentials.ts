import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';
import { guideUrl } from '../nodes/n8n/packageDocumentation';
import { authenticateRequest } from '../nodes/n8n/credentialStore';
import { MANAGED_IDENTITY_CREDENTIAL_TYPE } from '../nodes/n8n/credentialTypes';
import { managedIdentityAcquirer } from '../nodes/n8n/managedIdentityAdapter';
import { policyProperties } from './common/sharedProperties';

/**
 * No secret and no stored token: the token comes from the Azure host's managed identity endpoint
 * and MSAL keeps it in memory (docs/credentials/managed-identity.md). Hence no hidden cache fields and no
 * preAuthentication: n8n never writes to this record.
 */
export class MsalManagedIdentityApi implements ICredentialType {
	name = MANAGED_IDENTITY_CREDENTIAL_TYPE;

	displayName = 'Microsoft Entra Managed Identity API';

	icon: Icon = { light: 'file:../icons/msal.svg', dark: 'file:../icons/msal.dark.svg' };

	documentationUrl = guideUrl('docs/credentials/managed-identity.md');

	properties: INodeProperties[] = [
		{
			displayName:
				"Works only when n8n runs on Azure (App Service, Container Apps, a VM or scale set, AKS, Azure Arc, Service Fabric, Machine Learning, Cloud Shell) with a managed identity assigned, and when the n8n administrator has set N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true: it lends the n8n host's own identity to this credential (N8N_MSAL_AMBIENT_IDENTITY_RESOURCES may limit the resources). No secret is stored.",
			name: 'managedIdentityNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Identity Type',
			name: 'identityType',
			type: 'options',
			default: 'system',
			options: [
				{ name: 'System-Assigned', value: 'system', description: 'The identity of this Azure resource itself' },
				{ name: 'User-Assigned, by Client ID', value: 'userClientId' },
				{ name: 'User-Assigned, by Resource ID', value: 'userResourceId' },
				{ name: 'User-Assigned, by Object ID', value: 'userObjectId' },
			],
		},
		{
			displayName: 'Client ID',
			name: 'userAssignedClientId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. 00000000-0000-0000-0000-000000000000',
			description: "The user-assigned identity's Client ID, from its Overview page",
			displayOptions: { show: { identityType: ['userClientId'] } },
		},
		{
			displayName: 'Resource ID',
			name: 'userAssignedResourceId',
			type: 'string',
			default: '',
			required: true,
			placeholder: '/subscriptions/…/resourceGroups/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/…',
			description: "The user-assigned identity's Resource ID, from its Properties page",
			displayOptions: { show: { identityType: ['userResourceId'] } },
		},
		{
			displayName: 'Object ID',
			name: 'userAssignedObjectId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. 00000000-0000-0000-0000-000000000000',
			description: "The user-assigned identity's Object (principal) ID, from its Overview page",
			displayOptions: { show: { identityType: ['userObjectId'] } },
		},
		{
			displayName: 'Scopes',
			name: 'scopes',
			type: 'string',
			default: 'https://graph.microsoft.com/.default',
			required: true,
			description:
				'Default scope: the API\'s resource followed by "/.default" (the identity gets the app roles or Azure roles granted to it). Nodes can override it.',
		},
		...policyProperties,
	];

	authenticate = async (credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions) =>
		await authenticateRequest(MANAGED_IDENTITY_CREDENTIAL_TYPE, credentials, requestOptions, managedIdentityAcquirer);
}
