import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import type { AuthoritySettings } from '../core/authority';
import type { CloudName } from '../core/clouds';

/** A credential field as text ('' when unset). */
export const text = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));

/** The fields every credential shares: where it signs in, and as which app. */
export function appSettingsFrom(data: ICredentialDataDecryptedObject): AuthoritySettings & { clientId: string } {
	return {
		cloud: (text(data.cloud) || 'global') as CloudName,
		tenant: text(data.tenant),
		authorityUrl: text(data.authorityUrl),
		clientId: text(data.clientId),
	};
}
