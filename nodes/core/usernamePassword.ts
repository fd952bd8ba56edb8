import type { SignInFlow } from './delegated';
import { InvalidInputError, MsalNodeError } from './errors';

/**
 * The resource-owner password flow (deprecated by Microsoft): MSAL sends the person's username
 * and password to the token endpoint. It fails for accounts with MFA or Conditional Access that
 * needs interaction, federated accounts (ADFS, other identity providers) and personal Microsoft
 * accounts. Only used when the credential turns it on explicitly.
 */
export interface UsernamePassword {
	username: string;
	password: string;
}

export function usernamePasswordSignIn(credentials: UsernamePassword): SignInFlow {
	const username = credentials.username.trim();
	if (!username)
		throw new InvalidInputError('Username is empty.', 'Enter the username (UPN), e.g. alice@contoso.com.', 'Username');
	if (!credentials.password)
		throw new InvalidInputError('Password is empty.', "Enter the account's password.", 'Password');
	return async (app, scopes, _reason, claims) => {
		const result = await app.acquireTokenByUsernamePassword({
			scopes,
			username,
			password: credentials.password,
			claims,
		});
		if (!result)
			throw new MsalNodeError(
				'The identity provider returned no token for the username and password.',
				'Check the username and password.',
			);
		return result;
	};
}
