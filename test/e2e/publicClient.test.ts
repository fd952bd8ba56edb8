/**
 * The public-client credential in a real n8n server: a person signs in in a (scripted) browser
 * through the link the node's error shows, served by the package's Microsoft Sign-In trigger in
 * a published workflow; the sign-in ends up in the credential record (read back decrypted) and
 * later executions are silent, on the server and in a new `n8n execute` process (served by the
 * record alone). Username/password only when turned on.
 * Broken sign-ins (state mismatch, consent declined, PKCE mismatch, replayed response,
 * unregistered redirect URI) end in a clear page and write nothing to the token cache.
 * The link itself, opened by anyone: beginning a sign-in writes nothing (the state carries it),
 * extras are honoured only from the node's signed links, and beginnings are rate limited.
 * The links' and states' key lives in the credential record (created when the trigger's workflow
 * is published, or by the first signed link); Sign Out replaces it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createN8n, freePort, type N8nInstance } from '../rig/n8n';
import { browse } from '../rig/publicClientBrowser';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from './support/packagedBuild';
import { chain, manualTrigger, MSAL_PACKAGE, signInTrigger, type WorkflowNode } from './support/workflows';

type Ref = { id: string; name: string };
const CREDENTIAL = 'msalPublicClientApi';

interface ExtraApis {
	secondApi: { resource: string; delegatedScopes: string[] };
}

/** n8n's HTTP Request node with the public-client credential (Predefined Credential Type). */
function httpWithCredential(url: string, credential: Ref): WorkflowNode {
	return {
		name: 'HTTP Request',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		parameters: { url, authentication: 'predefinedCredentialType', nodeCredentialType: CREDENTIAL, options: {} },
		credentials: { [CREDENTIAL]: credential },
	};
}

function acquireWithCredential(credential: Ref, scopes: string): WorkflowNode {
	return {
		name: 'Acquire Token',
		type: `${MSAL_PACKAGE}.msalAcquireToken`,
		typeVersion: 1,
		parameters: { authentication: 'publicClient', operation: 'getToken', scopes },
		credentials: { [CREDENTIAL]: credential },
	};
}

function signOutEveryone(credential: Ref): WorkflowNode {
	return {
		name: 'Sign Out',
		type: `${MSAL_PACKAGE}.msalAcquireToken`,
		typeVersion: 1,
		parameters: { authentication: 'publicClient', operation: 'signOut', signOutWhich: 'all' },
		credentials: { [CREDENTIAL]: credential },
	};
}

/** Whether the packed Acquire Token node offers this credential yet (wired separately). */
describe('public-client credential in real n8n', () => {
	let rig: Rig & ExtraApis;
	let n8n: N8nInstance;
	let port: number;
	let signInUrl: string;
	let floodUrl: string;
	const cred: Record<string, Ref> = {};
	const wf: Record<string, string> = {};
	const alice = { username: 'alice@contoso.test', password: 'Alice-Passw0rd!' };

	const exported = async (ref: Ref) => (await n8n.exportCredential(ref.id)).data;
	const tokenCache = async (ref: Ref) => String((await exported(ref)).tokenCache ?? '');
	const signInKey = async (ref: Ref) => String((await exported(ref)).signInKey ?? '');
	/** n8n 2.41 may register a published trigger just after the REST call returns (its publication outbox). */
	const signInKeyOncePublished = async (ref: Ref) => {
		for (let attempt = 0; attempt < 10; attempt++) {
			const key = await signInKey(ref);
			if (key) return key;
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		return '';
	};
	const refreshTokens = (cache: string) =>
		Object.values(JSON.parse(cache).msal.RefreshToken as Record<string, { secret: string }>).map((t) => t.secret);
	const idpRequests = async () => Object.values((await rig.stats()).requests).reduce((a, b) => a + b, 0);
	const linkIn = (message: string) => /Open (\S+) in a browser/.exec(message)?.[1];

	beforeAll(async () => {
		rig = (await startRig()) as Rig & ExtraApis;
		n8n = await createN8n({ packageTarball: packagedBuild(), env: rig.childEnv() });
		port = await freePort();
		signInUrl = `http://127.0.0.1:${port}/webhook/msal-sign-in`;
		floodUrl = `http://127.0.0.1:${port}/webhook/flood-sign-in`;
		const common = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.public.clientId,
			scopes: rig.api.delegatedScopes[0],
			// The nodes below also ask for the second API's permission: within the credential's boundary.
			allowedResources: rig.secondApi.resource,
			allowedAccounts: alice.username,
		};
		const definitions: Array<[string, Record<string, unknown>]> = [
			['main', { ...common, redirectUri: signInUrl }],
			['unregistered', { ...common, redirectUri: `http://127.0.0.1:${port}/webhook/unregistered-sign-in` }],
			// Nobody signs in with it: its link is opened by anonymous visitors only.
			['flood', { ...common, redirectUri: floodUrl }],
			// An editor's look-alike of "flood": same app, authority and redirect URI, another record.
			['lookAlike', { ...common, redirectUri: floodUrl }],
			// Its Redirect URI is another page: publishing its trigger says so, with the exact URL.
			['otherPage', { ...common, redirectUri: signInUrl }],
			[
				'passwordOff',
				{
					...common,
					redirectUri: signInUrl,
					usernameFlowEnabled: false,
					username: alice.username,
					password: alice.password,
				},
			],
			[
				'passwordOn',
				{
					...common,
					redirectUri: signInUrl,
					usernameFlowEnabled: true,
					username: alice.username,
					password: alice.password,
				},
			],
		];
		const ids = await n8n.importCredentials(definitions.map(([name, data]) => ({ name, type: CREDENTIAL, data })));
		definitions.forEach(([name], index) => (cred[name] = { id: ids[index], name }));

		const me = `${rig.api.baseUrl}/me`;
		const workflows: Array<[string, object]> = [
			['signIn', chain('signIn', [signInTrigger(cred.main, 'msal-sign-in')])],
			['signInUnregistered', chain('signInUnregistered', [signInTrigger(cred.unregistered, 'unregistered-sign-in')])],
			['signInFlood', chain('signInFlood', [signInTrigger(cred.flood, 'flood-sign-in')])],
			['signInOtherPage', chain('signInOtherPage', [signInTrigger(cred.otherPage, 'other-sign-in')])],
			[
				'floodSecondApi',
				chain('floodSecondApi', [manualTrigger(), acquireWithCredential(cred.flood, rig.secondApi.delegatedScopes[0])]),
			],
			[
				'lookAlikeSecondApi',
				chain('lookAlikeSecondApi', [
					manualTrigger(),
					acquireWithCredential(cred.lookAlike, rig.secondApi.delegatedScopes[0]),
				]),
			],
			['floodSignOut', chain('floodSignOut', [manualTrigger(), signOutEveryone(cred.flood)])],
			['use', chain('use', [manualTrigger(), httpWithCredential(me, cred.main)])],
			['passwordOff', chain('passwordOff', [manualTrigger(), httpWithCredential(me, cred.passwordOff)])],
			['passwordOn', chain('passwordOn', [manualTrigger(), httpWithCredential(me, cred.passwordOn)])],
			[
				'secondApi',
				chain('secondApi', [manualTrigger(), acquireWithCredential(cred.main, rig.secondApi.delegatedScopes[0])]),
			],
		];
		const workflowIds = await n8n.importWorkflows(workflows.map(([, w]) => w));
		workflows.forEach(([name], index) => (wf[name] = workflowIds[index]));
		await n8n.startServer({ port });
		for (const id of [wf.signIn, wf.signInUnregistered, wf.signInFlood]) await n8n.publishWorkflow(id);
	});

	afterAll(async () => {
		await rig?.settings({ accessTokenTtlSeconds: 3600 });
		await n8n?.dispose();
		await rig?.stop();
	});

	it("publishing a sign-in trigger whose credential's Redirect URI is another page fails with the exact URL and the Entra steps", async () => {
		const own = signInUrl.replace(/msal-sign-in$/, 'other-sign-in');
		// n8n before 2.41 answers the publish with the activation error. 2.41 activates after answering
		// (its publication outbox) and keeps the error as the trigger's publication status.
		let message = await n8n.publishWorkflow(wf.signInOtherPage).then(
			() => '',
			(error: unknown) => String(error),
		);
		const deadline = Date.now() + 60_000;
		while (!message && Date.now() < deadline) {
			const { data } = await n8n.rest<{ data: { triggers: Array<{ status: string; errorMessage: string | null }> } }>(
				'GET',
				`/rest/workflows/${wf.signInOtherPage}/publication-status`,
			);
			message = data.triggers.find((trigger) => trigger.status === 'failed')?.errorMessage ?? '';
			if (!message) await new Promise((done) => setTimeout(done, 250));
		}
		expect(message).toContain(`is not this sign-in page (${own})`);
		expect(message).toContain('Mobile and desktop applications');
		expect((await fetch(own)).status).toBe(404);
	});

	it("publishing a sign-in trigger's workflow creates its credential's sign-in key; no other record gets one", async () => {
		const keys: string[] = [];
		for (const ref of [cred.main, cred.unregistered, cred.flood]) keys.push(await signInKeyOncePublished(ref));
		for (const key of keys) expect(key).toMatch(/^v1\.1\.[\w-]{43}$/);
		expect(new Set(keys).size).toBe(3);
		for (const ref of [cred.lookAlike, cred.passwordOff, cred.passwordOn]) expect(await signInKey(ref)).toBe('');
	});

	it('before anyone signed in, the node fails with the sign-in link and asks nothing of the identity provider', async () => {
		await rig.reset();
		const run = await n8n.execute(wf.use);
		expect(run.status).toBe('error');
		const message = `${run.error?.message ?? ''} ${run.error?.description ?? ''}`;
		expect(message).toContain(`Open ${signInUrl} in a browser`);
		expect((await rig.stats()).requests.token).toBe(0);
	});

	it('a person opens the link, signs in at the provider, and the credential record holds the account and refresh token', async () => {
		const run = await n8n.execute(wf.use);
		const link = linkIn(`${run.error?.message ?? ''} ${run.error?.description ?? ''}`)!;
		// Issued with a 5-second lifetime, so the next execution must renew it (next test).
		await rig.settings({ accessTokenTtlSeconds: 5 });
		await rig.reset();
		const page = await browse(link, { idpOrigin: rig.authorityHost, user: alice });
		await rig.settings({ accessTokenTtlSeconds: 3600 });
		expect(page.visited[0].toString()).toBe(signInUrl);
		expect(page.visited[1].origin).toBe(rig.authorityHost);
		expect(page.url.origin + page.url.pathname).toBe(signInUrl);
		expect(page.status).toBe(200);
		expect(page.body).toContain('Signed in as Alice Example (alice@contoso.test)');
		const authorize = new URL(page.visited[1]);
		expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
		expect(authorize.searchParams.get('redirect_uri')).toBe(signInUrl);
		expect((await rig.stats()).tokenRequests).toEqual([
			expect.objectContaining({ grant: 'authorization_code', clientAuth: 'none', status: 200 }),
		]);

		const data = await exported(cred.main);
		const cache = JSON.parse(String(data.tokenCache));
		expect(Object.values(cache.msal.Account)).toEqual([expect.objectContaining({ username: alice.username })]);
		expect(Object.keys(cache.msal.RefreshToken)).toHaveLength(1);
		expect(data.pendingSignIns ?? '').toBe('');
		expect(n8n.logs()).not.toContain(refreshTokens(String(data.tokenCache))[0]);
	});

	it('after access-token expiry: exactly one refresh-token request, and the rotated refresh token is saved', async () => {
		const before = refreshTokens(await tokenCache(cred.main));
		await rig.reset();
		await rig.resetApi();
		const run = await n8n.execute(wf.use);
		expect(run.status).toBe('success');
		expect((await rig.stats()).grants).toMatchObject({ refresh_token: 1, authorization_code: 0 });
		expect(run.nodeOutput('HTTP Request')[0].json).toMatchObject({ preferred_username: alice.username });
		const after = refreshTokens(await tokenCache(cred.main));
		expect(after).toHaveLength(1);
		expect(after).not.toEqual(before);
	});

	it('the next executions are silent: no request to the identity provider', async () => {
		for (const execute of [n8n.execute, n8n.executeInNewProcess]) {
			await rig.reset();
			const run = await execute.call(n8n, wf.use);
			expect(run.status).toBe('success');
			expect(await idpRequests()).toBe(0);
		}
	});

	it('a token for a second API comes with 0 interactive steps (Acquire Token node)', async () => {
		await rig.reset();
		const run = await n8n.execute(wf.secondApi);
		expect(run.status).toBe('success');
		const [token] = run.nodeOutput('Acquire Token');
		const claims = JSON.parse(Buffer.from(String(token.json.accessToken).split('.')[1], 'base64url').toString());
		expect(claims).toMatchObject({ aud: rig.secondApi.resource, preferred_username: alice.username });
		expect((await rig.stats()).grants).toMatchObject({ refresh_token: 1, authorization_code: 0, password: 0 });
	});

	it('username and password: refused while turned off (the stored password is not sent)', async () => {
		await rig.reset();
		const run = await n8n.execute(wf.passwordOff);
		expect(run.status).toBe('error');
		const message = `${run.error?.message ?? ''} ${run.error?.description ?? ''}`;
		// n8n does not even hand the node the username and password while the toggle hides them.
		expect(message).toContain(
			`Sign-in needed: nobody has signed in to this credential yet. Open ${signInUrl} in a browser`,
		);
		expect(message).not.toContain(alice.password);
		expect((await rig.stats()).grants.password).toBe(0);
		expect(await tokenCache(cred.passwordOff)).toBe('');
	});

	it('username and password: works against the provider when turned on, and is kept', async () => {
		await rig.reset();
		const run = await n8n.execute(wf.passwordOn);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('HTTP Request')[0].json).toMatchObject({ preferred_username: alice.username });
		expect((await rig.stats()).grants.password).toBe(1);
		expect(await tokenCache(cred.passwordOn)).toContain('"RefreshToken"');
		await rig.reset();
		expect((await n8n.execute(wf.passwordOn)).status).toBe('success');
		expect((await rig.stats()).requests.token).toBe(0);
	});

	describe('broken sign-ins end in a clear page and write nothing to the token cache', () => {
		const get = async (url: string) => {
			const response = await fetch(url, { redirect: 'manual' });
			return { status: response.status, body: await response.text() };
		};
		const unchangedAfter = async (ref: Ref, action: () => Promise<void>) => {
			const before = await tokenCache(ref);
			await action();
			expect(await tokenCache(ref)).toBe(before);
		};

		it('state mismatch', async () => {
			await unchangedAfter(cred.main, async () => {
				await rig.reset();
				const page = await get(`${signInUrl}?code=some-code&state=forged-state`);
				expect(page.status).toBe(400);
				expect(page.body).toContain('state mismatch');
				expect((await rig.stats()).requests.token).toBe(0);
			});
		});

		it('consent declined', async () => {
			await unchangedAfter(cred.main, async () => {
				const page = await browse(signInUrl, { idpOrigin: rig.authorityHost, decline: true });
				expect(page.url.origin + page.url.pathname).toBe(signInUrl);
				expect(page.status).toBe(400);
				expect(page.body).toContain('Sign-in cancelled: the person declined the requested permissions');
			});
		});

		it('PKCE mismatch: the code of one sign-in with the state of another', async () => {
			await unchangedAfter(cred.main, async () => {
				const first = await browse(signInUrl, { idpOrigin: rig.authorityHost, user: alice, stopAtRedirectBack: true });
				const second = await browse(signInUrl, { idpOrigin: rig.authorityHost, user: alice, stopAtRedirectBack: true });
				const mixed = new URL(signInUrl);
				mixed.searchParams.set('code', second.url.searchParams.get('code')!);
				mixed.searchParams.set('state', first.url.searchParams.get('state')!);
				const page = await get(mixed.toString());
				expect(page.status).toBe(400);
				expect(page.body).toContain('AADSTS501481');
			});
		});

		it('a sign-in response used twice (reused code)', async () => {
			const response = await browse(signInUrl, { idpOrigin: rig.authorityHost, user: alice, stopAtRedirectBack: true });
			expect((await get(response.url.toString())).status).toBe(200);
			await unchangedAfter(cred.main, async () => {
				await rig.reset();
				const page = await get(response.url.toString());
				expect(page.status).toBe(400);
				expect(page.body).toContain('already used');
				expect((await rig.stats()).requests.token).toBe(0);
			});
		});

		it('a redirect URI not registered on the app', async () => {
			await unchangedAfter(cred.unregistered, async () => {
				const page = await browse(`http://127.0.0.1:${port}/webhook/unregistered-sign-in`, {
					idpOrigin: rig.authorityHost,
					user: alice,
				});
				expect(page.url.origin).toBe(rig.authorityHost);
				expect(page.status).toBe(400);
				expect(page.body).toContain('AADSTS50011');
			});
			expect(await tokenCache(cred.unregistered)).toBe('');
		});
	});

	describe('the sign-in link, opened by anyone', () => {
		const secondScope = () => rig.secondApi.delegatedScopes[0];
		/** Begins a sign-in as a browser would; the 302's Location is what the browser sends to the provider. */
		const begin = async (url: string | URL) => {
			const response = await fetch(url, { redirect: 'manual' });
			await response.text();
			const location = response.headers.get('location');
			return {
				status: response.status,
				retryAfter: response.headers.get('retry-after'),
				authorize: location ? new URL(location) : undefined,
			};
		};
		const scopesAsked = (authorize: URL | undefined) => (authorize?.searchParams.get('scope') ?? '').split(' ');

		it("a tampered or unsigned link does not widen consent; the node's own signed link does", async () => {
			const run = await n8n.execute(wf.floodSecondApi);
			expect(run.status).toBe('error');
			const genuine = new URL(linkIn(`${run.error?.message ?? ''} ${run.error?.description ?? ''}`)!);
			expect(genuine.searchParams.get('scopes')).toBe(secondScope());

			const wider = new URL(genuine);
			wider.searchParams.set('scopes', `${secondScope()} ${rig.api.delegatedScopes[0]}`);
			const unsigned = new URL(genuine);
			unsigned.searchParams.delete('sig');
			const hinted = new URL(floodUrl);
			hinted.searchParams.set('login_hint', 'mallory@contoso.test');
			hinted.searchParams.set('claims', Buffer.from('{"id_token":{"acr":{"essential":true}}}').toString('base64url'));
			for (const link of [wider, unsigned, hinted]) {
				const page = await begin(link);
				expect(page.status).toBe(302);
				// The credential's own scopes (MSAL adds openid, profile, offline_access), nothing else.
				expect(scopesAsked(page.authorize).sort()).toEqual(
					[rig.api.delegatedScopes[0], 'offline_access', 'openid', 'profile'].sort(),
				);
				expect(page.authorize?.searchParams.get('login_hint')).toBeNull();
				// MSAL's own claims (client capabilities) only, not the link's.
				expect(page.authorize?.searchParams.get('claims') ?? '').not.toContain('acr');
			}

			// Signed by the `n8n execute` process, checked by the server: one key per n8n instance.
			expect(genuine.searchParams.get('sig')).toMatch(/^[\w-]{43}$/);
			const honoured = await begin(genuine);
			expect(honoured.status).toBe(302);
			expect(scopesAsked(honoured.authorize)).toContain(secondScope());

			// What the provider received and granted, end to end: the person signs in through a
			// link that was tampered to ask for the second API, and is granted the credential's scopes only.
			const tampered = new URL(signInUrl);
			tampered.searchParams.set('scopes', secondScope());
			tampered.searchParams.set('sig', genuine.searchParams.get('sig')!);
			await rig.reset();
			const page = await browse(tampered.toString(), { idpOrigin: rig.authorityHost, user: alice });
			expect(page.status).toBe(200);
			expect(page.visited[1].searchParams.get('scope')).not.toContain(secondScope());
			expect(page.body).toContain(rig.api.delegatedScopes[0]);
			expect(page.body).not.toContain(secondScope());
		});

		it("a look-alike credential's signed link is not honoured by the other credential's trigger", async () => {
			expect(await signInKey(cred.lookAlike)).toBe('');
			const run = await n8n.execute(wf.lookAlikeSecondApi);
			expect(run.status).toBe('error');
			// Its first signed link created its own key (no trigger of its own was ever published).
			const created = await signInKey(cred.lookAlike);
			expect(created).toMatch(/^v1\.1\.[\w-]{43}$/);
			expect(created).not.toBe(await signInKey(cred.flood));
			expect(JSON.stringify(run.error ?? {})).not.toContain(created.split('.')[2]);
			const lookAlikeLink = new URL(linkIn(`${run.error?.message ?? ''} ${run.error?.description ?? ''}`)!);
			// It points at "flood"'s trigger (the same redirect URI), signed for the look-alike record.
			expect(lookAlikeLink.origin + lookAlikeLink.pathname).toBe(floodUrl);
			expect(lookAlikeLink.searchParams.get('scopes')).toBe(secondScope());
			expect(lookAlikeLink.searchParams.get('sig')).toMatch(/^[\w-]{43}$/);
			const page = await begin(lookAlikeLink);
			expect(page.status).toBe(302);
			expect(scopesAsked(page.authorize).sort()).toEqual(
				[rig.api.delegatedScopes[0], 'offline_access', 'openid', 'profile'].sort(),
			);
			expect(n8n.logs()).toContain('is not one a node generated for this credential');
		});

		it('Sign Out replaces the key: a link and a sign-in begun before it are refused with a clear page; new links work', async () => {
			const run = await n8n.execute(wf.floodSecondApi);
			const before = new URL(linkIn(`${run.error?.message ?? ''} ${run.error?.description ?? ''}`)!);
			const begun = await begin(floodUrl);
			expect(begun.status).toBe(302);
			const keyBefore = await signInKey(cred.flood);

			expect((await n8n.execute(wf.floodSignOut)).status).toBe('success');
			const keyAfter = await signInKey(cred.flood);
			expect(keyAfter).toMatch(/^v1\.2\.[\w-]{43}\.[\w-]{43}$/);
			expect(keyAfter.split('.')[2]).not.toBe(keyBefore.split('.')[2]);

			await rig.reset();
			const stale = await fetch(before, { redirect: 'manual' });
			expect(stale.status).toBe(400);
			expect(await stale.text()).toContain(
				'This sign-in link no longer works: the credential was signed out after the link was made',
			);
			const inFlight = new URL(floodUrl);
			inFlight.searchParams.set('code', 'some-code');
			inFlight.searchParams.set('state', begun.authorize!.searchParams.get('state')!);
			const late = await fetch(inFlight, { redirect: 'manual' });
			expect(late.status).toBe(400);
			expect(await late.text()).toContain('sign-in key was replaced (someone signed the credential out since)');
			expect((await rig.stats()).requests.token ?? 0).toBe(0);

			const again = await n8n.execute(wf.floodSecondApi);
			const fresh = new URL(linkIn(`${again.error?.message ?? ''} ${again.error?.description ?? ''}`)!);
			expect(fresh.searchParams.get('sig')).not.toBe(before.searchParams.get('sig'));
			const honoured = await begin(fresh);
			expect(honoured.status).toBe(302);
			expect(scopesAsked(honoured.authorize)).toContain(secondScope());
			expect(await signInKey(cred.flood)).toBe(keyAfter);
		});

		it('a completed sign-in survives 20 sign-ins begun around it; the next execution is silent', async () => {
			const stored = await tokenCache(cred.main);
			const before = stored ? refreshTokens(stored) : [];
			const response = await browse(signInUrl, { idpOrigin: rig.authorityHost, user: alice, stopAtRedirectBack: true });
			const statuses: number[] = [];
			for (let i = 0; i < 10; i++) statuses.push((await begin(signInUrl)).status);
			const [completed, ...around] = await Promise.all([
				fetch(response.url, { redirect: 'manual' }).then(async (r) => ({ status: r.status, body: await r.text() })),
				...Array.from({ length: 10 }, async () => (await begin(signInUrl)).status),
			]);
			statuses.push(...(around as number[]));
			expect(statuses).toEqual(Array(20).fill(302));
			expect(completed).toMatchObject({ status: 200, body: expect.stringContaining('Signed in as Alice Example') });

			const after = refreshTokens(await tokenCache(cred.main));
			expect(after).toHaveLength(1);
			expect(after).not.toEqual(before);
			await rig.reset();
			const run = await n8n.execute(wf.use);
			expect(run.status).toBe('success');
			expect(await idpRequests()).toBe(0);
			expect(refreshTokens(await tokenCache(cred.main))).toEqual(after);
		});

		it('a sign-in begun before n8n restarts completes after it (the state key comes from the credential record)', async () => {
			const response = await browse(signInUrl, { idpOrigin: rig.authorityHost, user: alice, stopAtRedirectBack: true });
			await n8n.stopServer();
			await n8n.startServer({ port });
			const completed = await fetch(response.url, { redirect: 'manual' });
			expect(completed.status).toBe(200);
			expect(await completed.text()).toContain('Signed in as Alice Example');
		});

		it('50 anonymous requests for the link leave the credential record byte-identical', async () => {
			const before = JSON.stringify(await n8n.exportCredential(cred.flood.id));
			const statuses = await Promise.all(Array.from({ length: 50 }, async () => (await begin(floodUrl)).status));
			// Sign-ins were begun (302) until the rate limit answered (429).
			expect(statuses.filter((s) => s === 302).length).toBeGreaterThanOrEqual(20);
			expect(statuses.every((s) => s === 302 || s === 429)).toBe(true);
			expect(JSON.stringify(await n8n.exportCredential(cred.flood.id))).toBe(before);
		});

		it('beyond 30 sign-ins a minute per credential: 429 with Retry-After and a clear page', async () => {
			let limited: Response | undefined;
			for (let i = 0; i < 40 && !limited; i++) {
				const response = await fetch(floodUrl, { redirect: 'manual' });
				if (response.status === 429) limited = response;
				else await response.text();
			}
			expect(limited).toBeDefined();
			expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
			expect(Number(limited!.headers.get('retry-after'))).toBeLessThanOrEqual(60);
			expect(await limited!.text()).toContain('Too many sign-ins were started with this link');
			// Another credential's link is not affected.
			expect((await begin(signInUrl)).status).toBe(302);
		});
	});

	it('nothing secret in the logs', async () => {
		const logs = n8n.logs();
		for (const ref of [cred.main, cred.flood, cred.lookAlike]) {
			for (const secret of (await signInKey(ref)).split('.').slice(2)) expect(logs).not.toContain(secret);
		}
		expect(logs).not.toContain(alice.password);
		expect(logs).not.toMatch(/"verifier"/);
	});
});
