import { describe, expect, it } from '@jest/globals';
import { completeAuthCodeSignIn, SignInCallbackError } from '../../nodes/core/authCode';
import { deriveSignInKeys, newSignInSecret } from '../../nodes/core/signInState';

const OPTIONS = {
	redirectUri: 'http://localhost/cb',
	keys: deriveSignInKeys(newSignInSecret(), 'cred-1'),
	record: 'cred-1',
};

describe('sign-in callback errors from the query string', () => {
	it('never repeat the identity provider’s free text (anyone can craft it); only the error code and AADSTS number', async () => {
		const error = await completeAuthCodeSignIn(
			undefined as never,
			undefined,
			{
				state: 'x',
				error: 'server_error',
				error_description:
					'AADSTS50011: Your account is locked. Call +1-555-0100 to unlock it.\n2026-01-01 INFO fake log line',
			},
			OPTIONS,
		).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(SignInCallbackError);
		const message = (error as Error).message;
		expect(message).toContain('server_error');
		expect(message).toContain('AADSTS50011');
		expect(message).not.toContain('Call +1-555-0100');
		expect(message).not.toContain('fake log line');
	});

	it('an error code that is not a protocol code is not echoed', async () => {
		const error = await completeAuthCodeSignIn(
			undefined as never,
			undefined,
			{
				error: 'visit https://evil.example now',
			},
			OPTIONS,
		).catch((e: unknown) => e);
		expect((error as Error).message).not.toContain('evil.example');
	});
});
