import { describe, expect, it } from '@jest/globals';
import { RENEW_WITHIN_MS, RenewingToken, type BearerToken } from '../../../nodes/core/azureOpenAi/renewingToken';

/** An acquirer that counts its calls and issues tokens valid for `lifetimeMs` from the clock's now. */
function issuer(clock: { now: number }, lifetimeMs: number) {
	const calls: Array<string | undefined> = [];
	const acquire = async (claims?: string): Promise<BearerToken> => {
		calls.push(claims);
		return { accessToken: `token-${calls.length}`, expiresOn: new Date(clock.now + lifetimeMs).toISOString() };
	};
	return { calls, acquire };
}

describe('the bearer of a long model run', () => {
	it('reuses a token until it nears expiry, then renews once before it expires', async () => {
		const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
		const { calls, acquire } = issuer(clock, 60 * 60 * 1000);
		const token = new RenewingToken(acquire, () => clock.now);
		for (let i = 0; i < 5; i++) expect(await token.token()).toBe('token-1');
		clock.now += 60 * 60 * 1000 - RENEW_WITHIN_MS + 1;
		expect(await token.token()).toBe('token-2');
		expect(await token.token()).toBe('token-2');
		expect(calls).toEqual([undefined, undefined]);
	});

	it('requests made while a renewal runs share it', async () => {
		const clock = { now: 0 };
		const { calls, acquire } = issuer(clock, 60 * 60 * 1000);
		const token = new RenewingToken(acquire, () => clock.now);
		expect(await Promise.all([token.token(), token.token(), token.token()])).toEqual(['token-1', 'token-1', 'token-1']);
		expect(calls).toHaveLength(1);
	});

	it('a claims challenge acquires once per claims value, and its token becomes the current one', async () => {
		const clock = { now: 0 };
		const { calls, acquire } = issuer(clock, 60 * 60 * 1000);
		const token = new RenewingToken(acquire, () => clock.now);
		await token.token();
		expect(await Promise.all([token.withClaims('{"a":1}'), token.withClaims('{"a":1}')])).toEqual([
			'token-2',
			'token-2',
		]);
		expect(await token.token()).toBe('token-2');
		expect(calls).toEqual([undefined, '{"a":1}']);
	});

	it('a failed acquisition is not kept: the next request tries again', async () => {
		let fail = true;
		const token = new RenewingToken(async () => {
			if (fail) throw new Error('identity provider down');
			return { accessToken: 'ok', expiresOn: new Date(Date.now() + 3_600_000).toISOString() };
		});
		await expect(token.token()).rejects.toThrow('identity provider down');
		fail = false;
		expect(await token.token()).toBe('ok');
	});
});
