/**
 * The device-code core with real MSAL against the rig: stop (code in the error, redeemed by the
 * next call), wait (prompt delivered, polling until approval, cancel stops polling at once),
 * expiry/decline, revoked refresh token, tenant checks, error mapping.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { acquireDeviceCodeToken, type DeviceCodeSettings } from '../../nodes/core/deviceCode/signInFlow';
import { SignInFailedError, SignInPendingError, type SignInPrompt } from '../../nodes/core/signIn';
import { InvalidInputError } from '../../nodes/core/errors';
import { startRig, type Rig } from '../rig/rig';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('device-code sign-in against the identity provider', () => {
	let rig: Rig;
	let settings: DeviceCodeSettings;

	const userCodeOf = (message: string) => /enter the code (\S+) before/.exec(message)?.[1] as string;
	async function pendingFrom(promise: Promise<unknown>): Promise<SignInPendingError> {
		const error = await promise.then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(SignInPendingError);
		return error as SignInPendingError;
	}

	beforeAll(async () => {
		rig = await startRig();
		settings = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.public.clientId,
			scopes: rig.api.delegatedScopes[0],
			allowedAccounts: rig.users.map((user) => user.username.toLowerCase()),
		};
	});
	afterAll(async () => {
		await rig.settings({ deviceCodeIntervalSeconds: 1 });
		await rig.stop();
	});

	it('Allowed Accounts empty: no code is asked for (whoever saw it could sign in), the error names the field', async () => {
		await rig.reset();
		const error = await acquireDeviceCodeToken({ ...settings, allowedAccounts: [] }, undefined, undefined, {}).catch(
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(SignInFailedError);
		expect((error as Error).message).toContain("field 'Allowed Accounts'");
		expect((await rig.stats()).requests.devicecode ?? 0).toBe(0);
	});

	it('a home account ID in Allowed Accounts admits its person; another person who redeems the code leaves no trace', async () => {
		const first = await pendingFrom(
			acquireDeviceCodeToken({ ...settings, allowedAccounts: ['nobody@contoso.test'] }, undefined, undefined, {}),
		);
		await rig.approveDeviceCode(first.prompt.userCode, 'alice@contoso.test');
		const refused = await pendingFrom(
			acquireDeviceCodeToken(
				{ ...settings, allowedAccounts: ['nobody@contoso.test'] },
				undefined,
				first.pendingToStore,
				{},
			),
		);
		expect(refused.message).toContain("alice@contoso.test, who is not in the credential's Allowed Accounts");
		expect(refused.prompt.userCode).not.toBe(first.prompt.userCode);
		expect(refused.pendingToStore).not.toContain(JSON.parse(first.pendingToStore).deviceCode);

		await rig.approveDeviceCode(refused.prompt.userCode, 'alice@contoso.test');
		const signedIn = await acquireDeviceCodeToken(settings, undefined, refused.pendingToStore, {});
		const homeAccountId = signedIn.token.account?.homeAccountId as string;
		expect(homeAccountId).toMatch(/\./);
		const next = await pendingFrom(acquireDeviceCodeToken(settings, undefined, undefined, {}));
		await rig.approveDeviceCode(next.prompt.userCode, 'alice@contoso.test');
		const byId = await acquireDeviceCodeToken(
			{ ...settings, allowedAccounts: [homeAccountId.toLowerCase()] },
			undefined,
			next.pendingToStore,
			{},
		);
		expect(byId.token.account?.username).toBe('alice@contoso.test');
		expect(byId.cacheToStore).toBeDefined();
	});

	it('stop: the first call fails at once with URL, code and expiry; the next call redeems the code; then silent', async () => {
		await rig.reset();
		const first = await pendingFrom(acquireDeviceCodeToken(settings, undefined, undefined, {}));
		expect(first.message).toMatch(
			/^Sign-in needed: open https:\/\/\S+ and enter the code \S+ before \d\d:\d\d UTC \(\d+ minutes\)\. Then run the workflow again\.$/,
		);
		expect(first.prompt).toMatchObject({
			isNewCode: true,
			mode: 'stop',
			reason: 'no-account',
			userCode: userCodeOf(first.message),
		});
		expect(first.pendingToStore).toContain('"deviceCode"');
		expect(first.message).not.toContain(JSON.parse(first.pendingToStore).deviceCode);
		let stats = await rig.stats();
		expect(stats.requests.devicecode).toBe(1);
		expect(stats.grants.device_code ?? 0).toBe(0); // no poll at all

		// Not yet approved: one poll, the same code, "left".
		await rig.reset();
		const again = await pendingFrom(acquireDeviceCodeToken(settings, undefined, first.pendingToStore, {}));
		expect(again.prompt).toMatchObject({ isNewCode: false, userCode: first.prompt.userCode });
		expect(again.message).toContain('minutes left');
		stats = await rig.stats();
		expect(stats.requests.devicecode ?? 0).toBe(0);
		expect(stats.grants.device_code).toBe(1);

		await rig.approveDeviceCode(first.prompt.userCode, 'alice@contoso.test');
		await rig.reset();
		const signedIn = await acquireDeviceCodeToken(settings, undefined, first.pendingToStore, {});
		expect(signedIn.token.account?.username).toBe('alice@contoso.test');
		expect(signedIn.pendingToStore).toBe('');
		expect(signedIn.cacheToStore).toContain('"RefreshToken"');
		stats = await rig.stats();
		expect(stats.grants).toMatchObject({ device_code: 1 });
		expect(stats.grants.refresh_token ?? 0).toBe(0);

		await rig.reset();
		const silent = await acquireDeviceCodeToken(settings, signedIn.cacheToStore, undefined, {});
		expect(silent.token.fromCache).toBe(true);
		expect(silent.cacheToStore).toBeUndefined();
		expect(silent.pendingToStore).toBeUndefined();
		expect((await rig.stats()).requests.token ?? 0).toBe(0);
	});

	it("two credential records of the same app never see each other's accounts (one MSAL app per process)", async () => {
		const first = await pendingFrom(acquireDeviceCodeToken(settings, undefined, undefined, {}));
		await rig.approveDeviceCode(first.prompt.userCode, 'alice@contoso.test');
		const alice = await acquireDeviceCodeToken(settings, undefined, first.pendingToStore, {});
		expect(alice.token.account?.username).toBe('alice@contoso.test');
		// Another record (empty cache) right after, in the same process: nobody is signed in there.
		const other = await pendingFrom(acquireDeviceCodeToken(settings, undefined, undefined, {}));
		expect(other.prompt.reason).toBe('no-account');
	});

	it('stop: a redeemed code for other scopes also serves the scopes asked for now', async () => {
		const first = await pendingFrom(acquireDeviceCodeToken(settings, undefined, undefined, {}));
		await rig.approveDeviceCode(first.prompt.userCode, 'alice@contoso.test');
		const other = await acquireDeviceCodeToken(settings, undefined, first.pendingToStore, {
			scopes: rig.api.delegatedScopes[1],
		});
		expect(other.token.scopes).toContain(rig.api.delegatedScopes[1]);
	});

	it('stop: a declined code is cleared and a fresh one shown in the same call', async () => {
		const first = await pendingFrom(acquireDeviceCodeToken(settings, undefined, undefined, {}));
		await rig.denyDeviceCode(first.prompt.userCode);
		const fresh = await pendingFrom(acquireDeviceCodeToken(settings, undefined, first.pendingToStore, {}));
		expect(fresh.message).toMatch(/^The person declined the sign-in \(authorization_declined\)\. Sign-in needed: open/);
		expect(fresh.prompt.userCode).not.toBe(first.prompt.userCode);
		expect(fresh.prompt.isNewCode).toBe(true);
	});

	it('stop: an expired saved code is ignored and a fresh one shown', async () => {
		const first = await pendingFrom(acquireDeviceCodeToken(settings, undefined, undefined, {}));
		const expired = JSON.stringify({
			...JSON.parse(first.pendingToStore),
			expiresAt: Math.floor(Date.now() / 1000) - 1,
		});
		await rig.reset();
		const fresh = await pendingFrom(acquireDeviceCodeToken(settings, undefined, expired, {}));
		expect(fresh.prompt.userCode).not.toBe(first.prompt.userCode);
		expect((await rig.stats()).requests.devicecode).toBe(1);
	});

	it('wait: the prompt is delivered and the call returns once the person approves', async () => {
		const prompts: SignInPrompt[] = [];
		const outcome = await acquireDeviceCodeToken({ ...settings, signInMode: 'wait' }, undefined, undefined, {
			signIn: {
				onPrompt: async (prompt) => {
					prompts.push(prompt);
					await sleep(1500);
					await rig.approveDeviceCode(prompt.userCode, 'bob@contoso.test');
				},
			},
		});
		expect(outcome.token.account?.username).toBe('bob@contoso.test');
		expect(prompts).toHaveLength(1);
		expect(prompts[0].message).toContain('The workflow is waiting for the sign-in.');
	});

	it('wait: cancelling stops polling at once and keeps the code for the next run', async () => {
		const controller = new AbortController();
		let prompt: SignInPrompt | undefined;
		await rig.reset();
		const started = Date.now();
		const waiting = pendingFrom(
			acquireDeviceCodeToken({ ...settings, signInMode: 'wait' }, undefined, undefined, {
				signIn: {
					signal: controller.signal,
					onPrompt: (p) => {
						prompt = p;
						setTimeout(() => controller.abort(), 2500);
					},
				},
			}),
		);
		const cancelled = await waiting;
		expect(Date.now() - started).toBeLessThan(5000);
		expect(cancelled.fix).toContain('cancelled');
		const pollsAtCancel = (await rig.stats()).grants.device_code ?? 0;
		expect(pollsAtCancel).toBeGreaterThanOrEqual(1);
		await sleep(3500); // three more polling intervals
		expect((await rig.stats()).grants.device_code ?? 0).toBe(pollsAtCancel);

		// The person signs in afterwards; the next run (stop) redeems the saved code.
		await rig.approveDeviceCode(prompt!.userCode, 'alice@contoso.test');
		const redeemed = await acquireDeviceCodeToken(settings, undefined, cancelled.pendingToStore, {});
		expect(redeemed.token.account?.username).toBe('alice@contoso.test');
	});

	it('wait: the sign-in timeout ends the wait with the code kept', async () => {
		await rig.reset();
		const timedOut = await pendingFrom(
			acquireDeviceCodeToken({ ...settings, signInMode: 'wait', signInTimeoutSeconds: 2 }, undefined, undefined, {}),
		);
		expect(timedOut.fix).toContain('Sign-In Timeout');
		expect(timedOut.pendingToStore).toContain('"deviceCode"');
	});

	it('a revoked refresh token leads to a new prompt saying why, then signs in again', async () => {
		const first = await pendingFrom(acquireDeviceCodeToken(settings, undefined, undefined, {}));
		await rig.approveDeviceCode(first.prompt.userCode, 'alice@contoso.test');
		const signedIn = await acquireDeviceCodeToken(settings, undefined, first.pendingToStore, {});
		await rig.revokeRefreshTokens('alice@contoso.test');
		const again = await pendingFrom(
			acquireDeviceCodeToken(settings, signedIn.cacheToStore, undefined, { forceRefresh: true }),
		);
		expect(again.prompt.reason).toBe('interaction-required');
		expect(again.message).toMatch(/^Sign-in needed again \(the saved sign-in is no longer accepted/);
		await rig.approveDeviceCode(again.prompt.userCode, 'alice@contoso.test');
		const back = await acquireDeviceCodeToken(settings, signedIn.cacheToStore, again.pendingToStore, {
			forceRefresh: true,
		});
		expect(back.token.account?.username).toBe('alice@contoso.test');
	});

	it('the account option: signing in as someone else is refused and nothing is kept', async () => {
		const first = await pendingFrom(
			acquireDeviceCodeToken({ ...settings, account: 'alice@contoso.test' }, undefined, undefined, {}),
		);
		expect(first.message).toContain('signing in as alice@contoso.test');
		await rig.approveDeviceCode(first.prompt.userCode, 'bob@contoso.test');
		const wrong = await acquireDeviceCodeToken(
			{ ...settings, account: 'alice@contoso.test' },
			undefined,
			first.pendingToStore,
			{},
		).catch((e: unknown) => e);
		expect(wrong).toBeInstanceOf(SignInPendingError); // a fresh code, with the reason first
		expect((wrong as Error).message).toMatch(
			/^The code was used to sign in as bob@contoso.test, but the credential \(or node\) asks for alice@contoso.test\./,
		);
	});

	it.each(['common', 'consumers'])(
		'tenant %s is refused before any request, explaining AADSTS90133',
		async (tenant) => {
			const error = await acquireDeviceCodeToken(
				{ ...settings, cloud: 'global', tenant, clientId: '00000000-0000-0000-0000-000000000001' },
				undefined,
				undefined,
				{},
			).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).message).toContain('AADSTS90133');
			expect((error as InvalidInputError).field).toBe('Tenant');
		},
	);

	it('public client flows turned off (AADSTS7000218) is explained', async () => {
		const first = await pendingFrom(acquireDeviceCodeToken(settings, undefined, undefined, {}));
		await rig.failNextTokenRequest({
			status: 401,
			error: 'invalid_client',
			error_description:
				"AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
			error_codes: [7000218],
		});
		const error = await acquireDeviceCodeToken(settings, undefined, first.pendingToStore, {}).catch((e: unknown) => e);
		expect(error).not.toBeInstanceOf(SignInFailedError);
		expect((error as Error).message).toContain('AADSTS7000218');
		expect((error as { fix: string }).fix).toContain('Allow public client flows');
	});
});
