// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, allowed for self-hosted n8n
import { Readable } from 'node:stream';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { ApiResponse } from '../core/http/sendRequest';
import type { OutputShape } from './parameters';

/** A response as the output items of one input item. */
export async function toOutputItems(
	context: IExecuteFunctions,
	itemIndex: number,
	shape: OutputShape,
	response: ApiResponse,
): Promise<INodeExecutionData[]> {
	const pairedItem = { item: itemIndex };
	const { body } = response;
	if (body.kind === 'binary') {
		// A stream (sendApiRequest's streamBinary) goes to n8n's binary data store as it arrives; one
		// n8n gave up on is released, connection included.
		let binaryData;
		try {
			binaryData = await context.helpers.prepareBinaryData(body.data, body.fileName, body.mimeType);
		} finally {
			if (body.data instanceof Readable) body.data.destroy();
		}
		const json: IDataObject = shape.fullResponse ? fullResponse(response, null) : {};
		return [{ json, binary: { [shape.outputBinaryPropertyName]: binaryData }, pairedItem }];
	}
	const value = body.kind === 'json' || body.kind === 'text' ? body.value : undefined;
	if (shape.fullResponse) return [{ json: fullResponse(response, value ?? null), pairedItem }];
	if (body.kind === 'text') return [{ json: { data: body.value }, pairedItem }];
	if (body.kind === 'empty') return [{ json: {}, pairedItem }];

	let elements: unknown[] | undefined;
	if (Array.isArray(value)) elements = value;
	else if (shape.splitIntoItems && isObject(value) && Array.isArray(value.value)) elements = value.value;
	if (elements) return elements.map((element) => ({ json: asJson(element), pairedItem }));
	return [{ json: asJson(value), pairedItem }];
}

function fullResponse(response: ApiResponse, body: unknown): IDataObject {
	const headers: IDataObject = {};
	response.headers.forEach((value, key) => (headers[key] = value));
	return {
		statusCode: response.status,
		statusMessage: response.statusText,
		headers,
		body: body as IDataObject,
		...(response.pages > 1 ? { pages: response.pages } : {}),
	};
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asJson(value: unknown): IDataObject {
	return isObject(value) ? (value as IDataObject) : { value: value as IDataObject[keyof IDataObject] };
}
