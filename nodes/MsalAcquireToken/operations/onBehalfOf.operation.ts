import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { failedItem } from '../../n8n/itemErrors';
import { onBehalfOfFailure, onBehalfOfToken } from '../../n8n/onBehalfOf';
import { readTokenRequest, tokenOutput } from './getToken.operation';

/** Get Token On Behalf Of the caller: one silent-first OBO acquisition per item (MSAL's cache per caller token). */
export async function execute(context: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const request = readTokenRequest(context, itemIndex, false);
			const token = await onBehalfOfToken(context, itemIndex, request.scopes, { ...request, outputsToken: true });
			output.push({ json: tokenOutput(token), pairedItem: { item: itemIndex } });
		} catch (error) {
			output.push(failedItem(context, error, itemIndex, onBehalfOfFailure(error)));
		}
	}
	return [output];
}
