import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialDescription,
	INodeCredentialTestResult,
	INodePropertyOptions,
} from 'n8n-workflow';
import { clientCredentialsAcquirer, clientCredentialsTest } from './clientCredentialsAdapter';
import type { Acquirer } from './credentialStore';
import {
	CLIENT_CREDENTIALS_CREDENTIAL_TYPE,
	DEVICE_CODE_CREDENTIAL_TYPE,
	MANAGED_IDENTITY_CREDENTIAL_TYPE,
	PUBLIC_CLIENT_CREDENTIAL_TYPE,
} from './credentialTypes';
import type { DelegatedAppFrom } from './delegatedAdapter';
import { deviceCodeAcquirer, deviceCodeAppFrom, deviceCodeTest } from './deviceCodeAdapter';
import { explainManagedIdentityApiError, managedIdentityAcquirer, managedIdentityTest } from './managedIdentityAdapter';
import { publicClientAcquirer, publicClientAppFrom, publicClientTest } from './publicClientAdapter';

type CredentialTest = (
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
) => Promise<INodeCredentialTestResult>;

interface KindBase {
	/** The n8n credential type. */
	credentialType: string;
	/** Silent-first acquisition from the credential data and its stored cache. */
	acquire: Acquirer;
	/** The credential dialog's Test button, and its name in the nodes' `methods.credentialTest`. */
	test: CredentialTest;
	testedBy: string;
	/** The Authentication parameter's option. */
	option: INodePropertyOptions;
	/** Says an API's error answer in this kind's terms (e.g. who lacks a permission), when it has its own. */
	explainApiError?: (error: unknown) => unknown;
}

/** App tokens: the app acts as itself, one "<resource>/.default" scope. */
interface AppKind extends KindBase {
	tokens: 'app';
}

/** Delegated tokens: a person's permissions, with accounts to list and sign out. */
interface DelegatedKind extends KindBase {
	tokens: 'delegated';
	appFrom: DelegatedAppFrom;
}

export type CredentialKind = AppKind | DelegatedKind;

/** The one table of credential kinds both nodes offer, keyed by the Authentication parameter's value. */
export const CREDENTIAL_KINDS = {
	clientCredentials: {
		credentialType: CLIENT_CREDENTIALS_CREDENTIAL_TYPE,
		tokens: 'app',
		acquire: clientCredentialsAcquirer,
		test: clientCredentialsTest,
		testedBy: 'msalClientCredentialsTest',
		option: {
			name: 'Client Credentials (App Only)',
			value: 'clientCredentials',
			description: 'The app acts as itself with a secret, certificate or federated assertion',
		},
	},
	deviceCode: {
		credentialType: DEVICE_CODE_CREDENTIAL_TYPE,
		tokens: 'delegated',
		acquire: deviceCodeAcquirer,
		appFrom: deviceCodeAppFrom,
		test: deviceCodeTest,
		testedBy: 'msalDeviceCodeTest',
		option: {
			name: 'Device Code (Delegated)',
			value: 'deviceCode',
			description: 'The app acts for a person who signed in once with a code on any device',
		},
	},
	publicClient: {
		credentialType: PUBLIC_CLIENT_CREDENTIAL_TYPE,
		tokens: 'delegated',
		acquire: publicClientAcquirer,
		appFrom: publicClientAppFrom,
		test: publicClientTest,
		testedBy: 'msalPublicClientTest',
		option: {
			name: 'Public Client: Browser Sign-In (Delegated)',
			value: 'publicClient',
			description:
				'The app acts for a person who signed in once in the browser (or, deprecated, with username and password)',
		},
	},
	managedIdentity: {
		credentialType: MANAGED_IDENTITY_CREDENTIAL_TYPE,
		tokens: 'app',
		acquire: managedIdentityAcquirer,
		test: managedIdentityTest,
		testedBy: 'msalManagedIdentityTest',
		explainApiError: explainManagedIdentityApiError,
		option: {
			name: 'Managed Identity (App Only, on Azure)',
			value: 'managedIdentity',
			description: "The Azure host's managed identity: no secret at all",
		},
	},
} as const satisfies Record<string, CredentialKind>;

export type CredentialKindName = keyof typeof CREDENTIAL_KINDS;

const KIND_NAMES = Object.keys(CREDENTIAL_KINDS) as CredentialKindName[];

export function credentialKindNamed(name: string): CredentialKind {
	return name in CREDENTIAL_KINDS ? CREDENTIAL_KINDS[name as CredentialKindName] : CREDENTIAL_KINDS.clientCredentials;
}

/** Names of the kinds whose tokens are the app's own (one "<resource>/.default" scope). */
export const APP_KIND_NAMES = KIND_NAMES.filter((name) => CREDENTIAL_KINDS[name].tokens === 'app');

/** Names of the kinds that act for a person. */
export const DELEGATED_KIND_NAMES = KIND_NAMES.filter((name) => CREDENTIAL_KINDS[name].tokens === 'delegated');

/** The nodes' `methods.credentialTest`. */
export const CREDENTIAL_TESTS: Record<string, CredentialTest> = Object.fromEntries(
	KIND_NAMES.map((name) => [CREDENTIAL_KINDS[name].testedBy, CREDENTIAL_KINDS[name].test]),
);

/** The node description's credentials, one per kind. */
export function credentialDescriptions(): INodeCredentialDescription[] {
	return KIND_NAMES.map((name) => ({
		name: CREDENTIAL_KINDS[name].credentialType,
		required: true,
		testedBy: CREDENTIAL_KINDS[name].testedBy,
		displayOptions: { show: { authentication: [name] } },
	}));
}

export const AUTHENTICATION_OPTIONS: INodePropertyOptions[] = KIND_NAMES.map((name) => CREDENTIAL_KINDS[name].option);
