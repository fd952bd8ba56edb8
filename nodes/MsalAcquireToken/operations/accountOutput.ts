import type { IDataObject } from 'n8n-workflow';
import type { AccountSummary } from '../../core/delegated';

/** A signed-in person as output: who, never anything secret. */
export function accountOutput(account: AccountSummary): IDataObject {
	return {
		username: account.username,
		name: account.name ?? null,
		homeAccountId: account.homeAccountId,
		tenantId: account.tenantId,
		environment: account.environment,
	};
}
