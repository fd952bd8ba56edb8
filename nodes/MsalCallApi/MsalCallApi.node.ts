import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { mapWithConcurrency } from '../core/http/concurrency';
import { graphVersionRoot, sendGraphBatch } from '../core/http/graphBatch';
import type { ApiRequest } from '../core/http/sendRequest';
import { planBatches } from './batch';
import { sendApiRequest, type GuardSettings } from '../core/http/sendRequest';
import { TokenSource } from '../core/http/tokenSource';
import { scopeSetKey } from '../core/scopes';
import { SignInPendingError, type NodeTokenRequest } from '../core/signIn';
import { credentialKindNamed, CREDENTIAL_TESTS, type CredentialKind } from '../n8n/credentialKinds';
import { allowedHostsOf, cloudOf, text } from '../n8n/credentialFields';
import { acquireThroughCredentialStore } from '../n8n/credentialStore';
import { failedItem, toNodeError } from '../n8n/itemErrors';
import { nodeSignIn, reportStoppedSignIn, type NodeSignIn } from '../n8n/signInDelivery';
import { description } from './description';
import { toOutputItems } from './output';
import {
	prepareRequest,
	readConcurrency,
	type CallApiCredentialView,
	type CallApiOptions,
	type PreparedRequest,
} from './parameters';
import { locatorValue } from '../n8n/parameterValues';
import { searchAccounts } from '../n8n/accountSearch';

/** Items whose requests need the same token. */
interface ScopeGroup {
	scopes: string[];
	tokens?: TokenSource;
	error?: unknown;
}

/** What one execution reads once: the credential kind, its sign-in handling and where tokens may go. */
interface ExecutionSettings {
	kind: CredentialKind;
	signIn: NodeSignIn & { account?: string };
	credential: CallApiCredentialView;
	allowedHosts: GuardSettings['allowedHosts'];
}

export class MsalCallApi implements INodeType {
	description: INodeTypeDescription = description;

	methods = {
		credentialTest: CREDENTIAL_TESTS,
		listSearch: { searchAccounts },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		if (items.length === 0) return [[]];
		const settings = await readExecutionSettings(this);
		const results: INodeExecutionData[][] = new Array(items.length);
		const { prepared, groups } = prepareItems(this, items, settings, results);
		await acquireTokens(this, settings, groups);
		await sendRequests(this, settings, prepared, results);
		return [results.flat()];
	}
}

async function readExecutionSettings(context: IExecuteFunctions): Promise<ExecutionSettings> {
	const kind = credentialKindNamed(context.getNodeParameter('authentication', 0, 'clientCredentials') as string);
	try {
		const signIn: ExecutionSettings['signIn'] = nodeSignIn(context, kind.tokens === 'delegated');
		if (kind.tokens === 'delegated') {
			signIn.account =
				locatorValue((context.getNodeParameter('signInOptions', 0, {}) as { account?: unknown }).account) || undefined;
		}
		const credential = await context.getCredentials(kind.credentialType, 0);
		return {
			kind,
			signIn,
			credential: { cloud: cloudOf(credential), scopes: text(credential.scopes) },
			allowedHosts: allowedHostsOf(credential),
		};
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	}
}

/** Reads every item's request and groups the items by the scopes their token needs. */
function prepareItems(
	context: IExecuteFunctions,
	items: INodeExecutionData[],
	settings: ExecutionSettings,
	results: INodeExecutionData[][],
) {
	const groups = new Map<string, ScopeGroup>();
	const prepared: Array<{ request: PreparedRequest; group: ScopeGroup }> = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const request = prepareRequest(context, items[itemIndex], itemIndex, settings.credential, settings.kind.tokens);
			const key = scopeSetKey(request.scope.scopes);
			let group = groups.get(key);
			if (!group) {
				group = { scopes: request.scope.scopes };
				groups.set(key, group);
			}
			prepared.push({ request, group });
		} catch (error) {
			results[itemIndex] = [failedItem(context, error, itemIndex)];
		}
	}
	return { prepared, groups: [...groups.values()] };
}

/** One token per scope set, silent-first from the credential's cache; a claims challenge renews it. */
async function acquireTokens(
	context: IExecuteFunctions,
	{ kind, signIn }: ExecutionSettings,
	groups: ScopeGroup[],
): Promise<void> {
	const acquire = async (scopes: string[], claims?: string) => {
		const request: NodeTokenRequest = { scopes, claims, signIn: signIn.controls, account: signIn.account };
		const { token, warnings } = await acquireThroughCredentialStore(context, kind.credentialType, request);
		for (const warning of warnings) context.logger.warn(warning);
		return token.accessToken;
	};
	for (const group of groups) {
		try {
			group.tokens = new TokenSource(
				await acquire(group.scopes),
				async (claims) => await acquire(group.scopes, claims),
			);
		} catch (error) {
			if (error instanceof SignInPendingError && error.prompt.mode === 'stop')
				await reportStoppedSignIn(context, signIn.options, error.prompt);
			group.error = error;
		}
	}
}

/** The requests, a bounded number at a time; results land at their item's index. */
async function sendRequests(
	context: IExecuteFunctions,
	settings: ExecutionSettings,
	prepared: Array<{ request: PreparedRequest; group: ScopeGroup }>,
	results: INodeExecutionData[][],
): Promise<void> {
	let concurrency: number;
	try {
		concurrency = readConcurrency(context);
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	}
	const guardOf = (group: ScopeGroup): GuardSettings => ({
		scopes: group.scopes,
		cloud: settings.credential.cloud,
		allowedHosts: settings.allowedHosts,
	});
	const sendOne = async ({ request, group }: Prepared): Promise<void> => {
		const { itemIndex } = request;
		try {
			if (group.error !== undefined || !group.tokens) throw group.error;
			const body = typeof request.api.body === 'function' ? await request.api.body() : request.api.body;
			const response = await sendApiRequest({ ...request.api, body }, group.tokens, guardOf(group));
			results[itemIndex] = await toOutputItems(context, itemIndex, request.output, response);
		} catch (error) {
			results[itemIndex] = [failedItem(context, error, itemIndex)];
		}
	};
	const options = context.getNodeParameter('options', 0, {}) as CallApiOptions;
	if (options.batchRequests !== true) {
		await mapWithConcurrency(prepared, concurrency, sendOne);
		return;
	}
	const plan = planBatches(
		prepared,
		({ request, group }) =>
			typeof request.api.body === 'function' || group.error !== undefined || !group.tokens
				? undefined
				: (request.api as ApiRequest),
		({ group }) => group,
		({ request }, api) => graphVersionRoot(api.url) ?? request.customBatchRoot,
	);
	await mapWithConcurrency(plan, concurrency, async (unit) => {
		if (unit.kind === 'single') return await sendOne(unit.entry);
		const { group } = unit.entries[0];
		const outcomes = await sendGraphBatch(
			unit.root,
			unit.entries.map(({ request }) => request.api as ApiRequest),
			group.tokens!,
			guardOf(group),
		);
		for (let i = 0; i < unit.entries.length; i++) {
			const { request } = unit.entries[i];
			const outcome = outcomes[i];
			try {
				if ('error' in outcome) throw outcome.error;
				results[request.itemIndex] = await toOutputItems(context, request.itemIndex, request.output, outcome.response);
			} catch (error) {
				results[request.itemIndex] = [failedItem(context, error, request.itemIndex)];
			}
		}
	});
}

type Prepared = { request: PreparedRequest; group: ScopeGroup };
