import { describe, expect, it } from '@jest/globals';
import { claimsFromChallenge, parseWwwAuthenticate } from '../../../nodes/core/http/claimsChallenge';

const claims = { access_token: { nbf: { essential: true, value: '1604106651' } } };
const b64 = Buffer.from(JSON.stringify(claims)).toString('base64');

describe('claims challenges', () => {
	it('decodes the claims of a Graph CAE challenge', () => {
		const header = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="${b64}"`;
		expect(JSON.parse(claimsFromChallenge(header) ?? 'null')).toEqual(claims);
	});

	it('accepts base64url without padding and plain JSON', () => {
		const url = Buffer.from(JSON.stringify(claims)).toString('base64url');
		expect(claimsFromChallenge(`Bearer error="insufficient_claims", claims="${url}"`)).toBe(JSON.stringify(claims));
		expect(
			claimsFromChallenge(
				`Bearer error="insufficient_claims", claims="${JSON.stringify(claims).replace(/"/g, '\\"')}"`,
			),
		).toBe(JSON.stringify(claims));
	});

	it('finds the Bearer challenge among several', () => {
		const header = `Basic realm="x", Bearer error="insufficient_claims", claims="${b64}"`;
		expect(claimsFromChallenge(header)).toBe(JSON.stringify(claims));
		expect(parseWwwAuthenticate(header).map((c) => c.scheme)).toEqual(['Basic', 'Bearer']);
	});

	it('ignores challenges that are not claims challenges', () => {
		expect(claimsFromChallenge('Bearer error="invalid_token", error_description="expired"')).toBeUndefined();
		expect(claimsFromChallenge(`Bearer error="invalid_token", claims="${b64}"`)).toBeUndefined();
		expect(claimsFromChallenge('Bearer error="insufficient_claims", claims="bm90IGpzb24"')).toBeUndefined();
		expect(claimsFromChallenge(undefined)).toBeUndefined();
		expect(claimsFromChallenge('')).toBeUndefined();
	});
});
