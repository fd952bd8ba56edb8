/** How a managed identity failure is said: the cause and the fix, never the endpoint's text. */
import { describe, expect, it } from '@jest/globals';
import { IdentityProviderError, IdentityProviderUnreachableError } from '../../nodes/core/errors';
import { ApiCallError } from '../../nodes/core/http/apiError';
import {
	identityOfToken,
	translateManagedIdentityError,
	type ManagedIdentitySettings,
} from '../../nodes/core/managedIdentity/managedIdentity';
import { explainManagedIdentityApiError } from '../../nodes/n8n/managedIdentityAdapter';

const system: ManagedIdentitySettings = {
	identityType: 'system',
	identityId: '',
	scopes: 'https://graph.microsoft.com/.default',
};
const byResourceId: ManagedIdentitySettings = {
	identityType: 'userResourceId',
	identityId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/n8n',
	scopes: 'https://graph.microsoft.com/.default',
};
const answered = (status: number, code?: string) => ({
	host: '169.254.169.254',
	status,
	code,
	description: `The managed identity endpoint (169.254.169.254) answered HTTP ${status}.`,
});
const msalError = Object.assign(new Error('x'), { errorCode: 'network_error' });

const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('translateManagedIdentityError', () => {
	it('no answer from IMDS: no managed identity here, with what was looked for', () => {
		const error = translateManagedIdentityError(msalError, system, 'DefaultToImds', {
			host: '169.254.169.254',
			description: 'Connecting to 169.254.169.254 timed out (UND_ERR_CONNECT_TIMEOUT).',
		});
		expect(error).toBeInstanceOf(IdentityProviderUnreachableError);
		expect(error.message).toMatch(
			/^No managed identity found on this host\. Looked for: .*IDENTITY_ENDPOINT and IDENTITY_HEADER \(App Service/,
		);
		expect(error.message).toMatch(/timed out/);
	});

	it('a bare 404 at the default IMDS address is another metadata service, not Azure', () => {
		const error = translateManagedIdentityError(msalError, system, 'DefaultToImds', answered(404));
		expect(error.message).toMatch(/^No managed identity found/);
	});

	it('no answer from a detected source names its variables', () => {
		const error = translateManagedIdentityError(msalError, system, 'AppService', {
			host: '127.0.0.1:41000',
			description: '127.0.0.1:41000 refused the connection (nothing listens there).',
		});
		expect(error.message).toMatch(/App Service \/ Container Apps could not be reached: 127\.0\.0\.1:41000 refused/);
		expect(error.fix).toMatch(/IDENTITY_ENDPOINT and IDENTITY_HEADER/);
	});

	it.each([400, 404])('HTTP %i for a user-assigned identity: not attached, naming its ID field', (status) => {
		const error = translateManagedIdentityError(
			msalError,
			byResourceId,
			'AppService',
			answered(status, 'invalid_request'),
		);
		expect(error).toBeInstanceOf(IdentityProviderError);
		expect(error.field).toBe('Resource ID');
		expect(error.message).toContain(byResourceId.identityId);
		expect(error.message).toMatch(/not attached/);
	});

	it('an unknown resource names Scopes', () => {
		const error = translateManagedIdentityError(msalError, byResourceId, 'Imds', answered(400, 'invalid_resource'));
		expect(error.field).toBe('Scopes');
	});

	it('401/403 from the endpoint: the platform variables were changed', () => {
		const error = translateManagedIdentityError(msalError, system, 'AppService', answered(401));
		expect(error.fix).toMatch(/IDENTITY_ENDPOINT and IDENTITY_HEADER/);
	});

	it('5xx after MSAL’s retries: try again later', () => {
		const error = translateManagedIdentityError(msalError, system, 'Imds', answered(503));
		expect(error.message).toMatch(/HTTP 503.*unavailable or busy/);
	});
});

describe('identityOfToken', () => {
	it('prefers the client ID (appid, then azp), else the object ID', () => {
		expect(identityOfToken(jwt({ appid: 'a', oid: 'o' }))).toBe('client ID a');
		expect(identityOfToken(jwt({ azp: 'z', oid: 'o' }))).toBe('client ID z');
		expect(identityOfToken(jwt({ oid: 'o' }))).toBe('object ID o');
		expect(identityOfToken('opaque')).toMatch(/does not name/);
	});
});

describe('explainManagedIdentityApiError', () => {
	const apiError = (status: number) =>
		new ApiCallError(`The API answered HTTP ${status}.`, 'generic fix', status, 'Forbidden', 'm', 'r', 'c', {});

	it('a 403 says the managed identity lacks the role, and how to grant it', () => {
		const explained = explainManagedIdentityApiError(apiError(403)) as ApiCallError;
		expect(explained).toBeInstanceOf(ApiCallError);
		expect(explained.status).toBe(403);
		expect(explained.message).toMatch(/managed identity has no access/);
		expect(explained.fix).toMatch(/New-MgServicePrincipalAppRoleAssignment/);
		expect(explained.requestId).toBe('r');
	});

	it('anything else is left as it is', () => {
		const notFound = apiError(404);
		expect(explainManagedIdentityApiError(notFound)).toBe(notFound);
		const other = new Error('x');
		expect(explainManagedIdentityApiError(other)).toBe(other);
	});
});
