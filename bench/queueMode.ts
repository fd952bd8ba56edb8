/**
 * `npm run bench:queue` (bench/run.sh packs first): throughput of Call API executions in
 * queue mode — one main, two workers, PostgreSQL and Redis (test/queue/cluster.ts) — against a
 * warm cache, beside n8n's own HTTP Request node with n8n's OAuth2 credential (client credentials
 * grant) in the same cluster and run. Each execution is one production-webhook request with one
 * item, answered when the worker finishes; EXECUTIONS per side, IN_FLIGHT at a time, in
 * alternating halves so that neither side gets the warmer machine. Token requests are counted at
 * the identity provider during the measured runs (target for ours: 0).
 */
import { startQueueCluster, type QueueCluster } from '../test/queue/cluster';
import { callApi, graph, webhook, type WorkflowNode } from '../test/e2e/support/workflows';
import { startRig, type Rig } from '../test/rig/rig';
import { check, fmt, FunctionalFailure } from './measure';

const EXECUTIONS = 1000;
const IN_FLIGHT = 20;

/** Sends `count` webhook requests, `IN_FLIGHT` at a time; returns the milliseconds taken. */
async function drive(baseUrl: string, path: string, count: number): Promise<number> {
	let next = 0;
	let failures = 0;
	const started = performance.now();
	await Promise.all(
		Array.from({ length: IN_FLIGHT }, async () => {
			while (next < count) {
				next++;
				const response = await fetch(`${baseUrl}/webhook/${path}`, { method: 'POST', body: '{}' });
				const text = await response.text();
				if (response.status !== 200 || !text.includes('"sub"')) failures++;
			}
		}),
	);
	const elapsed = performance.now() - started;
	check(failures === 0, `${failures} of ${count} executions through /webhook/${path} failed`);
	return elapsed;
}

async function main(): Promise<void> {
	const packageTarball = process.env.MSAL_PACKAGE_TARBALL;
	if (!packageTarball) throw new Error('MSAL_PACKAGE_TARBALL is not set: run `npm run bench:queue`.');
	let rig: Rig | undefined;
	let cluster: QueueCluster | undefined;
	try {
		rig = await startRig({ reuse: false });
		cluster = await startQueueCluster({ packageTarball, env: rig.childEnv() });
		const n8n = cluster.n8n;
		const secret = rig.clients.secret;
		const [ours, theirs] = await n8n.importCredentials([
			{
				name: 'msal',
				type: 'msalClientCredentialsApi',
				data: {
					cloud: 'custom',
					authorityUrl: rig.authority,
					clientId: secret.clientId,
					clientAuthentication: 'secret',
					clientSecret: secret.clientSecret,
					scopes: rig.api.scope,
				},
			},
			{
				name: 'oauth2',
				type: 'oAuth2Api',
				data: {
					grantType: 'clientCredentials',
					accessTokenUrl: rig.tokenEndpoint,
					clientId: secret.clientId,
					clientSecret: secret.clientSecret,
					scope: rig.api.scope,
					authentication: 'body',
				},
			},
		]);
		const url = `${rig.api.baseUrl}/me`;
		const httpNode: WorkflowNode = {
			name: 'HTTP Request',
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			parameters: { url, authentication: 'genericCredentialType', genericAuthType: 'oAuth2Api', options: {} },
			credentials: { oAuth2Api: { id: theirs, name: 'oauth2' } },
		};
		const workflows = [
			graph('queue-msal', [webhook('msal'), callApi({ id: ours, name: 'msal' }, { url })], [['Webhook', 'Call API']]),
			graph('queue-oauth2', [webhook('oauth2'), httpNode], [['Webhook', 'HTTP Request']]),
		];
		for (const workflow of workflows)
			await n8n.publishWorkflow(await n8n.importWorkflow({ ...workflow, active: false }));
		await cluster.restart();

		// Warm: each side gets its token once (and n8n loads both workflows on both workers).
		await drive(cluster.baseUrl, 'msal', 2 * IN_FLIGHT);
		await drive(cluster.baseUrl, 'oauth2', 2 * IN_FLIGHT);
		await rig.reset();

		const half = EXECUTIONS / 2;
		let oursMs = await drive(cluster.baseUrl, 'msal', half);
		const oursTokenRequests = (await rig.stats()).tokenRequests.length;
		await rig.reset();
		let theirsMs = await drive(cluster.baseUrl, 'oauth2', half);
		theirsMs += await drive(cluster.baseUrl, 'oauth2', half);
		const theirsTokenRequests = (await rig.stats()).tokenRequests.length;
		await rig.reset();
		oursMs += await drive(cluster.baseUrl, 'msal', half);
		const oursTokenRequestsTotal = oursTokenRequests + (await rig.stats()).tokenRequests.length;
		const ran = cluster.workers.filter((w) => /started execution/i.test(w.log)).length;

		const perSecond = (ms: number) => (EXECUTIONS * 1000) / ms;
		console.log(
			`\nqueue mode: 1 main + 2 workers (PostgreSQL, Redis), ${EXECUTIONS.toLocaleString('en')} webhook executions per side, one item each, ${IN_FLIGHT} in flight`,
		);
		console.log(`    workers that ran executions: ${ran} of ${cluster.workers.length}`);
		console.log(
			`    Call API (MSAL credential):           ${fmt(perSecond(oursMs))} executions/s, token requests: ${oursTokenRequestsTotal}`,
		);
		console.log(
			`    HTTP Request + n8n OAuth2 credential: ${fmt(perSecond(theirsMs))} executions/s, token requests: ${theirsTokenRequests}`,
		);
		console.log(`    ratio (ours / theirs, throughput):    ${fmt(perSecond(oursMs) / perSecond(theirsMs))}×`);
		check(oursTokenRequestsTotal === 0, `Call API made ${oursTokenRequestsTotal} token requests against a warm cache`);
		check(ran === cluster.workers.length, `only ${ran} worker(s) ran executions`);
	} finally {
		await cluster?.dispose();
		await rig?.stop();
	}
}

main().catch((error: unknown) => {
	console.error(error instanceof FunctionalFailure ? `FAILED: ${error.message}` : error);
	process.exit(1);
});
