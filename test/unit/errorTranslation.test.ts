import { describe, expect, it } from '@jest/globals';
import { AuthError, ClientAuthError, ServerError } from '@azure/msal-node';
import { IdentityProviderError, IdentityProviderUnreachableError } from '../../nodes/core/errors';
import { isSignInNeeded, translateMsalError } from '../../nodes/core/errorTranslation';
import { describeFetchFailure } from '../../nodes/core/networkClient';

const context = { authority: 'https://login.example.com/t' };

// ServerError is built as MSAL's ResponseHandler builds it from an Entra error body.
function entraError(error: string, code: number, description: string): ServerError {
	const message = `Error(s): ${code} - Timestamp: 2026-01-01 - Description: AADSTS${code}: ${description} - Correlation ID: c1 - Trace ID: t1`;
	return new ServerError(error, 'c1', message, undefined, String(code));
}

describe('error translation', () => {
	it.each([
		[7000215, 'invalid_client', 'Client Secret', 'secret is wrong'],
		[7000222, 'invalid_client', 'Client Secret', 'expired'],
		[700016, 'unauthorized_client', 'Client ID', 'No application'],
		[90002, 'invalid_tenant', 'Tenant', 'tenant was not found'],
		[70011, 'invalid_scope', 'Scopes', 'scope is invalid'],
		[1002012, 'invalid_scope', 'Scopes', 'scope is invalid'],
	])('explains AADSTS%s in one line with the field and the fix', (code, error, field, explanation) => {
		const translated = translateMsalError(entraError(error, code, 'raw text from Entra'), context);
		expect(translated).toBeInstanceOf(IdentityProviderError);
		expect(translated.message).toContain(`AADSTS${code}:`);
		expect(translated.message).toContain(explanation);
		expect(translated.field).toBe(field);
		expect(translated.fix.length).toBeGreaterThan(10);
	});

	it('keeps the provider description for codes it does not know', () => {
		const translated = translateMsalError(entraError('invalid_request', 9999999, 'Something odd.'), context);
		expect(translated.message).toContain('invalid_request');
		expect(translated.message).toContain('AADSTS9999999: Something odd.');
	});

	it('shows the real network cause instead of endpoints_resolution_error', () => {
		const msalError = new ClientAuthError('endpoints_resolution_error', 'c1');
		const translated = translateMsalError(msalError, {
			...context,
			networkFailure: 'The host name login.example.com could not be resolved (DNS: ENOTFOUND).',
		});
		expect(translated).toBeInstanceOf(IdentityProviderUnreachableError);
		expect(translated.message).toContain('ENOTFOUND');
		expect(translated.message).not.toContain('endpoints_resolution_error');
	});

	it('treats invalid_grant and interaction_required as "sign in again"', () => {
		expect(isSignInNeeded(new ServerError('invalid_grant', '', 'x'))).toBe(true);
		expect(isSignInNeeded(new AuthError('interaction_required', ''))).toBe(true);
		expect(isSignInNeeded(new ServerError('invalid_client', '', 'x'))).toBe(false);
	});

	it('describes fetch failures by their cause', () => {
		const failure = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code, message: code } });
		expect(describeFetchFailure(failure('ENOTFOUND'), 'https://x.example/t', 1000)).toContain('could not be resolved');
		expect(describeFetchFailure(failure('ECONNREFUSED'), 'https://x.example/t', 1000)).toContain('refused');
		expect(describeFetchFailure(failure('SELF_SIGNED_CERT_IN_CHAIN'), 'https://x.example/t', 1000)).toContain(
			'not trusted',
		);
		expect(
			describeFetchFailure(Object.assign(new Error('t'), { name: 'TimeoutError' }), 'https://x.example/t', 5000),
		).toContain('within 5 s');
	});

	it("bounds and escapes the identity provider's code and description; a huge description is not echoed", () => {
		const description = `Bad thing\u001b[2J ${'d'.repeat(1024 * 1024)}\r\nforged: admin signed in`;
		const error = translateMsalError(
			new ServerError(`weird\r\n${'e'.repeat(5000)}`, '', `Description: ${description} - Correlation ID: c`),
			{ authority: 'https://login.example.com/t' },
		);
		// eslint-disable-next-line no-control-regex -- control characters are what must not appear
		expect(error.message).not.toMatch(/[\r\n\u001b]/);
		expect(error.message.length).toBeLessThan(600);
		expect(error.message).toContain('weird\\r\\n');
		expect(error.message).toContain('Bad thing\\u001b[2J');
		expect(error.message).not.toContain('forged');
		const unknown = translateMsalError(new Error('x'.repeat(1024 * 1024)), {
			authority: 'https://login.example.com/t',
		});
		expect(unknown.message.length).toBeLessThan(400);
	});
});
