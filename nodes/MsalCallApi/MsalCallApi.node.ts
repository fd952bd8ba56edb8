import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { mapWithConcurrency } from '../core/http/concurrency';
import { escapeForLog } from '../core/logging';
import { egressFilterOf, outboundFetch, type EgressFilter } from '../core/outbound';
import { graphVersionRoot, sendGraphBatch } from '../core/http/graphBatch';
import { planBatches } from './batch';
import { sendApiRequest, type ApiRequest, type GuardSettings } from '../core/http/sendRequest';
import { TokenSource } from '../core/http/tokenSource';
import { scopeSetKey } from '../core/scopes';
import { SignInPendingError, type NodeTokenRequest } from '../core/signIn';
import { credentialKindNamed, CREDENTIAL_TESTS, type CredentialKind } from '../n8n/credentialKinds';
import { cloudOf, domainRestrictionOf, resourceBoundaryOf, text } from '../n8n/credentialFields';
import { acquireWithSignInKey } from '../n8n/signInKeys';
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
import { isOnBehalfOf, onBehalfOfFailure, onBehalfOfToken } from '../n8n/onBehalfOf';
import { searchAccounts } from '../n8n/accountSearch';
import { tenantOverrideOf } from '../n8n/tenantOverride';
import { CLIENT_CREDENTIALS_CREDENTIAL_TYPE } from '../n8n/credentialTypes';

/** Items whose requests need the same token. */
interface ScopeGroup {
	scopes: string[];
	/** Tenant Override of the group's items (client credentials), undefined for the credential's tenant. */
	tenant?: string;
	/** On Behalf Of: the first item of the group, whose caller's token is used. */
	itemIndex: number;
	tokens?: TokenSource;
	error?: unknown;
}

/** What one execution reads once: the credential kind, its sign-in handling and where tokens may go. */
interface ExecutionSettings {
	kind: CredentialKind;
	/** Tokens On Behalf Of each item's caller (client-credentials credential). */
	onBehalfOf: boolean;
	signIn: NodeSignIn & { account?: string };
	credential: CallApiCredentialView;
	domains: GuardSettings['domains'];
	/** n8n's SSRF protection, when this n8n applies one to nodes. */
	egress: EgressFilter | undefined;
}

// eslint-disable-next-line @n8n/community-nodes/icon-validation -- the icon is set in description.ts
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
			onBehalfOf: isOnBehalfOf(context, String(kind.option.value)),
			signIn,
			credential: {
				cloud: cloudOf(credential),
				scopes: text(credential.scopes),
				boundary: resourceBoundaryOf(credential),
			},
			domains: domainRestrictionOf(credential),
			egress: egressFilterOf(context.helpers),
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
			const tokens = settings.onBehalfOf ? 'delegated' : settings.kind.tokens;
			const request = prepareRequest(context, items[itemIndex], itemIndex, settings.credential, tokens);
			const caller = settings.onBehalfOf ? String(context.getNodeParameter('userAssertion', itemIndex, '')) : '';
			const tenant =
				settings.kind.credentialType === CLIENT_CREDENTIALS_CREDENTIAL_TYPE && !settings.onBehalfOf
					? tenantOverrideOf(context, itemIndex)
					: undefined;
			const key = JSON.stringify([scopeSetKey(request.scope.scopes), caller, tenant?.toLowerCase() ?? null]);
			let group = groups.get(key);
			if (!group) {
				group = { scopes: request.scope.scopes, tenant, itemIndex };
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
	{ kind, signIn, onBehalfOf }: ExecutionSettings,
	groups: ScopeGroup[],
): Promise<void> {
	for (const group of onBehalfOf ? groups : []) {
		const acquireAsCaller = async (claims?: string) =>
			(await onBehalfOfToken(context, group.itemIndex, group.scopes, { claims })).accessToken;
		try {
			group.tokens = new TokenSource(await acquireAsCaller(), acquireAsCaller);
		} catch (error) {
			group.error = error;
		}
	}
	if (onBehalfOf) return;
	const acquire = async (scopes: string[], tenant: string | undefined, claims?: string) => {
		const request: NodeTokenRequest = { scopes, claims, tenant, signIn: signIn.controls, account: signIn.account };
		const { token, warnings } = await acquireWithSignInKey(context, kind.credentialType, request);
		for (const warning of warnings) context.logger.warn(escapeForLog(warning));
		return token.accessToken;
	};
	for (const group of groups) {
		try {
			group.tokens = new TokenSource(
				await acquire(group.scopes, group.tenant),
				async (claims) => await acquire(group.scopes, group.tenant, claims),
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
	const fetchOut: typeof fetch = (input, init) => outboundFetch(input as URL | string, init ?? {}, settings.egress);
	let concurrency: number;
	try {
		concurrency = readConcurrency(context);
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	}
	const guardOf = (group: ScopeGroup): GuardSettings => ({
		scopes: group.scopes,
		cloud: settings.credential.cloud,
		domains: settings.domains,
	});
	const sendOne = async ({ request, group }: Prepared): Promise<void> => {
		const { itemIndex } = request;
		try {
			if (group.error !== undefined || !group.tokens) throw group.error;
			const body = typeof request.api.body === 'function' ? await request.api.body() : request.api.body;
			const response = await sendApiRequest(
				{ ...request.api, body, streamBinary: true },
				group.tokens,
				guardOf(group),
				{
					fetch: fetchOut,
				},
			);
			results[itemIndex] = await toOutputItems(context, itemIndex, request.output, response);
		} catch (error) {
			results[itemIndex] = [
				failedItem(context, settings.kind.explainApiError?.(error) ?? error, itemIndex, onBehalfOfFailure(error)),
			];
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
			{ fetch: fetchOut },
		);
		for (let i = 0; i < unit.entries.length; i++) {
			const { request } = unit.entries[i];
			const outcome = outcomes[i];
			try {
				if ('error' in outcome) throw outcome.error;
				results[request.itemIndex] = await toOutputItems(context, request.itemIndex, request.output, outcome.response);
			} catch (error) {
				results[request.itemIndex] = [
					failedItem(
						context,
						settings.kind.explainApiError?.(error) ?? error,
						request.itemIndex,
						onBehalfOfFailure(error),
					),
				];
			}
		}
	});
}

type Prepared = { request: PreparedRequest; group: ScopeGroup };
