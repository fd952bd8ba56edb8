import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { InvalidInputError } from '../core/errors';
import { credentialKindNamed, CREDENTIAL_TESTS } from '../n8n/credentialKinds';
import { CLIENT_CREDENTIALS_CREDENTIAL_TYPE } from '../n8n/credentialTypes';
import { toNodeError } from '../n8n/itemErrors';
import { description } from './description';
import * as getToken from './operations/getToken.operation';
import * as onBehalfOf from './operations/onBehalfOf.operation';
import { isOnBehalfOf } from '../n8n/onBehalfOf';
import * as listAccounts from './operations/listAccounts.operation';
import * as signOut from './operations/signOut.operation';
import * as validateToken from './operations/validateToken.operation';
import { searchAccounts } from '../n8n/accountSearch';

// eslint-disable-next-line @n8n/community-nodes/icon-validation -- the icon is set in description.ts
export class MsalAcquireToken implements INodeType {
	description: INodeTypeDescription = description;

	methods = {
		credentialTest: CREDENTIAL_TESTS,
		listSearch: { searchAccounts },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const kind = credentialKindNamed(this.getNodeParameter('authentication', 0, 'clientCredentials') as string);
		const operation = this.getNodeParameter('operation', 0, 'getToken') as string;
		if (operation === 'getToken' && isOnBehalfOf(this, String(kind.option.value)))
			return await onBehalfOf.execute(this);
		if (operation === 'getToken') return await getToken.execute(this, kind);
		if (operation === 'validateToken') {
			if (this.getNode().typeVersion >= 2)
				throw toNodeError(
					this.getNode(),
					new InvalidInputError(
						'Validate Token is no longer an operation of this node (version 2).',
						"Use the 'Microsoft Entra ID Token Validation' node, with the same settings.",
						'Operation',
					),
				);
			if (kind.credentialType !== CLIENT_CREDENTIALS_CREDENTIAL_TYPE)
				throw toNodeError(
					this.getNode(),
					new InvalidInputError(
						"Validate Token needs the API's own app registration.",
						'Choose Client Credentials as Authentication, with the credential of the app that exposes the API.',
						'Authentication',
					),
				);
			return await validateToken.execute(this);
		}
		if (kind.tokens !== 'delegated') {
			throw toNodeError(
				this.getNode(),
				new InvalidInputError(
					`${operation === 'signOut' ? 'Sign Out' : 'List Accounts'} needs a credential that acts for a person.`,
					'Choose Device Code or Public Client as Authentication.',
					'Authentication',
				),
			);
		}
		const run = operation === 'signOut' ? signOut.execute : listAccounts.execute;
		return await run(this, kind.credentialType, kind.appFrom);
	}
}
