import type { CloudName } from '../clouds';
import { InvalidInputError } from '../errors';
import { normalizeAppScopes, parseScopes } from '../scopes';
import { resourceForUrl } from './knownApis';
import { urlBelongsToScopes } from './tokenGuard';
import { excerpt } from '../quote';

export type ScopeSource = 'parameter' | 'credential' | 'url';

export interface ScopeChoice {
	scopes: string[];
	source: ScopeSource;
}

export interface ScopeInputs {
	/** The node's Scope parameter; empty means "choose for me". */
	override?: string;
	/** The credential's default scope(s). */
	credentialScopes?: string;
	url: URL;
	cloud: CloudName | string | undefined;
	/** App tokens (client credentials) take exactly one "<resource>/.default"; delegated tokens any list. */
	kind: 'app' | 'delegated';
	field?: string;
}

/**
 * The scopes of the token for a request:
 * 1. the node's Scope parameter, when given;
 * 2. else the credential's scope, when the URL is on a host of that scope's API;
 * 3. else, for a known Microsoft API (Graph, ARM, Key Vault, Storage, SharePoint, Dataverse…
 *    in the credential's cloud), "<that API's resource>/.default", derived from the URL;
 * 4. else the credential's scope (the token guard then refuses unless the credential allows the host).
 */
export function chooseScopes({
	override,
	credentialScopes,
	url,
	cloud,
	kind,
	field = 'Scope',
}: ScopeInputs): ScopeChoice {
	const normalize = (raw: string, fieldName: string): string[] => {
		if (kind === 'app') return normalizeAppScopes(raw, fieldName);
		const scopes = parseScopes(raw);
		if (scopes.length === 0) {
			throw new InvalidInputError(
				'No scope given.',
				'Enter the permissions to ask for, e.g. https://graph.microsoft.com/User.Read.',
				fieldName,
			);
		}
		return scopes;
	};
	if (override && override.trim()) return { scopes: normalize(override, field), source: 'parameter' };

	let credential: string[] | undefined;
	let credentialError: unknown;
	if (credentialScopes && credentialScopes.trim()) {
		try {
			credential = normalize(credentialScopes, 'Scopes (credential)');
		} catch (error) {
			credentialError = error;
		}
	}
	if (credential && urlBelongsToScopes(url, credential, cloud)) return { scopes: credential, source: 'credential' };

	const resource = resourceForUrl(url, cloud);
	if (resource) return { scopes: [`${resource}/.default`], source: 'url' };

	if (credential) return { scopes: credential, source: 'credential' };
	if (credentialError) throw credentialError;
	throw new InvalidInputError(
		`No scope for ${excerpt(url.hostname)}: the node's Scope is empty, the credential has none, and ${excerpt(url.hostname)} is not a known Microsoft API.`,
		'Set the node\'s Scope to the API\'s resource followed by "/.default", e.g. api://my-api/.default.',
		field,
	);
}
