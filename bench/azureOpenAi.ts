/**
 * (f) Time per model call in real n8n: the package's Azure OpenAI Chat Model (Entra ID) against
 *     n8n's built-in Azure OpenAI Chat Model with an API key, on the same emulator in the same
 *     run. A Basic LLM Chain over CHAIN_ITEMS items makes one model call per item; the chain
 *     node's executionTime / CHAIN_ITEMS is the time per call. Runs are interleaved.
 */
import type { ExecutionResult, N8nInstance } from '../test/rig/n8n';
import type { Rig } from '../test/rig/rig';
import { secretClientCredentialData } from '../test/rig/credentialData';
import { aiWorkflow, basicLlmChain, chatModel, endpointParameters } from '../test/e2e/support/aiWorkflows';
import { itemsNode, manualTrigger, type WorkflowNode } from '../test/e2e/support/workflows';
import { check } from './measure';

export const CHAIN_ITEMS = 200;
const RUNS = 5;

export interface AzureOpenAiBench {
	oursMsPerCall: number[];
	builtInMsPerCall: number[];
	/** Token requests at the identity provider over all runs of ours. */
	tokenRequests: number;
}

function chainMsPerCall(run: ExecutionResult, what: string): number {
	check(run.status === 'success', `${what}: execution failed: ${run.error?.message ?? '(no message)'}`);
	check(run.nodeOutput('Basic LLM Chain').length === CHAIN_ITEMS, `${what}: the chain did not answer every item`);
	const runs = run.raw?.data?.resultData?.runData?.['Basic LLM Chain'] as Array<{ executionTime?: number }>;
	const ms = runs?.[runs.length - 1]?.executionTime;
	check(typeof ms === 'number', `${what}: no executionTime for the chain`);
	return ms / CHAIN_ITEMS;
}

export async function benchAzureOpenAi(n8n: N8nInstance, rig: Rig): Promise<AzureOpenAiBench> {
	const aoai = rig.azureOpenAI;
	const [ours, builtIn] = await n8n.importCredentials([
		{
			name: 'bench aoai entra',
			type: 'msalClientCredentialsApi',
			data: secretClientCredentialData(rig, {
				scopes: aoai.scope,
				allowedHttpRequestDomains: 'domains',
				allowedDomains: '127.0.0.1',
			}),
		},
		{
			name: 'bench aoai key',
			type: 'azureOpenAiApi',
			data: {
				endpointType: 'classic',
				apiKey: aoai.apiKey,
				resourceName: aoai.microsoftHost.resourceName,
				apiVersion: aoai.apiVersion,
				endpoint: aoai.endpoint,
			},
		},
	]);
	const builtInModel: WorkflowNode = {
		name: 'Azure OpenAI Chat Model',
		type: '@n8n/n8n-nodes-langchain.lmChatAzureOpenAi',
		typeVersion: 1,
		parameters: { model: aoai.deployments.chat, options: {} },
		credentials: { azureOpenAiApi: { id: builtIn, name: 'bench aoai key' } },
	};
	const workflow = (name: string, model: WorkflowNode) =>
		aiWorkflow(
			name,
			[manualTrigger(), itemsNode(CHAIN_ITEMS), basicLlmChain('={{ "item " + $json.index }}'), model],
			[
				['Start', 'Items'],
				['Items', 'Basic LLM Chain'],
			],
			[['Azure OpenAI Chat Model', 'Basic LLM Chain', 'ai_languageModel']],
		);
	const [oursId, builtInId] = await n8n.importWorkflows([
		workflow(
			'bench aoai entra',
			chatModel(
				{ id: ours, name: 'bench aoai entra' },
				endpointParameters(aoai.endpoint, aoai.deployments.chat, aoai.apiVersion),
			),
		),
		workflow('bench aoai key', builtInModel),
	]);
	await rig.reset();
	const result: AzureOpenAiBench = { oursMsPerCall: [], builtInMsPerCall: [], tokenRequests: 0 };
	// One warm-up run each (first model construction, connection pools), then interleaved runs.
	for (let run = -1; run < RUNS; run++) {
		for (const [id, into, what] of [
			[oursId, result.oursMsPerCall, 'Entra ID chat model'],
			[builtInId, result.builtInMsPerCall, 'built-in chat model (API key)'],
		] as const) {
			await rig.resetAzureOpenAI();
			const msPerCall = chainMsPerCall(await n8n.execute(id), what);
			const stats = await rig.azureOpenAIStats();
			check(stats.answered.chat === CHAIN_ITEMS, `${what}: the emulator answered ${stats.answered.chat} calls`);
			if (run >= 0) into.push(msPerCall);
		}
	}
	result.tokenRequests = (await rig.stats()).tokenRequests.filter((r) => r.scope?.includes('cognitiveservices')).length;
	return result;
}
