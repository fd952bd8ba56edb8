import type { IExecuteFunctions, INodeCredentialDescription, INodePropertyOptions } from 'n8n-workflow';
import type { SignInControls } from '../core/deviceCode';
import { signInControlsFor } from './delegatedNode';

/**
 * The credential kinds the Call API node can use. Each names its n8n credential type and whether
 * its tokens are app tokens (one "<resource>/.default" scope) or delegated (a list of permissions).
 * Public Client plugs in here too when its credential type exists.
 *
 * For the node: `CALL_API_AUTHENTICATION_OPTIONS` are the Authentication parameter's options,
 * `callApiCredentials()` the description's credentials, and `signInControls(context, name)` what
 * to put as `signIn` in the token request of a delegated credential (cancel signal, prompt
 * delivery); without it a delegated credential still works (Stop and Show the Code needs nothing
 * from the node), but a wait cannot be cancelled and the prompt goes to the log only.
 */
export interface CallApiAuthentication {
	credentialType: string;
	kind: 'app' | 'delegated';
	option: INodePropertyOptions;
	/** Name of the credential test function the node registers for this type. */
	testedBy?: string;
}

export const CALL_API_AUTHENTICATIONS: Record<string, CallApiAuthentication> = {
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
		credentialType: 'msalDeviceCodeApi',
		kind: 'delegated',
		testedBy: 'msalDeviceCodeTest',
		option: {
			name: 'Device Code (Delegated)',
			value: 'deviceCode',
			description: 'The app acts for a person who signed in once with a code on any device',
		},
	},
};

export function callApiAuthentication(name: string): CallApiAuthentication {
	return CALL_API_AUTHENTICATIONS[name] ?? CALL_API_AUTHENTICATIONS.clientCredentials;
}

/** The Authentication parameter's options. */
export const CALL_API_AUTHENTICATION_OPTIONS: INodePropertyOptions[] = Object.values(CALL_API_AUTHENTICATIONS).map((a) => a.option);

/** The node description's credentials, one per authentication. */
export function callApiCredentials(): INodeCredentialDescription[] {
	return Object.entries(CALL_API_AUTHENTICATIONS).map(([name, a]) => ({
		name: a.credentialType,
		required: true,
		...(a.testedBy ? { testedBy: a.testedBy } : {}),
		displayOptions: { show: { authentication: [name] } },
	}));
}

/** The `signIn` part of a delegated token request: the credential's mode, the execution's cancel signal, prompt delivery. */
export function signInControls(context: IExecuteFunctions, name: string): SignInControls | undefined {
	return callApiAuthentication(name).kind === 'delegated' ? signInControlsFor(context, {}) : undefined;
}
