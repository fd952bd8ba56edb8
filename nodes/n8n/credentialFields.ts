import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import type { AuthoritySettings } from '../core/authority';
import type { CloudName } from '../core/clouds';
import { domainRestriction, type DomainRestriction } from '../core/http/tokenGuard';
import { resourceBoundary, type ResourceBoundary } from '../core/resourceBoundary';

/**
 * The one reader of the fields every credential kind shares. n8n hands credential data over as
 * loose values; each field is read here once, with one meaning for "empty".
 */

/** A credential field as text ('' when unset). */
export const text = (value: unknown): string =>
	typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);

/** The cloud, 'global' when unset (records saved before the field existed). */
export function cloudOf(data: ICredentialDataDecryptedObject): CloudName {
	return (text(data.cloud) || 'global') as CloudName;
}

/**
 * Where this credential's tokens may go: n8n's own "Allowed HTTP Request Domains" fields (n8n
 * adds them to every credential type with `authenticate`), with n8n's meaning.
 */
export function domainRestrictionOf(data: ICredentialDataDecryptedObject): DomainRestriction {
	return domainRestriction(data.allowedHttpRequestDomains, text(data.allowedDomains));
}

/** The resources this credential's tokens may be for: those of its Scopes, plus its Allowed Resources. */
export function resourceBoundaryOf(data: ICredentialDataDecryptedObject): ResourceBoundary {
	return resourceBoundary(text(data.scopes), text(data.allowedResources), cloudOf(data));
}

/** Where every credential signs in, and as which app. */
export function appSettingsFrom(data: ICredentialDataDecryptedObject): AuthoritySettings & { clientId: string } {
	return {
		cloud: cloudOf(data),
		tenant: text(data.tenant),
		authorityUrl: text(data.authorityUrl),
		clientId: text(data.clientId),
	};
}
