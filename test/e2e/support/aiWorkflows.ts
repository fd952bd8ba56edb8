/** Builders for workflows with n8n's AI nodes (root nodes fed by sub-nodes) and the package's Azure OpenAI sub-nodes. */
import { MSAL_PACKAGE, type WorkflowNode } from './workflows';

export const CHAT_MODEL = `${MSAL_PACKAGE}.msalLmChatAzureOpenAi`;
export const EMBEDDINGS = `${MSAL_PACKAGE}.msalEmbeddingsAzureOpenAi`;
const LANGCHAIN = '@n8n/n8n-nodes-langchain';

type Ref = { id: string; name: string };

/** Endpoint parameters of both sub-nodes for a full endpoint URL and the deployment routes. */
export function endpointParameters(endpointUrl: string, deployment: string, apiVersion: string) {
	return {
		authentication: 'clientCredentials',
		endpointType: 'url',
		endpointUrl,
		deployment,
		api: 'deployment',
		apiVersion,
	};
}

/** A credential of the package and the Authentication value that picks it. */
export type AiCredential = Ref & { type?: string; authentication?: string };

const credentialOf = (credential: AiCredential) => ({
	authentication: credential.authentication ?? 'clientCredentials',
	credentials: { [credential.type ?? 'msalClientCredentialsApi']: { id: credential.id, name: credential.name } },
});

export function chatModel(
	credential: AiCredential,
	parameters: Record<string, unknown>,
	name = 'Azure OpenAI Chat Model',
): WorkflowNode {
	const { authentication, credentials } = credentialOf(credential);
	return {
		name,
		type: CHAT_MODEL,
		typeVersion: 1,
		parameters: { options: {}, ...parameters, authentication },
		credentials,
	};
}

export function embeddingsModel(
	credential: Ref,
	parameters: Record<string, unknown>,
	name = 'Embeddings',
): WorkflowNode {
	return {
		name,
		type: EMBEDDINGS,
		typeVersion: 1,
		parameters: { options: {}, ...parameters },
		credentials: { msalClientCredentialsApi: credential },
	};
}

/** n8n's AI Agent; version 3.1 from n8n 2.x, 3 on 1.x. */
export function agent(prompt: string, name = 'AI Agent', typeVersion = 3.1): WorkflowNode {
	return {
		name,
		type: `${LANGCHAIN}.agent`,
		typeVersion,
		parameters: { promptType: 'define', text: prompt, options: {} },
	};
}

export function basicLlmChain(prompt: string, name = 'Basic LLM Chain'): WorkflowNode {
	return { name, type: `${LANGCHAIN}.chainLlm`, typeVersion: 1.9, parameters: { promptType: 'define', text: prompt } };
}

export function calculator(name = 'Calculator'): WorkflowNode {
	return { name, type: `${LANGCHAIN}.toolCalculator`, typeVersion: 1, parameters: {} };
}

/** The In-Memory ("Simple") Vector Store, with a plain memory key (version 1.1). */
export function memoryVectorStore(
	mode: 'insert' | 'load',
	name: string,
	extra: Record<string, unknown> = {},
): WorkflowNode {
	return {
		name,
		type: `${LANGCHAIN}.vectorStoreInMemory`,
		typeVersion: 1.1,
		parameters: { mode, memoryKey: 'e2e', ...extra },
	};
}

export function defaultDataLoader(name = 'Default Data Loader'): WorkflowNode {
	return {
		name,
		type: `${LANGCHAIN}.documentDefaultDataLoader`,
		typeVersion: 1.1,
		parameters: { jsonMode: 'expressionData', jsonData: '={{ $json.text }}', textSplittingMode: 'simple', options: {} },
	};
}

/**
 * A workflow from its nodes, main edges [from, to] and sub-node edges [sub-node, root, connection
 * type] (n8n stores those on the sub-node: its output feeds the root's input of that type).
 */
export function aiWorkflow(
	name: string,
	nodes: WorkflowNode[],
	main: Array<[string, string]>,
	sub: Array<[string, string, 'ai_languageModel' | 'ai_tool' | 'ai_embedding' | 'ai_document']>,
): object {
	const connections: Record<string, Record<string, Array<Array<{ node: string; type: string; index: number }>>>> = {};
	const add = (from: string, to: string, type: string) => {
		const outputs = ((connections[from] ??= {})[type] ??= [[]]);
		outputs[0].push({ node: to, type, index: 0 });
	};
	for (const [from, to] of main) add(from, to, 'main');
	for (const [from, to, type] of sub) add(from, to, type);
	return {
		name,
		nodes: nodes.map((node, index) => ({
			id: `${name}-${index}`.replace(/\W/g, '-'),
			position: [index * 220, 0],
			...node,
		})),
		connections,
		settings: { executionOrder: 'v1' },
	};
}
