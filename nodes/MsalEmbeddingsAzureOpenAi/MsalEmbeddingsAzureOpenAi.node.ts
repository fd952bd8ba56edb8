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
import { langChainOpenAi, withN8nLog } from '../n8n/langChainOpenAi';

interface EmbeddingsOptions extends ConnectionOptions {
	batchSize?: number;
	dimensions?: number;
	stripNewLines?: boolean;
}

export class MsalEmbeddingsAzureOpenAi implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Embeddings Azure OpenAI (Entra ID)',
		name: 'msalEmbeddingsAzureOpenAi',
		icon: { light: 'file:../../icons/azureOpenAi.svg', dark: 'file:../../icons/azureOpenAi.dark.svg' },
		subtitle: '={{$parameter["deployment"]}}',
		group: ['transform'],
		version: 1,
		description: 'Azure OpenAI embeddings for vector stores, signed in with Microsoft Entra ID (no API key)',
		defaults: { name: 'Embeddings Azure OpenAI (Entra ID)' },
		inputs: [],
		outputs: [NodeConnectionTypes.AiEmbedding],
		outputNames: ['Embeddings'],
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
						displayName: 'Batch Size',
						name: 'batchSize',
						type: 'number',
						default: 512,
						typeOptions: { minValue: 1, maxValue: 2048 },
						description: 'How many texts one request embeds (Azure accepts up to 2048)',
					},
					{
						displayName: 'Dimensions',
						name: 'dimensions',
						type: 'options',
						default: 1536,
						description: 'The number of dimensions of the embeddings (text-embedding-3 models only)',
						options: [
							{ name: '256', value: 256 },
							{ name: '512', value: 512 },
							{ name: '1024', value: 1024 },
							{ name: '1536', value: 1536 },
							{ name: '3072', value: 3072 },
						],
					},
					{
						displayName: 'Strip New Lines',
						name: 'stripNewLines',
						type: 'boolean',
						default: true,
						description: 'Whether to replace new lines in the input with spaces',
					},
					...connectionOptions,
				],
			},
		],
	};

	methods = { credentialTest: CREDENTIAL_TESTS };

	async supplyData(this: ISupplyDataFunctions, itemIndex: number): Promise<SupplyData> {
		const { OpenAIEmbeddings } = langChainOpenAi(this.getNode());
		const options = this.getNodeParameter('options', itemIndex, {}) as EmbeddingsOptions;
		const { endpoint, fetch } = await modelConnection(this, itemIndex, options);
		const embeddings = new OpenAIEmbeddings({
			model: endpoint.model,
			apiKey: NO_API_KEY,
			dimensions: options.dimensions,
			batchSize: options.batchSize ?? 512,
			stripNewLines: options.stripNewLines ?? true,
			timeout: options.timeout ?? 60000,
			maxRetries: options.maxRetries ?? 2,
			configuration: { baseURL: endpoint.baseUrl, defaultQuery: endpoint.query, fetch },
		});
		return { response: withN8nLog(embeddings, this) };
	}
}
