import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';
import { credentialKindNamed } from './credentialKinds';
import { listAccountsOf } from './delegatedAdapter';

/**
 * The account pickers' list: the people signed in with the node's credential, read from its
 * cache without any request. The value is the home account ID, which a person cannot change.
 */
export async function searchAccounts(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const kind = credentialKindNamed(this.getNodeParameter('authentication', 'clientCredentials') as string);
	if (kind.tokens !== 'delegated') return { results: [] };
	const { accounts } = await listAccountsOf(kind.appFrom, await this.getCredentials(kind.credentialType));
	const wanted = (filter ?? '').trim().toLowerCase();
	return {
		results: accounts
			.filter(
				(a) => !wanted || a.username.toLowerCase().includes(wanted) || (a.name ?? '').toLowerCase().includes(wanted),
			)
			.map((a) => ({ name: a.name ? `${a.name} (${a.username})` : a.username, value: a.homeAccountId })),
	};
}
