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
import { acquireToken, graph, webhook } from '../e2e/support/workflows';
import { startQueueCluster, type QueueCluster } from './cluster';

type Ref = { id: string; name: string };

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
	const cred: Record<string, Ref> = {};
	const t0 = Date.now();

	beforeAll(async () => {
		rig = await startRig();
		cluster = await startQueueCluster({ packageTarball: packagedBuild(), env: rig.childEnv() });
		const n8n = cluster.n8n;
		const common = { cloud: 'custom', authorityUrl: rig.authority, scopes: rig.api.scope };
		const secret = {
			...common,
			clientId: rig.clients.secret.clientId,
			clientAuthentication: 'secret',
			clientSecret: rig.clients.secret.clientSecret,
		};
		const ids = await n8n.importCredentials([{ name: 'cc', type: 'msalClientCredentialsApi', data: secret }]);
		cred.cc = { id: ids[0], name: 'cc' };

		const wfId = await n8n.importWorkflow({
			...graph('cc', [webhook('cc'), acquireToken(cred.cc)], [['Webhook', 'Acquire Token']]),
			active: false,
		});
		await n8n.publishWorkflow(wfId);
		// Activation is read at start-up: restart main and workers with the workflow published.
		await cluster.restart();
	});

	afterAll(async () => {
		await cluster?.dispose();
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
		const stored = JSON.parse(String((await cluster.n8n.exportCredential(cred.cc.id)).data.tokenCache ?? ''));
		expect(JSON.stringify(stored)).toContain('"AccessToken"');
	});

	// Issue 10, part 1: not yet written (see the README's Queue mode section for strict rotation).
	it.todo(
		'device code, AT due for renewal every run: 40 concurrent + 20 across restarts, no new sign-in, usable refresh token',
	);
	it.todo('strict refresh-token rotation: concurrent renewals on two workers never lose the sign-in');
	it.todo("Sign Out on one worker is not undone by another worker's later write");
	it.todo('sign-in trigger served by main: the next execution on a worker is silent');
});
