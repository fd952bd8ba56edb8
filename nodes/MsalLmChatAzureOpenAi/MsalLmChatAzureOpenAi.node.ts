import {
	NodeConnectionTypes,
	type INodeType,
	type INodeTypeDescription,
	type ISupplyDataFunctions,
	type SupplyData,
} from 'n8n-workflow';
import {
	connectionOptions,
	endpointProperties,
	modelConnection,
	NO_API_KEY,
	type ConnectionOptions,
} from '../n8n/azureOpenAi';
import { credentialDescriptions, CREDENTIAL_TESTS } from '../n8n/credentialKinds';
import { langChainOpenAi, n8nLlmTracing } from '../n8n/langChainOpenAi';

interface ChatOptions extends ConnectionOptions {
	frequencyPenalty?: number;
	maxTokens?: number;
	presencePenalty?: number;
	responseFormat?: 'text' | 'json_object';
	temperature?: number;
	topP?: number;
}

export class MsalLmChatAzureOpenAi implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Azure OpenAI Chat Model (Entra ID)',
		name: 'msalLmChatAzureOpenAi',
		icon: { light: 'file:../../icons/azureOpenAi.svg', dark: 'file:../../icons/azureOpenAi.dark.svg' },
		subtitle: '={{$parameter["deployment"]}}',
		group: ['transform'],
		version: 1,
		description: 'Azure OpenAI chat model for AI agents and chains, signed in with Microsoft Entra ID (no API key)',
		defaults: { name: 'Azure OpenAI Chat Model (Entra ID)' },
		inputs: [],
		outputs: [NodeConnectionTypes.AiLanguageModel],
		outputNames: ['Model'],
		credentials: credentialDescriptions(),
		properties: [
			...endpointProperties,
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Frequency Penalty',
						name: 'frequencyPenalty',
						type: 'number',
						default: 0,
						typeOptions: { minValue: -2, maxValue: 2, numberPrecision: 1 },
						description: 'Positive values penalize new tokens based on their frequency so far, lowering repetition',
					},
					{
						displayName: 'Maximum Number of Tokens',
						name: 'maxTokens',
						type: 'number',
						default: -1,
						description: 'The most tokens the answer may have; -1: no limit set',
					},
					{
						displayName: 'Presence Penalty',
						name: 'presencePenalty',
						type: 'number',
						default: 0,
						typeOptions: { minValue: -2, maxValue: 2, numberPrecision: 1 },
						description: 'Positive values penalize tokens already present, steering towards new topics',
					},
					{
						displayName: 'Response Format',
						name: 'responseFormat',
						type: 'options',
						default: 'text',
						options: [
							{ name: 'Text', value: 'text', description: 'Regular text response' },
							{
								name: 'JSON',
								value: 'json_object',
								description: 'The model answers with valid JSON; the prompt must ask for JSON',
							},
						],
					},
					{
						displayName: 'Sampling Temperature',
						name: 'temperature',
						type: 'number',
						default: 0.7,
						typeOptions: { minValue: 0, maxValue: 2, numberPrecision: 1 },
						description: 'Higher is more random, lower more deterministic',
					},
					{
						displayName: 'Top P',
						name: 'topP',
						type: 'number',
						default: 1,
						typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 1 },
						description: 'Nucleus sampling: consider only the tokens with this top probability mass',
					},
					...connectionOptions,
				],
			},
		],
	};

	methods = { credentialTest: CREDENTIAL_TESTS };

	async supplyData(this: ISupplyDataFunctions, itemIndex: number): Promise<SupplyData> {
		const { ChatOpenAI } = langChainOpenAi(this.getNode());
		const options = this.getNodeParameter('options', itemIndex, {}) as ChatOptions;
		const { endpoint, fetch } = await modelConnection(this, itemIndex, options);
		const model = new ChatOpenAI({
			model: endpoint.model,
			apiKey: NO_API_KEY,
			// Chat completions: what Azure's deployment routes and v1 API both serve for every chat deployment.
			useResponsesApi: false,
			temperature: options.temperature,
			topP: options.topP,
			frequencyPenalty: options.frequencyPenalty,
			presencePenalty: options.presencePenalty,
			...(options.maxTokens !== undefined && options.maxTokens > 0 ? { maxTokens: options.maxTokens } : {}),
			timeout: options.timeout ?? 60000,
			maxRetries: options.maxRetries ?? 2,
			modelKwargs: options.responseFormat === 'json_object' ? { response_format: { type: 'json_object' } } : undefined,
			configuration: { baseURL: endpoint.baseUrl, defaultQuery: endpoint.query, fetch },
			callbacks: n8nLlmTracing(this) as never,
		});
		return { response: model };
	}
}
