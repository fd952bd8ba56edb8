/*
 * The rig's Azure OpenAI endpoint serves n8n's OWN Azure OpenAI Chat Model (API key), the
 * baseline of the chat model benchmark: a real n8n runs an AI Agent with the Calculator tool
 * against it, and the emulator's records show what n8n sent, turn by turn.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createN8n, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from './support/packagedBuild';

const AGENT_PROMPT = 'What is "6*7"? Call the tool 3 times.';

describe("n8n's own Azure OpenAI Chat Model against the rig's Azure OpenAI endpoint", () => {
	let rig: Rig;
	let n8n: N8nInstance;
	let credentialId: string;

	beforeAll(async () => {
		rig = await startRig();
		n8n = await createN8n({ packageTarball: packagedBuild(), env: rig.childEnv() });
		[credentialId] = await n8n.importCredentials([
			{
				name: 'Azure OpenAI (rig, API key)',
				type: 'azureOpenAiApi',
				data: {
					apiKey: rig.azureOpenAI.apiKey,
					resourceName: rig.azureOpenAI.microsoftHost.resourceName,
					apiVersion: rig.azureOpenAI.apiVersion,
					endpoint: rig.azureOpenAI.endpoint,
				},
			},
		]);
	});

	afterAll(async () => {
		await n8n?.dispose();
		await rig?.stop();
	});

	it('an AI Agent with the Calculator tool: 3 tool turns and a final answer, all with the API key', async () => {
		const workflowId = await n8n.importWorkflow({
			name: 'agent on the rig',
			// As the editor saves new workflows. Without it (the legacy order) n8n resumes the agent
			// before its tool ran, and the model gets "" as the tool result.
			settings: { executionOrder: 'v1' },
			nodes: [
				{
					id: 'm',
					name: 'Manual',
					type: 'n8n-nodes-base.manualTrigger',
					typeVersion: 1,
					position: [0, 0],
					parameters: {},
				},
				{
					id: 'a',
					name: 'AI Agent',
					type: '@n8n/n8n-nodes-langchain.agent',
					typeVersion: 3.1,
					position: [200, 0],
					parameters: { promptType: 'define', text: AGENT_PROMPT, options: {} },
				},
				{
					id: 'l',
					name: 'Azure OpenAI Chat Model',
					type: '@n8n/n8n-nodes-langchain.lmChatAzureOpenAi',
					typeVersion: 1,
					position: [200, 200],
					parameters: { model: rig.azureOpenAI.deployments.chat, options: { temperature: 0.3 } },
					credentials: { azureOpenAiApi: { id: credentialId, name: 'Azure OpenAI (rig, API key)' } },
				},
				{
					id: 'c',
					name: 'Calculator',
					type: '@n8n/n8n-nodes-langchain.toolCalculator',
					typeVersion: 1,
					position: [400, 200],
					parameters: {},
				},
			],
			connections: {
				Manual: { main: [[{ node: 'AI Agent', type: 'main', index: 0 }]] },
				'Azure OpenAI Chat Model': { ai_languageModel: [[{ node: 'AI Agent', type: 'ai_languageModel', index: 0 }]] },
				Calculator: { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
			},
		});
		await rig.resetAzureOpenAI();
		const result = await n8n.execute(workflowId);
		expect([result.status, result.error?.message]).toEqual(['success', undefined]);
		expect(result.nodeRunCount('Calculator')).toBe(3);
		expect(result.nodeOutput('AI Agent')[0].json.output).toBe(
			'After 3 tool call(s): Tool Calculator answered: [{"response":"42"}]',
		);

		const { requests, answered } = await rig.azureOpenAIStats();
		expect(answered.chat).toBe(4);
		expect(requests.map((r) => [r.auth, r.deployment, r.finishReason, r.options.toolResults?.length])).toEqual([
			['key', 'gpt-4o-mini', 'tool_calls', 0],
			['key', 'gpt-4o-mini', 'tool_calls', 1],
			['key', 'gpt-4o-mini', 'tool_calls', 2],
			['key', 'gpt-4o-mini', 'stop', 3],
		]);
		expect(requests[0].options).toMatchObject({
			temperature: 0.3,
			toolNames: ['Calculator'],
			toolParameters: [{ type: 'object', properties: { input: { type: 'string' } } }],
		});
	});
});
