/**
 * Validate Token as an operation of Acquire Token v1, kept so that saved v1 workflows keep
 * running. From v2 the operation is the Microsoft Entra ID Token Validation node: it needs another
 * app registration (the API's own) than the tokens Acquire Token gets.
 */
import type { INodeProperties } from 'n8n-workflow';
import { properties as validationProperties } from '../../MsalValidateToken/validation';

export { execute } from '../../MsalValidateToken/validation';

const show = { '@version': [1], operation: ['validateToken'], authentication: ['clientCredentials'] };

export const properties: INodeProperties[] = validationProperties.map((property) => ({
	...property,
	displayOptions: { show },
}));
