import { NodeOperationError, type INode } from 'n8n-workflow';
import { MsalNodeError } from '../core/errors';

/** A core error as n8n shows it: the cause as message, the fix (and field) as description. */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	if (error instanceof MsalNodeError) {
		const field = error.field ? ` (field: ${error.field})` : '';
		return new NodeOperationError(node, error.message, { description: `${error.fix}${field}`, itemIndex });
	}
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(node, message, { itemIndex });
}

/** The plain-text form n8n's credential test dialog shows. */
export function describeForCredentialTest(error: unknown): string {
	if (error instanceof MsalNodeError) return `${error.message} ${error.fix}`;
	return error instanceof Error ? error.message : String(error);
}
