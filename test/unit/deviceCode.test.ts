import { describe, expect, it } from '@jest/globals';
import { AuthError } from '@azure/msal-node';
import { translateDeviceCodeError } from '../../nodes/core/deviceCode/flowErrors';
import { promptOf } from '../../nodes/core/deviceCode/prompt';
import { SignInFailedError } from '../../nodes/core/signIn';
import { IdentityProviderError } from '../../nodes/core/errors';

const pending = (expiresIn: number, account?: string) => ({
	format: 'n8n-nodes-msal/pending-device-code@1' as const,
	owner: 'o',
	scopes: ['User.Read'],
	account,
	reason: 'no-account' as const,
	deviceCode: 'DEVICE-CODE-SECRET',
	userCode: 'ABCD-EFGH',
	verificationUri: 'https://microsoft.com/devicelogin',
	message: 'x',
	interval: 5,
	expiresAt: Math.floor(Date.now() / 1000) + expiresIn,
});

describe('device-code prompt', () => {
	it('says where, what, until when, and what next, without the device code', () => {
		const prompt = promptOf(pending(900), true, 'stop');
		expect(prompt.message).toMatch(
			/^Sign-in needed: open https:\/\/microsoft\.com\/devicelogin and enter the code ABCD-EFGH before \d\d:\d\d UTC \(15 minutes\)\. Then run the workflow again\.$/,
		);
		expect(JSON.stringify(prompt)).not.toContain('DEVICE-CODE-SECRET');
	});

	it('names the account, the time left for an earlier code, and the waiting state', () => {
		const prompt = promptOf(pending(60, 'alice@contoso.com'), false, 'wait');
		expect(prompt.message).toContain(
			'(1 minute left), signing in as alice@contoso.com. The workflow is waiting for the sign-in.',
		);
		expect(promptOf(pending(60), false, 'wait', undefined, 'stop').message).toMatch(/Then run the workflow again\.$/);
	});
});

describe('device-flow errors', () => {
	const postFailed = (error: string) => new AuthError('post_request_failed', 'correlation-id', error);

	it.each([
		['authorization_declined', /declined the sign-in/],
		['expired_token', /expired before anyone signed in/],
		['bad_verification_code', /does not know the saved sign-in code/],
	])('%s means a fresh code', (code, message) => {
		const translated = translateDeviceCodeError(postFailed(code), undefined);
		expect(translated).toBeInstanceOf(SignInFailedError);
		expect((translated as Error).message).toMatch(message);
	});

	it("MSAL's device_code_expired (its clock passed the code's lifetime while waiting) ends with 'run again', never another wait", () => {
		const translated = translateDeviceCodeError(
			new AuthError('device_code_expired', 'Device code is expired.'),
			undefined,
		);
		expect(translated).toBeInstanceOf(SignInFailedError);
		expect((translated as SignInFailedError).message).toMatch(/expired before anyone signed in/);
		expect((translated as SignInFailedError).fix).toMatch(/^Run the workflow again for a new code/);
	});

	it.each([
		[7000218, 'Allow public client flows'],
		[65001, 'consent'],
		[50076, 'MFA'],
		[90133, 'Tenant'],
		[50059, 'Tenant'],
	])('AADSTS%s from a poll is explained', (code, fixPart) => {
		const translated = translateDeviceCodeError(postFailed('invalid_request'), {
			error: 'invalid_request',
			error_description: `AADSTS${code}: text`,
			error_codes: [code],
		});
		expect(translated).toBeInstanceOf(IdentityProviderError);
		expect((translated as IdentityProviderError).message).toMatch(new RegExp(`^AADSTS${code}: `));
		expect((translated as IdentityProviderError).fix).toContain(fixPart);
	});
});
