import { NodeOperationError, type INode } from 'n8n-workflow';
// Types only: the classes come from the n8n that runs the node.
import type * as LangChainOpenAi from '@langchain/openai';

/**
 * LangChain's OpenAI classes, from the copy the running n8n bundles for its own AI nodes. The
 * package ships none: n8n's AI Agent, chains and vector stores take a model built on their own
 * LangChain, and n8n puts its node_modules on NODE_PATH before it loads community packages
 * (load-nodes-and-credentials.ts, on 1.x and 2.x), so this require finds it. Required when a
 * model is supplied, not when the file loads: on an n8n without it, only these nodes fail, with
 * this message, and the package's other nodes load as always.
 */
export function langChainOpenAi(node: INode): typeof LangChainOpenAi {
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved at run time through n8n's NODE_PATH
		return require('@langchain/openai') as typeof LangChainOpenAi;
	} catch {
		throw new NodeOperationError(
			node,
			'This n8n does not provide the LangChain OpenAI package (@langchain/openai) its AI nodes use.',
			{
				description:
					'The Azure OpenAI (Entra ID) nodes run on n8n versions with AI nodes (n8n 1.x from 1.120 and 2.x; see the README). Update n8n, or use the Call API node to call Azure OpenAI directly.',
			},
		);
	}
}

/** An export of n8n's AI helpers: @n8n/ai-utilities on 2.x, a file of @n8n/n8n-nodes-langchain on 1.x. */
function n8nAiHelper<T>(name: string, fileOnOlderN8n: string): T | undefined {
	for (const from of ['@n8n/ai-utilities', `@n8n/n8n-nodes-langchain/dist/${fileOnOlderN8n}`]) {
		try {
			// eslint-disable-next-line @typescript-eslint/no-require-imports -- optional, from the n8n that runs the node
			const helper = (require(from) as Record<string, unknown>)[name];
			if (typeof helper === 'function') return helper as T;
		} catch {
			// not in this n8n: try the next place
		}
	}
	return undefined;
}

/**
 * n8n's LangChain callback that records a model's prompts and answers as the sub-node's run data
 * (what the editor shows on the model node). Without it the model works; its node shows no run.
 */
export function n8nLlmTracing(context: unknown): unknown[] {
	const Tracing = n8nAiHelper<new (context: unknown) => unknown>('N8nLlmTracing', 'nodes/llms/N8nLlmTracing');
	return Tracing ? [new Tracing(context)] : [];
}

/** n8n's wrapper that records an embeddings model's calls as the sub-node's run data, when this n8n has it. */
export function withN8nLog<T extends object>(model: T, context: unknown): T {
	const logWrapper = n8nAiHelper<(model: T, context: unknown) => T>('logWrapper', 'utils/logWrapper');
	return logWrapper ? logWrapper(model, context) : model;
}
