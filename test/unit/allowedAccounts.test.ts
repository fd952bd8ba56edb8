import { describe, expect, it } from '@jest/globals';
import type { AccountInfo } from '@azure/msal-node';
import {
	identityRefusal,
	isAllowedAccount,
	parseAllowedAccounts,
	usernameAllowListWarning,
} from '../../nodes/core/allowedAccounts';
import { selectAccount } from '../../nodes/core/delegated';

const OID = '8e4c1f9a-3a5b-4b8e-9f3c-2d1e0a7b6c5d';
const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const alice: AccountInfo = {
	homeAccountId: `${OID}.${TID}`,
	environment: 'login.microsoftonline.com',
	tenantId: TID,
	username: 'Alice@Contoso.com',
	localAccountId: OID,
	idTokenClaims: { oid: OID, tid: TID },
};

describe('Allowed Accounts', () => {
	it('parses commas, semicolons and spaces, case-insensitively', () => {
		expect(parseAllowedAccounts(' Alice@Contoso.com,bob@contoso.com ;  X ')).toEqual([
			'alice@contoso.com',
			'bob@contoso.com',
			'x',
		]);
		expect(parseAllowedAccounts(undefined)).toEqual([]);
	});

	it.each([
		['a username, in any case', ['alice@contoso.com']],
		['an object ID', [OID]],
		['a home account ID', [`${OID}.${TID}`]],
	])('admits the person by %s', (_, allowed) => {
		expect(isAllowedAccount(alice, allowed)).toBe(true);
	});

	it('refuses anyone else, and never matches on the tenant ID or a part of an ID', () => {
		expect(isAllowedAccount(alice, ['bob@contoso.com'])).toBe(false);
		expect(isAllowedAccount(alice, [TID])).toBe(false);
		expect(isAllowedAccount(alice, [OID.slice(0, 8)])).toBe(false);
		expect(isAllowedAccount(alice, ['alice@contoso.com.evil.example'])).toBe(false);
		expect(isAllowedAccount(alice, [])).toBe(false);
	});
});

describe('identities a person cannot choose', () => {
	const OTHER_OID = '11111111-2222-4333-8444-555555555555';
	const lookAlike: AccountInfo = {
		...alice,
		homeAccountId: `${OTHER_OID}.${TID}`,
		localAccountId: OTHER_OID,
		idTokenClaims: { oid: OTHER_OID, tid: TID },
		username: 'alice@contoso.com',
	};

	it('the first identity with a username keeps it: a second one under the same username is refused', () => {
		expect(identityRefusal(lookAlike, [alice], undefined)).toMatch(/signed in as another identity/);
		expect(identityRefusal(alice, [], undefined)).toBeUndefined();
		expect(identityRefusal(alice, [{ ...lookAlike, username: 'bob@contoso.com' }], undefined)).toBeUndefined();
	});

	it('a credential bound to a tenant by ID refuses a token of another tenant (tid)', () => {
		expect(identityRefusal(alice, [], TID)).toBeUndefined();
		expect(identityRefusal(alice, [], TID.toUpperCase())).toBeUndefined();
		expect(identityRefusal(alice, [], '99999999-2222-4333-8444-555555555555')).toMatch(
			new RegExp(`through tenant ${TID}, but the credential is bound`),
		);
	});

	it('selection prefers IDs, and a username naming two identities is an error, not a guess', () => {
		expect(selectAccount([alice, lookAlike], `${OTHER_OID}.${TID}`)).toBe(lookAlike);
		expect(selectAccount([alice, lookAlike], OID)).toBe(alice);
		expect(() => selectAccount([alice, lookAlike], 'alice@contoso.com')).toThrow(/share the username/);
		expect(selectAccount([alice], 'ALICE@contoso.com')).toBe(alice);
	});
});

describe("the credential Test's warning about usernames", () => {
	it('warns for usernames when the tenant is not a tenant ID; object and home account IDs never', () => {
		const allowed = parseAllowedAccounts(`alice@contoso.com, ${OID}, ${OID}.${TID}`);
		expect(usernameAllowListWarning(allowed, undefined)).toContain(
			'Allowed Accounts names alice@contoso.com by username, and the tenant is not a tenant ID',
		);
		expect(usernameAllowListWarning(allowed, TID)).toBeUndefined();
		expect(usernameAllowListWarning(parseAllowedAccounts(`${OID}, ${OID}.${TID}`), undefined)).toBeUndefined();
	});
});
