import { describe, expect, it } from '@jest/globals';
import type { AccountInfo } from '@azure/msal-node';
import { isAllowedAccount, parseAllowedAccounts } from '../../nodes/core/allowedAccounts';

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
