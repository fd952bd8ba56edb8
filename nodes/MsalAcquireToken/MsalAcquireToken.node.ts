import {
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import type { AccountSummary } from '../core/delegated';
import { SignInPendingError, type DeviceCodeTokenRequest } from '../core/deviceCode';
import { InvalidInputError } from '../core/errors';
import type { TokenResult } from '../core/tokenResult';
import { acquireThroughCredentialStore, runThroughCredentialStore } from '../glue/credentialCacheStore';
import { authenticationNamed, authenticationProperty, credentialDescriptions, CREDENTIAL_TESTS, DELEGATED_AUTHENTICATIONS, signInControls, signInOptionsProperty } from '../glue/authentications';
import { listAccountsOf, signOutWork } from '../glue/delegatedCredential';
import { promptItem, readSignInOptions, reportStoppedSignIn, type SignInNodeOptions } from '../glue/delegatedNode';
import { useN8nLogger } from '../glue/logSink';
import { toNodeError } from '../glue/nodeErrors';

useN8nLogger();

interface TokenOptions extends SignInNodeOptions {
	forceRefresh?: boolean;
	claims?: string | IDataObject;
	account?: string;
}

const DELEGATED = DELEGATED_AUTHENTICATIONS;

export class MsalAcquireToken implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Entra ID Token (MSAL)',
		name: 'msalAcquireToken',
		icon: 'file:msal.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] === "listAccounts" ? "List accounts" : $parameter["operation"] === "signOut" ? "Sign out" : "Get token: " + ($parameter["scopes"] || "credential scope") }}',
		description:
			'Get an access token from Microsoft Entra ID with MSAL: from the token cache kept in the credential when it is still valid, from the identity provider otherwise',
		defaults: { name: 'Acquire Token' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: credentialDescriptions(),
		properties: [
			authenticationProperty,
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				default: 'getToken',
				options: [
					{
						name: 'Get Token',
						value: 'getToken',
						action: 'Get an access token',
						description: 'Get an access token, from the cache when it is still valid',
					},
					{
						name: 'List Accounts',
						value: 'listAccounts',
						action: 'List signed in accounts',
						description: 'One item per person signed in with the credential (username, name, home account ID, tenant)',
					},
					{
						name: 'Sign Out',
						value: 'signOut',
						action: 'Sign an account out',
						description: 'Remove one person, or everyone, from the token cache in the credential',
					},
				],
			},
			{
				displayName: 'List Accounts and Sign Out need a credential that acts for a person (Device Code or Public Client)',
				name: 'appOnlyNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['listAccounts', 'signOut'], authentication: ['clientCredentials'] } },
			},
			{
				displayName: 'Accounts to Sign Out',
				name: 'signOutWhich',
				type: 'options',
				default: 'one',
				options: [
					{ name: 'All Accounts', value: 'all' },
					{ name: 'One Account', value: 'one' },
				],
				displayOptions: { show: { operation: ['signOut'], authentication: DELEGATED } },
			},
			{
				displayName: 'Account',
				name: 'signOutAccount',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'e.g. alice@contoso.com',
				description: 'Username (or home account ID) of the person to sign out, as List Accounts shows it',
				displayOptions: { show: { operation: ['signOut'], signOutWhich: ['one'], authentication: DELEGATED } },
			},
			{
				displayName: 'Scope',
				name: 'scopes',
				type: 'string',
				default: '',
				placeholder: 'e.g. https://graph.microsoft.com/.default',
				description:
					'Scope of the token; empty uses the credential\'s. App tokens take one scope: the API\'s resource followed by /.default, e.g. https://management.azure.com/.default.',
				displayOptions: { show: { operation: ['getToken'], authentication: ['clientCredentials'] } },
			},
			{
				displayName: 'Scopes',
				name: 'scopes',
				type: 'string',
				default: '',
				placeholder: 'e.g. User.Read Mail.Read',
				description:
					'Delegated permissions of the token, separated by spaces; empty uses the credential\'s. A permission the person has not consented to needs a new sign-in.',
				displayOptions: { show: { operation: ['getToken'], authentication: DELEGATED } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				displayOptions: { show: { operation: ['getToken'] } },
				options: [
					{
						displayName: 'Claims',
						name: 'claims',
						type: 'json',
						default: '',
						placeholder: '{"access_token":{"xms_cc":{"values":["cp1"]}}}',
						description:
							'Claims request (JSON) to add to the token request, e.g. from a Continuous Access Evaluation challenge. Always asks the identity provider.',
					},
					{
						displayName: 'Force Refresh',
						name: 'forceRefresh',
						type: 'boolean',
						default: false,
						description: 'Whether to ignore a cached token and ask the identity provider for a new one',
					},
				],
			},
			{ ...signInOptionsProperty, displayOptions: { show: { operation: ['getToken'], authentication: DELEGATED } } },
		],
	};

	methods = {
		credentialTest: CREDENTIAL_TESTS,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const authenticationName = this.getNodeParameter('authentication', 0, 'clientCredentials') as string;
		const authentication = authenticationNamed(authenticationName);
		const delegated = authentication.kind === 'delegated';
		const { credentialType } = authentication;
		const operation = this.getNodeParameter('operation', 0, 'getToken') as string;
		if (operation !== 'getToken') {
			if (!delegated) {
				throw toNodeError(
					this.getNode(),
					new InvalidInputError(`${operation === 'signOut' ? 'Sign Out' : 'List Accounts'} needs a credential that acts for a person.`, 'Choose Device Code or Public Client as Authentication.', 'Authentication'),
				);
			}
			return operation === 'signOut' ? await signOutOperation(this, credentialType, items.length) : await listAccountsOperation(this, credentialType, items.length);
		}
		const output: INodeExecutionData[] = new Array(items.length);
		let signInOptions: SignInNodeOptions = {};
		if (delegated) {
			try {
				signInOptions = readSignInOptions(this, this.getNodeParameter('signInOptions', 0, {}) as IDataObject);
			} catch (error) {
				throw toNodeError(this.getNode(), error);
			}
		}

		// Items asking for the same token share one acquisition.
		const groups = new Map<string, { request: DeviceCodeTokenRequest; itemIndexes: number[] }>();
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			let request: DeviceCodeTokenRequest;
			try {
				request = readTokenRequest(this, itemIndex, delegated);
				request.signIn = signInControls(this, authenticationName, signInOptions);
			} catch (error) {
				output[itemIndex] = failItem(this, error, itemIndex);
				continue;
			}
			const key = JSON.stringify([request.scopes ?? null, request.forceRefresh ?? false, request.claims ?? null, request.account ?? null]);
			const group = groups.get(key) ?? { request, itemIndexes: [] };
			group.itemIndexes.push(itemIndex);
			groups.set(key, group);
		}

		for (const { request, itemIndexes } of groups.values()) {
			try {
				const { token, warnings } = await acquireThroughCredentialStore(this, credentialType, request);
				for (const warning of warnings) this.logger.warn(warning);
				for (const itemIndex of itemIndexes) {
					output[itemIndex] = { json: tokenOutput(token), pairedItem: { item: itemIndex } };
				}
			} catch (error) {
				if (error instanceof SignInPendingError && error.prompt.mode === 'stop') await reportStoppedSignIn(this, signInOptions, error.prompt);
				for (const itemIndex of itemIndexes) output[itemIndex] = failItem(this, error, itemIndex);
			}
		}
		return [output];
	}
}

/** List Accounts: one item per signed-in person (no secrets), read from the credential's cache. */
async function listAccountsOperation(context: IExecuteFunctions, credentialType: string, itemCount: number): Promise<INodeExecutionData[][]> {
	try {
		const data = await context.getCredentials(credentialType, 0);
		const { accounts, warnings } = await listAccountsOf(credentialType, data);
		for (const warning of warnings) context.logger.warn(warning);
		const pairedItem = Array.from({ length: Math.max(1, itemCount) }, (_, item) => ({ item }));
		return [accounts.map((account) => ({ json: accountOutput(account), pairedItem }))];
	} catch (error) {
		return [[failItem(context, error, 0)]];
	}
}

/** Sign Out: removes the account(s) from the cache and saves it in the credential. */
async function signOutOperation(context: IExecuteFunctions, credentialType: string, itemCount: number): Promise<INodeExecutionData[][]> {
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < Math.max(1, itemCount); itemIndex++) {
		try {
			const which = context.getNodeParameter('signOutWhich', itemIndex, 'one') as string;
			const account = String(context.getNodeParameter('signOutAccount', itemIndex, '') ?? '').trim();
			if (which !== 'all' && !account) {
				throw new InvalidInputError('No account to sign out.', 'Enter the username shown by List Accounts, or choose All Accounts.', 'Account');
			}
			const removed = await runThroughCredentialStore(context, credentialType, signOutWork(credentialType, which === 'all' ? { all: true } : { account }));
			output.push({ json: { signedOut: removed.map(accountOutput), count: removed.length }, pairedItem: { item: itemIndex } });
		} catch (error) {
			output.push(failItem(context, error, itemIndex));
		}
	}
	return [output];
}

function accountOutput(account: AccountSummary): IDataObject {
	return { username: account.username, name: account.name ?? null, homeAccountId: account.homeAccountId, tenantId: account.tenantId, environment: account.environment };
}

function readTokenRequest(context: IExecuteFunctions, itemIndex: number, delegated: boolean): DeviceCodeTokenRequest {
	const scopes = (context.getNodeParameter('scopes', itemIndex, '') as string).trim();
	const options = context.getNodeParameter('options', itemIndex, {}) as TokenOptions;
	const account = delegated ? String((context.getNodeParameter('signInOptions', itemIndex, {}) as TokenOptions).account ?? '').trim() : '';
	let claims = options.claims;
	if (typeof claims === 'object' && claims !== null) claims = JSON.stringify(claims);
	if (claims) {
		try {
			JSON.parse(claims);
		} catch {
			throw new InvalidInputError(
				'Claims is not valid JSON.',
				'Paste the decoded claims challenge, e.g. {"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}.',
				'Claims',
			);
		}
	}
	return { scopes: scopes || undefined, forceRefresh: options.forceRefresh === true || undefined, claims: claims || undefined, account: account || undefined };
}

function tokenOutput(token: TokenResult): IDataObject {
	return {
		accessToken: token.accessToken,
		tokenType: token.tokenType,
		expiresOn: token.expiresOn,
		expiresInSeconds: Math.max(0, Math.floor((Date.parse(token.expiresOn) - Date.now()) / 1000)),
		scopes: token.scopes,
		tenantId: token.tenantId,
		fromCache: token.fromCache,
		correlationId: token.correlationId,
		...(token.account ? { account: token.account } : {}),
	};
}

/** With "continue on fail" the item carries the error; otherwise the execution stops with it. */
function failItem(context: IExecuteFunctions, error: unknown, itemIndex: number): INodeExecutionData {
	const nodeError = toNodeError(context.getNode(), error, itemIndex);
	if (!context.continueOnFail()) throw nodeError;
	const json: IDataObject = { error: nodeError.message, description: nodeError.description ?? undefined };
	// With "continue on fail" the prompt is data: the next node can mail or post it.
	if (error instanceof SignInPendingError) json.signInPrompt = promptItem(error.prompt, context);
	return { json, pairedItem: { item: itemIndex } };
}
