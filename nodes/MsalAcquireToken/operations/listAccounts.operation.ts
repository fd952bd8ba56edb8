import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { escapeForLog } from '../../core/logging';
import type { DelegatedAppFrom } from '../../n8n/delegatedAdapter';
import { listAccountsOf } from '../../n8n/delegatedAdapter';
import { failedItem } from '../../n8n/itemErrors';
import { accountOutput } from './accountOutput';

/** List Accounts: one item per signed-in person (no secrets), read from the credential's cache. */
export async function execute(
	context: IExecuteFunctions,
	credentialType: string,
	appFrom: DelegatedAppFrom,
): Promise<INodeExecutionData[][]> {
	const itemCount = context.getInputData().length;
	try {
		const data = await context.getCredentials(credentialType, 0);
		const { accounts, warnings } = await listAccountsOf(appFrom, data);
		for (const warning of warnings) context.logger.warn(escapeForLog(warning));
		const pairedItem = Array.from({ length: Math.max(1, itemCount) }, (_, item) => ({ item }));
		return [accounts.map((account) => ({ json: accountOutput(account), pairedItem }))];
	} catch (error) {
		return [[failedItem(context, error, 0)]];
	}
}
