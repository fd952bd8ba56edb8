/**
 * Queue mode on real services: PostgreSQL and Redis (Debian's packages, started by
 * test/queue/services.ts), one `n8n start` main and two `n8n worker` processes with the
 * packed package installed as users install it. Executions enter through a production
 * webhook, many at once, so both workers run them concurrently. One cluster serves every
 * scenario of this file; each scenario has its own credential.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from '../e2e/support/packagedBuild';
import { browse } from '../rig/publicClientBrowser';
import { acquireToken, graph, MSAL_PACKAGE, signInTrigger, webhook, type WorkflowNode } from '../e2e/support/workflows';
import { startQueueCluster, type QueueCluster } from './cluster';
import { startRedisCluster, type RedisCluster } from './services';
import { freePort } from '../rig/n8n';

type Ref = { id: string; name: string };
type SecondApi = { secondApi: { resource: string; delegatedScopes: string[] } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const alice = { username: 'alice@contoso.test', password: 'Alice-Passw0rd!' };

function acquireAs(credentialType: string, authentication: string, credential: Ref, parameters = {}): WorkflowNode {
	return {
		name: 'Acquire Token',
		type: `${MSAL_PACKAGE}.msalAcquireToken`,
		typeVersion: 1,
		parameters: { authentication, operation: 'getToken', ...parameters },
		credentials: { [credentialType]: credential },
	};
}

const deviceCode = (credential: Ref, parameters = {}) =>
	acquireAs('msalDeviceCodeApi', 'deviceCode', credential, parameters);

/** A published workflow: production webhook `path` → `node`, answering with the node's output. */
const served = (path: string, node: WorkflowNode) => graph(path, [webhook(path), node], [['Webhook', node.name]]);

/** Posts `count` requests at once to a production webhook; returns the HTTP statuses. */
async function fire(baseUrl: string, path: string, count: number): Promise<number[]> {
	return await Promise.all(
		Array.from({ length: count }, async (_, i) => {
			const res = await fetch(`${baseUrl}/webhook/${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ i }),
			});
			await res.text();
			return res.status;
		}),
	);
}

/** Workers that logged running at least one execution (n8n's worker logs "started execution"). */
function workersThatRan(cluster: QueueCluster): string[] {
	return cluster.workers.filter((w) => /started execution/i.test(w.log)).map((w) => w.name);
}

describe('queue mode: one main, two workers, PostgreSQL and Redis', () => {
	let rig: Rig;
	let cluster: QueueCluster;
	let redisCluster: RedisCluster | undefined;
	let signInUrl: string;
	let raceSignInUrl: string;
	let raceTrigger: string;
	const cred: Record<string, Ref> = {};
	const t0 = Date.now();

	/** The credential's stored data, decrypted by n8n's CLI from PostgreSQL. */
	const stored = async (ref: Ref) => (await cluster.n8n.exportCredential(ref.id)).data;
	const msalCache = async (ref: Ref) => {
		const cache = String((await stored(ref)).tokenCache ?? '');
		return cache ? (JSON.parse(cache).msal as Record<string, Record<string, { username?: string }>>) : {};
	};
	const count = async (what: 'grants' | 'requests', name: string) => (await rig.stats())[what][name] ?? 0;

	/** First run stops with a device code (saved in the record); the person approves; the next run signs in. */
	async function signInWithDeviceCode(ref: Ref, path: string): Promise<void> {
		expect(await fire(cluster.baseUrl, path, 1)).not.toEqual([200]);
		const pending = JSON.parse(String((await stored(ref)).pendingSignIn)) as { userCode: string };
		await rig.approveDeviceCode(pending.userCode, alice.username);
		expect(await fire(cluster.baseUrl, path, 1)).toEqual([200]);
	}

	beforeAll(async () => {
		rig = await startRig();
		const port = await freePort();
		signInUrl = `http://127.0.0.1:${port}/webhook/msal-sign-in`;
		raceSignInUrl = `http://127.0.0.1:${port}/webhook/race-sign-in`;
		cluster = await startQueueCluster({ packageTarball: packagedBuild(), env: rig.childEnv(), port });
		const n8n = cluster.n8n;
		const common = { cloud: 'custom', authorityUrl: rig.authority, scopes: rig.api.scope };
		const secret = {
			...common,
			clientId: rig.clients.secret.clientId,
			clientAuthentication: 'secret',
			clientSecret: rig.clients.secret.clientSecret,
		};
		const person = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			clientId: rig.clients.public.clientId,
			scopes: rig.api.delegatedScopes[0],
			allowedAccounts: alice.username,
		};
		const definitions: Array<[string, string, Record<string, unknown>]> = [
			['cc', 'msalClientCredentialsApi', secret],
			['renewing', 'msalDeviceCodeApi', person],
			['strict', 'msalDeviceCodeApi', person],
			['uncoordinated', 'msalDeviceCodeApi', person],
			['signOut', 'msalDeviceCodeApi', person],
			['strictOnCluster', 'msalDeviceCodeApi', person],
			['browser', 'msalPublicClientApi', { ...person, redirectUri: signInUrl }],
			// No sign-in key yet: its trigger is published only after the race below.
			[
				'keyRace',
				'msalPublicClientApi',
				{ ...person, redirectUri: raceSignInUrl, allowedResources: (rig as Rig & SecondApi).secondApi.resource },
			],
		];
		const ids = await n8n.importCredentials(definitions.map(([name, type, data]) => ({ name, type, data })));
		definitions.forEach(([name], index) => (cred[name] = { id: ids[index], name }));

		const workflows = [
			served('cc', acquireToken(cred.cc)),
			served('renewing', deviceCode(cred.renewing)),
			served('strict', deviceCode(cred.strict)),
			served('uncoordinated', deviceCode(cred.uncoordinated)),
			served('so-use', deviceCode(cred.signOut)),
			served('so-out', deviceCode(cred.signOut, { operation: 'signOut', signOutWhich: 'all' })),
			served('strict-cluster', deviceCode(cred.strictOnCluster)),
			served('browser-use', acquireAs('msalPublicClientApi', 'publicClient', cred.browser)),
			graph('sign-in', [signInTrigger(cred.browser, 'msal-sign-in')], []),
			served('key-race', {
				...acquireAs('msalPublicClientApi', 'publicClient', cred.keyRace, {
					scopes: (rig as Rig & SecondApi).secondApi.delegatedScopes[0],
				}),
				onError: 'continueRegularOutput',
			}),
		];
		// Activated through the running main's REST API, which registers the webhooks at once.
		for (const id of await n8n.importWorkflows(workflows.map((workflow) => ({ ...workflow, active: false }))))
			await n8n.publishWorkflow(id);
		[raceTrigger] = await n8n.importWorkflows([
			{ ...graph('race-sign-in', [signInTrigger(cred.keyRace, 'race-sign-in')], []), active: false },
		]);
	});

	afterAll(async () => {
		await rig?.settings({ accessTokenTtlSeconds: 3600, strictRefreshTokenRotation: false });
		await cluster?.dispose();
		await redisCluster?.stop();
		await rig?.stop();
		process.stderr.write(`[queue] suite took ${Math.round((Date.now() - t0) / 1000)} s\n`);
	});

	it('client credentials, cold cache, 40 concurrent executions: all succeed, at most one token request per worker', async () => {
		const before = (await rig.stats()).grants.client_credentials ?? 0;
		const statuses = await fire(cluster.baseUrl, 'cc', 40);
		expect(statuses.filter((s) => s !== 200)).toEqual([]);
		const tokenRequests = ((await rig.stats()).grants.client_credentials ?? 0) - before;
		process.stderr.write(
			`[queue] client credentials: ${tokenRequests} token request(s) for 40 executions on 2 workers\n`,
		);
		expect(tokenRequests).toBeGreaterThanOrEqual(1);
		expect(tokenRequests).toBeLessThanOrEqual(2);
		expect(workersThatRan(cluster).sort()).toEqual(['worker1', 'worker2']);
		expect(Object.keys((await msalCache(cred.cc)).AccessToken ?? {})).toHaveLength(1);
	});

	/** `rounds` rounds of `perRound` concurrent runs; the statuses of all. */
	async function fireRounds(path: string, perRound: number, rounds = 1, between?: () => Promise<void>) {
		const statuses: number[] = [];
		for (let round = 0; round < rounds; round++) {
			if (round > 0) await between?.();
			statuses.push(...(await fire(cluster.baseUrl, path, perRound)));
		}
		return statuses;
	}

	it('device code, access token due for renewal in every run: 40 concurrent, then 20 across restarts; no new sign-in, a usable refresh token at the end', async () => {
		await rig.setAccessTokenTtl(5); // inside MSAL's 5-minute renewal window as soon as it is issued
		await signInWithDeviceCode(cred.renewing, 'renewing');
		const codesBefore = await count('requests', 'devicecode');
		const renewalsBefore = await count('grants', 'refresh_token');

		const concurrent = await fire(cluster.baseUrl, 'renewing', 40);
		await cluster.restart();
		const acrossRestarts = await fireRounds('renewing', 10, 2, async () => await cluster.restart());

		const renewals = (await count('grants', 'refresh_token')) - renewalsBefore;
		process.stderr.write(`[queue] device code: ${renewals} refresh-token redemptions for 60 executions\n`);
		expect([...concurrent, ...acrossRestarts].filter((s) => s !== 200)).toEqual([]);
		expect(renewals).toBeGreaterThanOrEqual(3);
		expect((await count('requests', 'devicecode')) - codesBefore).toBe(0);
		const cache = await msalCache(cred.renewing);
		expect(Object.values(cache.Account ?? {}).map((a) => a.username)).toEqual([alice.username]);
		expect(Object.keys(cache.RefreshToken ?? {})).toHaveLength(1);
		expect(await fire(cluster.baseUrl, 'renewing', 1)).toEqual([200]);
	});

	describe('strict refresh-token rotation (a refresh token redeemed twice revokes the sign-in)', () => {
		beforeAll(async () => await rig.settings({ strictRefreshTokenRotation: true, accessTokenTtlSeconds: 5 }));
		afterAll(async () => await rig.settings({ strictRefreshTokenRotation: false }));

		it('40 concurrent renewals over two workers never lose the sign-in', async () => {
			await signInWithDeviceCode(cred.strict, 'strict');
			const codesBefore = await count('requests', 'devicecode');
			const statuses = await fire(cluster.baseUrl, 'strict', 40);
			expect(statuses.filter((s) => s !== 200)).toEqual([]);
			expect((await count('requests', 'devicecode')) - codesBefore).toBe(0);
			expect(await fire(cluster.baseUrl, 'strict', 1)).toEqual([200]);
		});

		it('the same with coordination turned off loses the sign-in: what the coordination prevents', async () => {
			await signInWithDeviceCode(cred.uncoordinated, 'uncoordinated');
			await cluster.stopWorkers();
			await cluster.startWorkers({ N8N_MSAL_RENEWAL_COORDINATION: 'off' });
			try {
				const statuses = await fire(cluster.baseUrl, 'uncoordinated', 40);
				process.stderr.write(
					`[queue] strict rotation without coordination: ${statuses.filter((s) => s !== 200).length} of 40 failed\n`,
				);
				expect(statuses.filter((s) => s !== 200).length).toBeGreaterThan(0);
			} finally {
				await cluster.stopWorkers();
				await cluster.startWorkers();
			}
		});
	});

	it("Sign Out on one worker is not undone by another worker's renewals in flight", async () => {
		await rig.setAccessTokenTtl(5);
		await signInWithDeviceCode(cred.signOut, 'so-use');
		// Renewals that take a while, sent in waves around the Sign Out: some read the record
		// before the Sign Out is saved and would write the account back after it.
		await rig.settings({ refreshTokenLatencyMs: 300 });
		try {
			const waves = [0, 1, 2, 3, 4, 5].map(async (wave) => {
				await sleep(wave * 400);
				return await fire(cluster.baseUrl, 'so-use', 6);
			});
			await sleep(500);
			expect(await fire(cluster.baseUrl, 'so-out', 1)).toEqual([200]);
			await Promise.all(waves);
		} finally {
			await rig.settings({ refreshTokenLatencyMs: 0 });
		}

		const cache = await msalCache(cred.signOut);
		expect(Object.keys(cache.Account ?? {})).toEqual([]);
		expect(Object.keys(cache.RefreshToken ?? {})).toEqual([]);
		expect(await fire(cluster.baseUrl, 'so-use', 1)).not.toEqual([200]);
	});

	it('a browser sign-in served by the main instance: the workers use it at once, without a token request', async () => {
		await rig.setAccessTokenTtl(3600);
		const page = await browse(signInUrl, { idpOrigin: rig.authorityHost, user: alice });
		expect(page.url.origin + page.url.pathname).toBe(signInUrl);
		expect(Object.keys((await msalCache(cred.browser)).RefreshToken ?? {})).toHaveLength(1);

		const tokenRequests = async () => (await rig.stats()).requests.token ?? 0;
		const before = await tokenRequests();
		const statuses = await fire(cluster.baseUrl, 'browser-use', 20);
		expect(statuses.filter((s) => s !== 200)).toEqual([]);
		expect((await tokenRequests()) - before).toBe(0);
	});

	it("two workers creating a credential's sign-in key at once: one key in the record, every link signed with it", async () => {
		expect((await stored(cred.keyRace)).signInKey ?? '').toBe('');
		const secondScope = (rig as Rig & SecondApi).secondApi.delegatedScopes[0];
		const answers = await Promise.all(
			Array.from({ length: 12 }, async (_, i) => {
				const res = await fetch(`${cluster.baseUrl}/webhook/key-race`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ i }),
				});
				return (await res.json()) as { error?: string };
			}),
		);
		expect(workersThatRan(cluster).sort()).toEqual(['worker1', 'worker2']);
		const links = answers.map((answer) => new URL(/Open (\S+) in a browser/.exec(answer.error ?? '')![1]));
		const key = String((await stored(cred.keyRace)).signInKey);
		expect(key).toMatch(/^v1\.1\.[\w-]{43}$/);
		// Publishing the trigger keeps the key the executions created.
		await cluster.n8n.publishWorkflow(raceTrigger);
		expect(String((await stored(cred.keyRace)).signInKey)).toBe(key);
		for (const link of links) {
			expect(link.searchParams.get('scopes')).toBe(secondScope);
			const res = await fetch(link, { redirect: 'manual' });
			await res.text();
			expect(res.status).toBe(302);
			expect(new URL(res.headers.get('location')!).searchParams.get('scope')).toContain(secondScope);
		}
		expect(cluster.n8n.logs()).not.toContain('is not one a node generated for this credential');
	});

	// Last: it moves main and workers to the Redis cluster for the rest of the file.
	describe('on a Redis cluster (QUEUE_BULL_REDIS_CLUSTER_NODES, three primaries on loopback)', () => {
		beforeAll(async () => {
			const started = Date.now();
			redisCluster = await startRedisCluster(3);
			// n8n puts its Bull prefix in a hash tag itself on a cluster ({bull}); nothing else to set.
			await cluster.restart({
				...redisCluster.n8nEnv(),
				QUEUE_BULL_REDIS_HOST: undefined,
				QUEUE_BULL_REDIS_PORT: undefined,
			});
			process.stderr.write(
				`[queue] Redis cluster started, n8n moved to it: ${Math.round((Date.now() - started) / 1000)} s\n`,
			);
			await rig.settings({ strictRefreshTokenRotation: true, accessTokenTtlSeconds: 5 });
		});
		afterAll(async () => await rig.settings({ strictRefreshTokenRotation: false }));

		it('strict rotation: 40 concurrent renewals over two workers never lose the sign-in', async () => {
			await signInWithDeviceCode(cred.strictOnCluster, 'strict-cluster');
			const codesBefore = await count('requests', 'devicecode');
			const renewalsBefore = await count('grants', 'refresh_token');
			const statuses = await fire(cluster.baseUrl, 'strict-cluster', 40);
			process.stderr.write(
				`[queue] Redis cluster, strict rotation: ${statuses.filter((s) => s !== 200).length} of 40 failed, ${(await count('grants', 'refresh_token')) - renewalsBefore} redemptions\n`,
			);
			expect(statuses.filter((s) => s !== 200)).toEqual([]);
			expect(workersThatRan(cluster).sort()).toEqual(['worker1', 'worker2']);
			expect((await count('requests', 'devicecode')) - codesBefore).toBe(0);
			expect(await fire(cluster.baseUrl, 'strict-cluster', 1)).toEqual([200]);
			for (const w of cluster.workers) expect(w.log).not.toMatch(/Renewals? (are )?not coordinated/);
		});
	});
});
