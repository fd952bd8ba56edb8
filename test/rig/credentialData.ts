import type { RigJson } from './rig';

/** The data of an n8n client-credentials credential for the rig's secret client. */
export function secretClientCredentialData(
	rig: RigJson,
	overrides: Record<string, unknown> = {},
): Record<string, unknown> {
	return {
		cloud: 'custom',
		authorityUrl: rig.authority,
		clientId: rig.clients.secret.clientId,
		clientAuthentication: 'secret',
		clientSecret: rig.clients.secret.clientSecret,
		scopes: rig.api.scope,
		...overrides,
	};
}
