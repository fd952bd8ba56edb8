import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { InvalidInputError } from '../../core/errors';
import { DELEGATED_KIND_NAMES } from '../../n8n/credentialKinds';
import { runThroughCredentialStore } from '../../n8n/credentialStore';
import { PUBLIC_CLIENT_CREDENTIAL_TYPE } from '../../n8n/credentialTypes';
import { signOutWork, type DelegatedAppFrom } from '../../n8n/delegatedAdapter';
import { failedItem } from '../../n8n/itemErrors';
import { accountLocator } from '../../n8n/nodeProperties';
import { locatorValue } from '../../n8n/parameterValues';
import { rotatingSignInKey } from '../../n8n/signInKeys';
import { accountOutput } from './accountOutput';

export const properties: INodeProperties[] = [
	{
		displayName: 'Accounts to Sign Out',
		name: 'signOutWhich',
		type: 'options',
		default: 'one',
		options: [
			{ name: 'All Accounts', value: 'all' },
			{ name: 'One Account', value: 'one' },
		],
		displayOptions: { show: { operation: ['signOut'], authentication: DELEGATED_KIND_NAMES } },
	},
	{
		...accountLocator('Account'),
		name: 'signOutAccount',
		required: true,
		description: 'The person to sign out, as List Accounts shows them',
		displayOptions: {
			show: { operation: ['signOut'], signOutWhich: ['one'], authentication: DELEGATED_KIND_NAMES },
		},
	},
];

/** Sign Out: removes the account(s) from the cache and saves it in the credential; a public client's sign-in key is replaced. */
export async function execute(
	context: IExecuteFunctions,
	credentialType: string,
	appFrom: DelegatedAppFrom,
): Promise<INodeExecutionData[][]> {
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < Math.max(1, context.getInputData().length); itemIndex++) {
		try {
			const which = context.getNodeParameter('signOutWhich', itemIndex, 'one') as string;
			const account = locatorValue(context.getNodeParameter('signOutAccount', itemIndex, ''));
			if (which !== 'all' && !account) {
				throw new InvalidInputError(
					'No account to sign out.',
					'Enter the username shown by List Accounts, or choose All Accounts.',
					'Account',
				);
			}
			const work = signOutWork(appFrom, which === 'all' ? { all: true } : { account });
			const removed = await runThroughCredentialStore(
				context,
				credentialType,
				// The browser sign-in's links and sign-ins under way end with it.
				credentialType === PUBLIC_CLIENT_CREDENTIAL_TYPE ? rotatingSignInKey(work) : work,
			);
			output.push({
				json: { signedOut: removed.map(accountOutput), count: removed.length },
				pairedItem: { item: itemIndex },
			});
		} catch (error) {
			output.push(failedItem(context, error, itemIndex));
		}
	}
	return [output];
}
