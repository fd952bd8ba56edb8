import type { AuthoritySettings } from './authority';
import { InvalidInputError } from './errors';
import { quote } from './quote';

export const TENANT_ID_ENV = 'AZURE_TENANT_ID';
export const CLIENT_ID_ENV = 'AZURE_CLIENT_ID';

/**
 * Workload identity from the environment, as AKS's workload identity webhook (and other
 * platforms) set it: tenant and client ID from AZURE_TENANT_ID / AZURE_CLIENT_ID, the assertion
 * from AZURE_FEDERATED_TOKEN_FILE. The same credential then works unchanged on any cluster.
 * With a custom authority, its host is kept and its path becomes the tenant.
 */
export function workloadIdentityFromEnvironment(
	authority: AuthoritySettings,
): AuthoritySettings & { clientId: string } {
	const tenant = environmentValue(TENANT_ID_ENV, 'the Directory (tenant) ID');
	const clientId = environmentValue(CLIENT_ID_ENV, "the app registration's Application (client) ID");
	if (authority.cloud !== 'custom') return { cloud: authority.cloud, tenant, clientId };
	let origin: string;
	try {
		origin = new URL((authority.authorityUrl ?? '').trim()).origin;
	} catch {
		throw new InvalidInputError(
			`Authority URL ${quote(authority.authorityUrl ?? '')} is not a URL.`,
			`Enter the authority host, e.g. https://login.example.com; the tenant comes from ${TENANT_ID_ENV}.`,
			'Authority URL',
		);
	}
	return { cloud: 'custom', authorityUrl: `${origin}/${encodeURIComponent(tenant)}`, clientId };
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
