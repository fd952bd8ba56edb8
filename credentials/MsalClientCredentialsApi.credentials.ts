import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';
import { clientCredentialsAcquirer } from '../nodes/n8n/clientCredentialsAdapter';
import { guideUrl } from '../nodes/n8n/packageDocumentation';
import { authenticateRequest, preAuthenticate } from '../nodes/n8n/credentialStore';
import { CLIENT_CREDENTIALS_CREDENTIAL_TYPE } from '../nodes/n8n/credentialTypes';
import {
	authorityProperties,
	clientIdProperty,
	policyProperties,
	tokenCacheProperties,
} from './common/sharedProperties';

/** Workload Identity From Environment takes the tenant and client ID from AZURE_TENANT_ID / AZURE_CLIENT_ID. */
function hiddenWithWorkloadIdentityFromEnvironment(property: INodeProperties): INodeProperties {
	if (property.name !== 'tenant' && property.name !== 'clientId') return property;
	return {
		...property,
		displayOptions: {
			...property.displayOptions,
			hide: { ...property.displayOptions?.hide, clientAuthentication: ['workloadIdentity'] },
		},
	};
}

export class MsalClientCredentialsApi implements ICredentialType {
	name = CLIENT_CREDENTIALS_CREDENTIAL_TYPE;

	displayName = 'Microsoft Entra Client Credentials API';

	icon: Icon = { light: 'file:../icons/msal.svg', dark: 'file:../icons/msal.dark.svg' };

	documentationUrl = guideUrl('docs/credentials/client-credentials.md');

	properties: INodeProperties[] = [
		...authorityProperties(
			'Directory (tenant) ID or a verified domain. An app acting as itself needs its tenant: common, organizations and consumers are refused.',
		).map(hiddenWithWorkloadIdentityFromEnvironment),
		hiddenWithWorkloadIdentityFromEnvironment(clientIdProperty),
		{
			displayName: 'Client Authentication',
			name: 'clientAuthentication',
			type: 'options',
			default: 'secret',
			options: [
				{ name: 'Client Secret', value: 'secret' },
				{ name: 'Certificate', value: 'certificate', description: 'Recommended by Microsoft for production' },
				{
					name: 'Federated Client Assertion',
					value: 'assertion',
					description: 'A signed JWT from a trusted workload identity provider (workload identity federation)',
				},
				{
					name: 'Workload Identity From Environment',
					value: 'workloadIdentity',
					description:
						"Tenant, client ID and token file from AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE (AKS workload identity). The n8n host's identity: needs N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true.",
				},
			],
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: "The secret's Value (not its ID) from the app registration's Certificates & secrets page",
			displayOptions: { show: { clientAuthentication: ['secret'] } },
		},
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 5 },
			default: '',
			required: true,
			placeholder: '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----',
			description: 'PEM private key (PKCS#8 or PKCS#1, RSA) of the certificate uploaded to the app registration',
			displayOptions: { show: { clientAuthentication: ['certificate'] } },
		},
		{
			displayName: 'Private Key Passphrase',
			name: 'privateKeyPassphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Only if the private key is encrypted',
			displayOptions: { show: { clientAuthentication: ['certificate'] } },
		},
		{
			displayName: 'Certificate',
			name: 'publicCertificate',
			type: 'string',
			typeOptions: { rows: 5 },
			default: '',
			required: true,
			placeholder: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----',
			description: 'PEM certificate (leaf first, then any chain). Its SHA-256 thumbprint is computed for you.',
			displayOptions: { show: { clientAuthentication: ['certificate'] } },
		},
		{
			displayName: 'Send Certificate Chain (X5C)',
			name: 'sendX5c',
			type: 'boolean',
			default: false,
			description:
				'Whether to send the certificate chain with each request, for subject name and issuer authentication (certificates from a trusted CA, configured in the app manifest with trustedCertificateSubjects)',
			displayOptions: { show: { clientAuthentication: ['certificate'] } },
		},
		{
			displayName: 'Assertion Source',
			name: 'assertionSource',
			type: 'options',
			options: [
				{ name: 'Value', value: 'value', description: 'A JWT typed in or given by an expression' },
				{
					name: 'From Token File',
					value: 'tokenFile',
					description: 'Read from a file (e.g. AKS workload identity) whenever a new token is needed',
				},
			],
			default: 'value',
			displayOptions: { show: { clientAuthentication: ['assertion'] } },
		},
		{
			displayName: 'Token File Path',
			name: 'assertionFilePath',
			type: 'string',
			default: '',
			placeholder: '/var/run/secrets/azure/tokens/azure-identity-token',
			description:
				"Empty (usual): the path in n8n's AZURE_FEDERATED_TOKEN_FILE. Otherwise a file in a folder the n8n administrator lists in N8N_MSAL_TOKEN_FILE_PATHS. Read again whenever a new token is needed, and sent only to the Microsoft cloud's sign-in host (not to a custom authority). Needs N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true.",
			displayOptions: { show: { clientAuthentication: ['assertion'], assertionSource: ['tokenFile'] } },
		},
		{
			displayName: 'Token File Path',
			name: 'assertionFilePath',
			type: 'string',
			default: '',
			placeholder: '/var/run/secrets/azure/tokens/azure-identity-token',
			description:
				"Empty (usual): the path in AZURE_FEDERATED_TOKEN_FILE. Otherwise a file in a folder the n8n administrator lists in N8N_MSAL_TOKEN_FILE_PATHS. The file is read again whenever a new token is needed. Tenant and client ID come from AZURE_TENANT_ID and AZURE_CLIENT_ID; the token goes only to the Microsoft cloud's sign-in host. Needs N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true.",
			displayOptions: { show: { clientAuthentication: ['workloadIdentity'] } },
		},
		{
			displayName: 'Client Assertion',
			name: 'clientAssertionToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Signed JWT from the workload identity provider trusted by a federated credential of the app registration (e.g. a Kubernetes service account token). An expression can read a fresh one.',
			displayOptions: { show: { clientAuthentication: ['assertion'], assertionSource: ['value'] } },
		},
		{
			displayName: 'Scopes',
			name: 'scopes',
			type: 'string',
			default: 'https://graph.microsoft.com/.default',
			required: true,
			description:
				'Default scope: the API\'s resource followed by "/.default" (the app gets the application permissions granted to it). Nodes can override it within Allowed Resources.',
		},
		...policyProperties,
		{
			displayName: 'Allowed Tenants',
			name: 'allowedTenants',
			type: 'string',
			default: '',
			placeholder: 'e.g. fabrikam.onmicrosoft.com, 72f988bf-86f1-41af-91ab-2d7cd011db47',
			description:
				"Customer tenants a node's Tenant Override may name (tenant IDs or verified domains, separated by commas), for a multi-tenant app consented in each. Empty: no override is accepted. * accepts any tenant.",
		},
		...tokenCacheProperties,
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
		return await preAuthenticate(
			CLIENT_CREDENTIALS_CREDENTIAL_TYPE,
			credentials,
			clientCredentialsAcquirer,
			this.helpers,
		);
	}

	authenticate = async (credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions) =>
		await authenticateRequest(
			CLIENT_CREDENTIALS_CREDENTIAL_TYPE,
			credentials,
			requestOptions,
			clientCredentialsAcquirer,
		);
}
