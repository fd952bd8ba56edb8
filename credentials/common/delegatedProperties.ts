import type { INodeProperties } from 'n8n-workflow';
import { PENDING_SIGN_IN_FIELD } from '../../nodes/n8n/delegatedAdapter';

/** Fields every credential acting for a person has (device code, public client). */
export const delegatedScopesProperty: INodeProperties = {
	displayName: 'Scopes',
	name: 'scopes',
	type: 'string',
	default: 'User.Read',
	required: true,
	placeholder: 'e.g. User.Read Mail.Read Files.ReadWrite',
	description:
		"Delegated permissions to ask for, separated by spaces (Microsoft Graph names, or the API's URI and permission for other APIs, e.g. api://my-api/Data.Read). openid, profile and offline_access are added for you. Nodes can ask for others; the person's sign-in covers every permission consented for the app.",
};

/** Who may sign in: checked before a sign-in's tokens are stored. */
export function allowedAccountsProperty(how: string): INodeProperties {
	return {
		displayName: 'Allowed Accounts',
		name: 'allowedAccounts',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. alice@contoso.com, 8e4c1f9a-3a5b-4b8e-9f3c-2d1e0a7b6c5d',
		description: `Who may sign in ${how}, comma-separated: usernames, or better object IDs or home account IDs (as List Accounts shows them), which a person cannot change. Sign-ins of anyone else are refused and nothing of them is stored.`,
	};
}

export const accountProperty: INodeProperties = {
	displayName: 'Account',
	name: 'account',
	type: 'string',
	default: '',
	placeholder: 'e.g. alice@contoso.com',
	description:
		"Username of the person to act as when several people signed in with this credential (see the Acquire Token node's List Accounts). Empty: the only signed-in person.",
};

/**
 * A sign-in started by one run and finished by a later one (e.g. a device code shown in an
 * error). Hidden and password-typed like the token cache: saved encrypted, never sent to the editor.
 */
export const pendingSignInProperty: INodeProperties = {
	displayName: 'Pending Sign-In',
	name: PENDING_SIGN_IN_FIELD,
	type: 'hidden',
	default: '',
	typeOptions: { password: true },
};
