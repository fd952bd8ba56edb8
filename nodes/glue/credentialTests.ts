import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { acquireAppTokenForCredential } from './clientCredentialsSettings';
import { describeForCredentialTest } from './nodeErrors';

/**
 * The credential dialog's Test button. It asks the identity provider for a new token (not the
 * cache), so a wrong or expired secret is found now and not at 3 a.m. Nothing is saved.
 */
export async function testClientCredentials(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const { token } = await acquireAppTokenForCredential(credential.data ?? {}, undefined, { forceRefresh: true });
		return {
			status: 'OK',
			message: `Token obtained for ${token.scopes.join(' ')} (tenant ${token.tenantId || 'n/a'}), valid until ${token.expiresOn}.`,
		};
	} catch (error) {
		return { status: 'Error', message: describeForCredentialTest(error) };
	}
}
