import { describe, expect, it } from '@jest/globals';
import { resolveAuthority } from '../../nodes/core/authority';
import { InvalidInputError } from '../../nodes/core/errors';
import { adminConsentUrl, parseAllowedTenants, tenantAuthority } from '../../nodes/core/tenantOverride';

const FABRIKAM = '9188040d-6c67-4c5b-b112-36a304b66dad';
const global = resolveAuthority({ cloud: 'global', tenant: 'contoso.onmicrosoft.com' }, []);
const usGov = resolveAuthority({ cloud: 'usGovernment', tenant: 'contoso.onmicrosoft.us' }, []);

describe('Tenant Override', () => {
	it("keeps the credential's authority without an override, or when it names the credential's tenant", () => {
		expect(tenantAuthority(global, false, undefined, '')).toEqual({
			authority: 'https://login.microsoftonline.com/contoso.onmicrosoft.com',
			tenant: 'contoso.onmicrosoft.com',
		});
		expect(tenantAuthority(global, false, ' Contoso.onmicrosoft.com ', '').authority).toBe(global.authority);
	});

	it('moves the authority to an allowed tenant of the same cloud', () => {
		expect(tenantAuthority(global, false, FABRIKAM, `x.onmicrosoft.com, ${FABRIKAM.toUpperCase()}`)).toEqual({
			authority: `https://login.microsoftonline.com/${FABRIKAM}`,
			tenant: FABRIKAM,
		});
		expect(tenantAuthority(usGov, false, 'fabrikam.onmicrosoft.us', '*').authority).toBe(
			'https://login.microsoftonline.us/fabrikam.onmicrosoft.us',
		);
	});

	it('refuses, naming the field: empty Allowed Tenants, a tenant not listed, aliases, malformed tenants', () => {
		const refusal = (override: string, allowed: string, custom = false, base = global) => {
			try {
				tenantAuthority(base, custom, override, allowed);
			} catch (error) {
				expect(error).toBeInstanceOf(InvalidInputError);
				return (error as InvalidInputError).field;
			}
			throw new Error('not refused');
		};
		expect(refusal(FABRIKAM, '')).toBe('Allowed Tenants');
		expect(refusal(FABRIKAM, 'fabrikam.onmicrosoft.com')).toBe('Allowed Tenants');
		expect(refusal('common', '*')).toBe('Tenant Override');
		expect(refusal('organizations', '*')).toBe('Tenant Override');
		expect(refusal('https://evil.example/x', '*')).toBe('Tenant Override');
		expect(refusal('fabrikam', '*')).toBe('Tenant Override');
		const b2c = resolveAuthority(
			{ cloud: 'custom', authorityUrl: 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin' },
			[],
		);
		expect(refusal('fabrikam.onmicrosoft.com', '*', true, b2c)).toBe('Tenant Override');
		const adfs = resolveAuthority({ cloud: 'custom', authorityUrl: 'https://adfs.contoso.com/adfs' }, []);
		expect(refusal('other', '*', true, adfs)).toBe('Tenant Override');
		expect(
			refusal(
				'a/b',
				'*',
				true,
				resolveAuthority({ cloud: 'custom', authorityUrl: 'https://login.example.com/t1' }, []),
			),
		).toBe('Tenant Override');
	});

	it('quotes at most 80 characters of the override, escaped, in every refusal', () => {
		const message = (override: string, allowed: string, custom = false, base = global) => {
			try {
				tenantAuthority(base, custom, override, allowed);
			} catch (error) {
				return (error as InvalidInputError).message;
			}
			throw new Error('not refused');
		};
		const huge = `evil\r\n${'x'.repeat(1024 * 1024)}`;
		const b2c = resolveAuthority(
			{ cloud: 'custom', authorityUrl: 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin' },
			[],
		);
		// The longest domain an override may be (253 characters) reaches the Allowed Tenants checks.
		const longDomain = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.onmicrosoft.com`.slice(
			-253,
		);
		const messages = [
			message(huge, '*'),
			message(huge, '*', true, b2c),
			message(longDomain, ''),
			message(longDomain, 'fabrikam.onmicrosoft.com'),
			message('common', '*'),
		];
		for (const text of messages) {
			expect(text.length).toBeLessThan(400);
			expect(text).not.toMatch(/[\r\n]/);
		}
		expect(messages[0]).toContain('"evil\\r\\n');
		expect(messages[0]).toContain('…" (1,048,582 characters)');
		expect(messages[2]).toContain(`"${longDomain.slice(0, 80)}…" (253 characters)`);
		expect(messages[4]).toContain('Tenant Override "common" names no tenant');
	});

	it('takes a tenant segment on a custom authority whose path is one tenant', () => {
		const custom = resolveAuthority({ cloud: 'custom', authorityUrl: 'https://login.example.com:8443/t1' }, []);
		expect(tenantAuthority(custom, true, 't2', 't2').authority).toBe('https://login.example.com:8443/t2');
	});

	it('parses Allowed Tenants separated by commas, spaces or lines, and builds the admin-consent URL', () => {
		expect(parseAllowedTenants(' A.com,b.com\nC ; *')).toEqual(['a.com', 'b.com', 'c', '*']);
		expect(
			adminConsentUrl(`https://login.microsoftonline.com/${FABRIKAM}`, '11111111-1111-4111-8111-111111111111'),
		).toBe(`https://login.microsoftonline.com/${FABRIKAM}/adminconsent?client_id=11111111-1111-4111-8111-111111111111`);
	});
});
