import { describe, expect, it } from '@jest/globals';
import { resolveAuthority, validateClientId, validateTenant } from '../../nodes/core/authority';
import { InvalidInputError } from '../../nodes/core/errors';

function errorOf(fn: () => unknown): InvalidInputError {
	try {
		fn();
	} catch (error) {
		if (error instanceof InvalidInputError) return error;
		throw error;
	}
	throw new Error('expected an InvalidInputError');
}

describe('authority resolution', () => {
	it('builds Microsoft cloud authorities from cloud and tenant', () => {
		expect(resolveAuthority({ cloud: 'global', tenant: 'contoso.onmicrosoft.com' }, [])).toEqual({
			authority: 'https://login.microsoftonline.com/contoso.onmicrosoft.com',
			knownAuthorities: [],
			tenant: 'contoso.onmicrosoft.com',
		});
		expect(
			resolveAuthority({ cloud: 'usGovernment', tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47' }, []).authority,
		).toBe('https://login.microsoftonline.us/72f988bf-86f1-41af-91ab-2d7cd011db47');
		expect(resolveAuthority({ cloud: 'china', tenant: 'x.partner.onmschina.cn' }, []).authority).toBe(
			'https://login.chinacloudapi.cn/x.partner.onmschina.cn',
		);
	});

	it('trusts the host of a custom authority so MSAL skips instance discovery', () => {
		const resolved = resolveAuthority({ cloud: 'custom', authorityUrl: 'https://127.0.0.1:8443/tenant1/' }, []);
		expect(resolved).toEqual({
			authority: 'https://127.0.0.1:8443/tenant1',
			knownAuthorities: ['127.0.0.1:8443'],
			tenant: 'tenant1',
		});
		expect(
			resolveAuthority(
				{ cloud: 'custom', authorityUrl: 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin' },
				[],
			).authority,
		).toBe('https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin');
	});

	it.each([
		['not a url', 'is not a URL'],
		['http://login.example.com/t', 'must use https'],
		['https://login.example.com', 'has no tenant path'],
		['https://login.example.com/t?x=1', 'must not have a query'],
	])('refuses the custom authority %s naming the field', (authorityUrl, message) => {
		const error = errorOf(() => resolveAuthority({ cloud: 'custom', authorityUrl }, []));
		expect(error.field).toBe('Authority URL');
		expect(error.message).toContain(message);
	});

	it.each(['common', 'organizations', 'consumers', 'Common'])(
		'refuses the multi-tenant alias %s where a tenant is required',
		(tenant) => {
			const error = errorOf(() => resolveAuthority({ cloud: 'global', tenant }, []));
			expect(error.field).toBe('Tenant');
			expect(error.fix).toMatch(/tenant\) ID/i);
		},
	);

	it('allows aliases a flow permits', () => {
		expect(validateTenant('organizations', ['organizations'])).toBe('organizations');
	});

	it.each(['', 'contoso', 'bad tenant!', 'https://login.microsoftonline.com/x'])(
		'refuses malformed tenant %p',
		(tenant) => {
			expect(errorOf(() => validateTenant(tenant, [])).field).toBe('Tenant');
		},
	);

	it('requires a GUID client ID on Microsoft clouds only', () => {
		expect(errorOf(() => validateClientId('my-app', true)).message).toContain('is not a GUID');
		expect(errorOf(() => validateClientId('  ', true)).message).toContain('empty');
		expect(validateClientId(' 00000000-0000-0000-0000-000000000001 ', true)).toBe(
			'00000000-0000-0000-0000-000000000001',
		);
		expect(validateClientId('adfs-client', false)).toBe('adfs-client');
	});
});
