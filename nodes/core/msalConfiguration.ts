// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { Configuration, INetworkModule, NodeAuthOptions } from '@azure/msal-node';
import type { ResolvedAuthority } from './authority';
import { msalLoggerOptions } from './logging';

/**
 * Declares Continuous Access Evaluation support: the API may then answer 401 with a claims
 * challenge instead of accepting a revoked token until it expires.
 */
export const CLIENT_CAPABILITIES = ['cp1'];

/** The configuration every MSAL application of the package shares; `auth` adds a confidential client's credential. */
export function msalConfiguration(
	resolved: ResolvedAuthority,
	clientId: string,
	networkClient: INetworkModule,
	authorityMetadata: string | undefined,
	auth: Partial<NodeAuthOptions> = {},
): Configuration {
	return {
		auth: {
			clientId,
			authority: resolved.authority,
			knownAuthorities: resolved.knownAuthorities,
			authorityMetadata,
			clientCapabilities: CLIENT_CAPABILITIES,
			...auth,
		},
		system: { networkClient, loggerOptions: msalLoggerOptions },
	};
}
