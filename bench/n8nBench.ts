/**
 * (b) 1,000 items through Acquire Token in real n8n: token requests made and the node's time
 *     per item (runData executionTime / 1000).
 * (c) 1,000 GETs against the protected API in real n8n: the Call API node vs n8n's own HTTP
 *     Request node (Predefined Credential Type, our credential) vs plain fetch with a fixed
 *     token at the same concurrency (1, 5 and 10), run in this process. The rig's API caches
 *     verified tokens by their string, so it is not the bottleneck and the ratio measures clients.
 * (d) 1,000 GETs at 20 ms of API latency, Call API with and without Batch Requests, same
 *     concurrency: time and HTTP requests the API received.
 */
import type { ExecutionResult, N8nInstance } from '../test/rig/n8n';
import type { Rig } from '../test/rig/rig';
import {
	acquireToken,
	callApi,
	graph,
	httpWithPredefinedCredential,
	itemsNode,
	manualTrigger,
} from '../test/e2e/support/workflows';
import { check, median, withConcurrency } from './measure';
import { secretClientCredentialData } from '../test/rig/credentialData';

export const ITEMS = 1000;
const RUNS = 3;

type Ref = { id: string; name: string };

function nodeMs(run: ExecutionResult, node: string): number {
	const runs = run.raw?.data?.resultData?.runData?.[node] as Array<{ executionTime?: number }> | undefined;
	const ms = runs?.[runs.length - 1]?.executionTime;
	check(typeof ms === 'number', `no executionTime for node "${node}"`);
	return ms;
}

function assertRun(run: ExecutionResult, what: string): void {
	check(
		run.status === 'success',
		`${what}: execution failed: ${run.error?.message ?? '(no message)'} ${run.error?.description ?? ''}`,
	);
}

async function credential(n8n: N8nInstance, rig: Rig, names: string[]): Promise<Ref[]> {
	const data = secretClientCredentialData(rig);
	const ids = await n8n.importCredentials(names.map((name) => ({ name, type: 'msalClientCredentialsApi', data })));
	return ids.map((id, i) => ({ id, name: names[i] }));
}

export interface AcquireResult {
	tokenRequestsFirst: number;
	msPerItemFirst: number;
	tokenRequestsSecond: number;
	msPerItemSecond: number;
}

export async function benchAcquireToken(n8n: N8nInstance, rig: Rig): Promise<AcquireResult> {
	const [cred] = await credential(n8n, rig, ['bench acquire']);
	const id = await n8n.importWorkflow(
		graph(
			'bench acquire',
			[manualTrigger(), itemsNode(ITEMS), acquireToken(cred)],
			[
				['Start', 'Items'],
				['Items', 'Acquire Token'],
			],
		),
	);
	const once = async () => {
		await rig.reset();
		const run = await n8n.executeInNewProcess(id);
		assertRun(run, 'Acquire Token ×1000');
		check(run.nodeOutput('Acquire Token').length === ITEMS, 'Acquire Token did not output 1,000 items');
		return {
			tokenRequests: (await rig.stats()).grants.client_credentials ?? 0,
			msPerItem: nodeMs(run, 'Acquire Token') / ITEMS,
		};
	};
	const first = await once(); // empty cache in the credential
	const second = await once(); // cache stored by the first run
	return {
		tokenRequestsFirst: first.tokenRequests,
		msPerItemFirst: first.msPerItem,
		tokenRequestsSecond: second.tokenRequests,
		msPerItemSecond: second.msPerItem,
	};
}

export interface CallResult {
	callApiMs: number[];
	callApi10Ms: number[];
	callApi1Ms: number[];
	httpNodeMs: number[];
	fetch5Ms: number[];
	fetch10Ms: number[];
	fetch1Ms: number[];
	tokenRequests: number[];
}

export async function benchCalls(n8n: N8nInstance, rig: Rig): Promise<CallResult> {
	const [cred] = await credential(n8n, rig, ['bench calls']);
	const url = `${rig.api.baseUrl}/me`;
	const id = await n8n.importWorkflow(
		graph(
			'bench calls',
			[
				manualTrigger(),
				itemsNode(ITEMS),
				callApi(cred, { url }, 'Call API'),
				callApi(cred, { url, options: { concurrency: 10 } }, 'Call API c10'),
				callApi(cred, { url, options: { concurrency: 1 } }, 'Call API c1'),
				httpWithPredefinedCredential(url, cred, 'HTTP Request'),
			],
			[
				['Start', 'Items'],
				['Items', 'Call API'],
				['Items', 'Call API c10'],
				['Items', 'Call API c1'],
				['Items', 'HTTP Request'],
			],
		),
	);
	const result: CallResult = {
		callApiMs: [],
		callApi10Ms: [],
		callApi1Ms: [],
		httpNodeMs: [],
		fetch5Ms: [],
		fetch10Ms: [],
		fetch1Ms: [],
		tokenRequests: [],
	};

	// Warm the credential's cache once (the token request of the first execution is not what we measure).
	assertRun(await n8n.executeInNewProcess(id), 'warm-up execution');

	// Plain fetch with a fixed token, from this process (global fetch, which startRig made trust the
	// rig's CA): one token, then 1,000 GETs.
	const token = await fixedToken(rig);
	const plain = async (limit: number) => {
		const start = performance.now();
		await withConcurrency(ITEMS, limit, async () => {
			const response = await fetch(url, {
				headers: { authorization: `Bearer ${token}`, 'client-request-id': crypto.randomUUID() },
			});
			check(response.status === 200, `plain fetch got HTTP ${response.status}`);
			await response.json();
		});
		return performance.now() - start;
	};
	await plain(10); // warm-up: connections and JIT

	for (let i = 0; i < RUNS; i++) {
		await rig.reset();
		await rig.resetApi();
		const run = await n8n.executeInNewProcess(id);
		assertRun(run, 'Call API vs HTTP Request');
		for (const node of ['Call API', 'Call API c10', 'Call API c1', 'HTTP Request']) {
			const output = run.nodeOutput(node);
			check(output.length === ITEMS, `${node} output ${output.length} items, not ${ITEMS}`);
			check(
				output.every(
					(item, index) =>
						item.json.appid === rig.clients.secret.clientId && JSON.stringify(item.pairedItem) === `{"item":${index}}`,
				),
				`${node}: wrong output`,
			);
		}
		const calls = await rig.apiRequests();
		check(calls.length === 4 * ITEMS, `the API received ${calls.length} calls, not ${4 * ITEMS}`);
		check(
			calls.every((c) => (c.headers.authorization as { valid?: boolean })?.valid),
			'a call carried an invalid token',
		);
		result.callApiMs.push(nodeMs(run, 'Call API'));
		result.callApi10Ms.push(nodeMs(run, 'Call API c10'));
		result.callApi1Ms.push(nodeMs(run, 'Call API c1'));
		result.httpNodeMs.push(nodeMs(run, 'HTTP Request'));
		result.tokenRequests.push((await rig.stats()).grants.client_credentials ?? 0);
		result.fetch5Ms.push(await plain(5));
		result.fetch10Ms.push(await plain(10));
		result.fetch1Ms.push(await plain(1));
	}
	await rig.resetApi();
	return result;
}

export interface BatchResult {
	latencyMs: number;
	concurrency: number;
	unbatchedMs: number[];
	batchedMs: number[];
	unbatchedRequests: number;
	batchedRequests: number;
}

/** (d) 1,000 GETs, 20 ms of latency per API request, Call API without and with Batch Requests. */
export async function benchBatch(n8n: N8nInstance, rig: Rig, latencyMs = 20, concurrency = 5): Promise<BatchResult> {
	const [cred] = await credential(n8n, rig, ['bench batch']);
	// The rig is not a Graph host: its root is given as a Custom Base URL that serves $batch.
	const common = { baseUrl: 'custom', customBaseUrl: `${rig.api.baseUrl}/`, url: '/me' };
	const workflow = (batchRequests: boolean, name: string) =>
		graph(
			name,
			[
				manualTrigger(),
				itemsNode(ITEMS),
				callApi(cred, { ...common, options: { concurrency, batchRequests } }, 'Call API'),
			],
			[
				['Start', 'Items'],
				['Items', 'Call API'],
			],
		);
	const plainId = await n8n.importWorkflow(workflow(false, 'bench unbatched'));
	const batchId = await n8n.importWorkflow(workflow(true, 'bench batched'));
	const result: BatchResult = {
		latencyMs,
		concurrency,
		unbatchedMs: [],
		batchedMs: [],
		unbatchedRequests: 0,
		batchedRequests: 0,
	};
	const once = async (id: string, what: string) => {
		await rig.resetApi();
		await rig.setApiLatency(latencyMs);
		const run = await n8n.executeInNewProcess(id);
		assertRun(run, what);
		const output = run.nodeOutput('Call API');
		check(output.length === ITEMS, `${what}: ${output.length} items, not ${ITEMS}`);
		check(
			output.every(
				(item, index) =>
					item.json.appid === rig.clients.secret.clientId && JSON.stringify(item.pairedItem) === `{"item":${index}}`,
			),
			`${what}: wrong output`,
		);
		const calls = await rig.apiRequests();
		check(
			calls.every((c) => (c.headers.authorization as { valid?: boolean })?.valid),
			`${what}: a call carried an invalid token`,
		);
		return { ms: nodeMs(run, 'Call API'), requests: calls.filter((c) => !c.batch).length };
	};
	await once(plainId, 'warm-up'); // the credential's cache
	for (let i = 0; i < RUNS; i++) {
		const plain = await once(plainId, 'Call API without batching');
		const batched = await once(batchId, 'Call API with batching');
		result.unbatchedMs.push(plain.ms);
		result.batchedMs.push(batched.ms);
		result.unbatchedRequests = plain.requests;
		result.batchedRequests = batched.requests;
	}
	check(result.unbatchedRequests === ITEMS, `without batching the API received ${result.unbatchedRequests} requests`);
	check(
		result.batchedRequests === Math.ceil(ITEMS / 20),
		`with batching the API received ${result.batchedRequests} requests, not ${Math.ceil(ITEMS / 20)}`,
	);
	await rig.resetApi();
	return result;
}

async function fixedToken(rig: Rig): Promise<string> {
	const response = await fetch(rig.tokenEndpoint, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'client_credentials',
			client_id: rig.clients.secret.clientId,
			client_secret: rig.clients.secret.clientSecret,
			scope: rig.api.scope,
		}),
	});
	const json = (await response.json()) as { access_token?: string };
	check(json.access_token, `no token from the rig: HTTP ${response.status}`);
	return json.access_token;
}

export { median };
