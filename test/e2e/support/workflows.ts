/** Small builders for the n8n workflows the end-to-end tests import. */
import { randomUUID } from 'node:crypto';
export interface WorkflowNode {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	continueOnFail?: boolean;
	onError?: 'continueRegularOutput' | 'continueErrorOutput' | 'stopWorkflow';
}

export const MSAL_PACKAGE = 'n8n-nodes-msal';
export const ACQUIRE_TOKEN = `${MSAL_PACKAGE}.msalAcquireToken`;

/** n8n's Webhook node on POST /webhook/<path>, answering when the last node finishes (or through Respond to Webhook). */
export function webhook(
	path: string,
	responseMode: 'lastNode' | 'responseNode' = 'lastNode',
): WorkflowNode & { webhookId: string } {
	return {
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path, responseMode, options: {} },
	};
}

/** The package's Microsoft Sign-In trigger for a public-client credential, serving /webhook/<path>. */
export function signInTrigger(
	credential: { id: string; name: string },
	path: string,
): WorkflowNode & { webhookId: string } {
	return {
		name: 'Microsoft Sign-In',
		type: `${MSAL_PACKAGE}.msalSignInTrigger`,
		typeVersion: 1,
		webhookId: randomUUID(),
		parameters: { path },
		credentials: { msalPublicClientApi: credential },
	};
}

export function manualTrigger(): WorkflowNode {
	return { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} };
}

/** A Code node emitting `count` items, each {index}. */
export function itemsNode(count: number): WorkflowNode {
	return {
		name: 'Items',
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		parameters: { jsCode: `return Array.from({ length: ${count} }, (_, index) => ({ json: { index } }));` },
	};
}

export function acquireToken(
	credential: { id: string; name: string },
	parameters: Record<string, unknown> = {},
	name = 'Acquire Token',
): WorkflowNode {
	return {
		name,
		type: ACQUIRE_TOKEN,
		typeVersion: 1,
		parameters: { authentication: 'clientCredentials', operation: 'getToken', ...parameters },
		credentials: { msalClientCredentialsApi: credential },
	};
}

/** n8n's HTTP Request node sending the previous node's token. */
export function httpWithTokenFromInput(url: string, name = 'Call API'): WorkflowNode {
	return {
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		parameters: {
			url,
			sendHeaders: true,
			headerParameters: { parameters: [{ name: 'Authorization', value: '=Bearer {{ $json.accessToken }}' }] },
			options: {},
		},
	};
}

/** n8n's HTTP Request node authenticating with our credential (Predefined Credential Type). */
export function httpWithPredefinedCredential(
	url: string,
	credential: { id: string; name: string },
	name = 'HTTP Request',
): WorkflowNode {
	return {
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		parameters: {
			url,
			authentication: 'predefinedCredentialType',
			nodeCredentialType: 'msalClientCredentialsApi',
			options: {},
		},
		credentials: { msalClientCredentialsApi: credential },
	};
}

/** A linear workflow: each node feeds the next. */
export function chain(name: string, nodes: WorkflowNode[]): object {
	const connections: Record<string, unknown> = {};
	nodes.forEach((node, index) => {
		const next = nodes[index + 1];
		if (next) connections[node.name] = { main: [[{ node: next.name, type: 'main', index: 0 }]] };
	});
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

export const CALL_API = `${MSAL_PACKAGE}.msalCallApi`;

/** Our Call API node with the client-credentials credential. */
export function callApi(
	credential: { id: string; name: string },
	parameters: Record<string, unknown>,
	name = 'Call API',
): WorkflowNode {
	return {
		name,
		type: CALL_API,
		typeVersion: 1,
		parameters: { authentication: 'clientCredentials', method: 'GET', baseUrl: 'none', options: {}, ...parameters },
		credentials: { msalClientCredentialsApi: credential },
	};
}

/** A Code node emitting the given JSON objects as items. */
export function jsonItems(objects: object[], name = 'Items'): WorkflowNode {
	return {
		name,
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		parameters: { jsCode: `return ${JSON.stringify(objects)}.map((json) => ({ json }));` },
	};
}

/** A workflow with explicit edges [from, to] (output 0 → input 0), for fan-out. */
/** Edges are [from, to] or [from, to, output of `from`] (1: the error output of "On Error: Continue (using error output)"). */
export function graph(name: string, nodes: WorkflowNode[], edges: Array<[string, string, number?]>): object {
	const connections: Record<string, { main: Array<Array<{ node: string; type: string; index: number }>> }> = {};
	for (const [from, to, output = 0] of edges) {
		const main = (connections[from] ??= { main: [] }).main;
		while (main.length <= output) main.push([]);
		main[output].push({ node: to, type: 'main', index: 0 });
	}
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
