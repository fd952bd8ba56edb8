import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type JsonObject,
} from 'n8n-workflow';
import { describeError, MsalNodeError } from '../core/errors';
import { ApiCallError } from '../core/http/apiError';
import { SignInPendingError } from '../core/signIn';
import { promptItem } from './signInDelivery';

/**
 * How a failure reaches the person: API failures as NodeApiError (status, code, request ids),
 * everything else as NodeOperationError with the cause as message and the fix (and field) as
 * description.
 */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeOperationError | NodeApiError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	if (error instanceof ApiCallError) {
		const response: JsonObject = {
			statusCode: error.status,
			code: error.code ?? null,
			message: error.apiMessage ?? error.message,
			requestId: error.requestId ?? null,
			clientRequestId: error.clientRequestId ?? null,
			body: (error.body ?? null) as JsonObject[keyof JsonObject],
		};
		return new NodeApiError(node, response, {
			message: error.message,
			description: error.fix,
			httpCode: String(error.status),
			itemIndex,
		});
	}
	if (error instanceof MsalNodeError) {
		const field = error.field ? ` (field: ${error.field})` : '';
		return new NodeOperationError(node, error.message, { description: `${error.fix}${field}`, itemIndex });
	}
	return new NodeOperationError(node, describeError(error), { itemIndex });
}

/**
 * An item that failed: with "Continue On Fail" it carries the error as data (and, for a
 * sign-in waiting for a person, the prompt, so the next node can mail or post it; `extra`: what
 * the caller of a webhook must be answered); otherwise the execution stops with the error.
 */
export function failedItem(
	context: IExecuteFunctions,
	error: unknown,
	itemIndex: number,
	extra: IDataObject = {},
): INodeExecutionData {
	const nodeError = toNodeError(context.getNode(), error, itemIndex);
	if (!context.continueOnFail()) throw nodeError;
	const details: IDataObject = {};
	if (nodeError.description) details.description = nodeError.description;
	if (error instanceof ApiCallError) {
		details.statusCode = error.status;
		if (error.code) details.code = error.code;
		if (error.requestId) details.requestId = error.requestId;
		if (error.clientRequestId) details.clientRequestId = error.clientRequestId;
	}
	if (error instanceof SignInPendingError) details.signInPrompt = promptItem(error.prompt, context);
	Object.assign(details, extra);
	// n8n sends an item to the error output ("On Error: Continue (using error output)") only when
	// its json holds nothing but error, message and details (an item's `error` field would make
	// n8n replace the json with the message alone, losing the details).
	const json: IDataObject =
		context.getNode().onError === 'continueErrorOutput'
			? { error: nodeError.message, details }
			: { error: nodeError.message, ...details };
	return { json, pairedItem: { item: itemIndex } };
}

/** The plain-text form n8n's credential test dialog shows. */
export function describeForCredentialTest(error: unknown): string {
	if (error instanceof MsalNodeError) return `${error.message} ${error.fix}`;
	return describeError(error);
}
