import type { AuthoritySettings } from './authority';
import { InvalidInputError } from './errors';
import { assertPlatformTokenMayBeUsed } from './federatedTokenFile';

export const TENANT_ID_ENV = 'AZURE_TENANT_ID';
export const CLIENT_ID_ENV = 'AZURE_CLIENT_ID';

export const WORKLOAD_IDENTITY_USE = { what: 'Workload Identity From Environment', field: 'Client Authentication' };

/**
 * Workload identity from the environment, as AKS's workload identity webhook (and other
 * platforms) set it: tenant and client ID from AZURE_TENANT_ID / AZURE_CLIENT_ID, the assertion
 * from AZURE_FEDERATED_TOKEN_FILE. The same credential then works unchanged on any cluster.
 * It lends the host's identity, so it needs the administrator's opt-in, and it signs in only at
 * the Microsoft cloud's own host (federatedTokenFile.ts).
 */
export function workloadIdentityFromEnvironment(
	authority: AuthoritySettings,
): AuthoritySettings & { clientId: string } {
	assertPlatformTokenMayBeUsed(authority.cloud, WORKLOAD_IDENTITY_USE);
	const tenant = environmentValue(TENANT_ID_ENV, 'the Directory (tenant) ID');
	const clientId = environmentValue(CLIENT_ID_ENV, "the app registration's Application (client) ID");
	return { cloud: authority.cloud, tenant, clientId };
}

function environmentValue(name: string, what: string): string {
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the platform hands the workload identity over in these variables
	const value = (process.env[name] ?? '').trim();
	if (!value) {
		throw new InvalidInputError(
			`${name} is not set in the n8n process.`,
			`Set ${name} to ${what} in n8n's environment (AKS workload identity sets it on pods labelled azure.workload.identity/use), or choose another Client Authentication.`,
			'Client Authentication',
		);
	}
	return value;
}
