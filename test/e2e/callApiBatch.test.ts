/**
 * Batch Requests in real n8n: 25 items through the Call API node with the option on reach the
 * rig's API as 2 POST /$batch (20 + 5 sub-requests); every output item pairs with its input.
 * The rig is not a Graph host, so its root is the node's Custom Base URL.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createN8n, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { secretClientCredentialData } from '../rig/credentialData';
import { packagedBuild } from './support/packagedBuild';
import { callApi, chain, itemsNode, manualTrigger } from './support/workflows';

describe('Call API Batch Requests in real n8n', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	let workflowId: string;

	beforeAll(async () => {
		rig = await startRig();
		n8n = await createN8n({ packageTarball: packagedBuild(), env: rig.childEnv() });
		const [id] = await n8n.importCredentials([
			{ name: 'rig app', type: 'msalClientCredentialsApi', data: secretClientCredentialData(rig) },
		]);
		const cred = { id, name: 'rig app' };
		workflowId = await n8n.importWorkflow(
			chain('batched', [
				manualTrigger(),
				itemsNode(25),
				callApi(cred, {
					baseUrl: 'custom',
					customBaseUrl: `${rig.api.baseUrl}/`,
					url: '=/echo?i={{ $json.index }}',
					options: { batchRequests: true, concurrency: 2 },
				}),
			]),
		);
	});

	afterAll(async () => {
		await n8n?.dispose();
		await rig?.stop();
	});

	it('25 items → 2 batch requests at the API, outputs paired with their items', async () => {
		await rig.resetApi();
		const run = await n8n.execute(workflowId);
		expect(run.status).toBe('success');
		const calls = await rig.apiRequests();
		const batches = calls.filter((c) => !c.batch);
		expect(batches.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['POST /$batch 200', 'POST /$batch 200']);
		expect(batches.map((c) => JSON.parse(c.bodyText).requests.length).sort()).toEqual([20, 5]);
		expect(calls.filter((c) => c.batch)).toHaveLength(25);
		const output = run.nodeOutput('Call API');
		expect(output).toHaveLength(25);
		output.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			expect((item.json.query as { i: string }).i).toBe(String(index));
		});
	});
});
