/**
 * The credential kinds the Call API node can use. Each names its n8n credential type and whether
 * its tokens are app tokens (one "<resource>/.default" scope) or delegated (a list of permissions).
 * Device Code and Public Client plug in here (and in the node's Authentication options) when their
 * credential types exist.
 */
export interface CallApiAuthentication {
	credentialType: string;
	kind: 'app' | 'delegated';
}

export const CALL_API_AUTHENTICATIONS: Record<string, CallApiAuthentication> = {
	clientCredentials: { credentialType: 'msalClientCredentialsApi', kind: 'app' },
};

export function callApiAuthentication(name: string): CallApiAuthentication {
	return CALL_API_AUTHENTICATIONS[name] ?? CALL_API_AUTHENTICATIONS.clientCredentials;
}
