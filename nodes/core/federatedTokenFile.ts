// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in: the platform writes the assertion to a file
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from './errors';
import { quote } from './quote';

/** The environment variable AKS workload identity (and others) set to the projected token's path. */
export const FEDERATED_TOKEN_FILE_ENV = 'AZURE_FEDERATED_TOKEN_FILE';

/** The token file's path: the field, else AZURE_FEDERATED_TOKEN_FILE. */
export function federatedTokenFilePath(configured: string | undefined): string {
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- AZURE_FEDERATED_TOKEN_FILE is where the platform says the token is
	const path = (configured ?? '').trim() || (process.env[FEDERATED_TOKEN_FILE_ENV] ?? '').trim();
	if (!path) {
		throw new InvalidInputError(
			`Token File Path is empty and ${FEDERATED_TOKEN_FILE_ENV} is not set in the n8n process.`,
			`Give the path of the projected service account token, or set ${FEDERATED_TOKEN_FILE_ENV} (AKS workload identity sets it).`,
			'Token File Path',
		);
	}
	return path;
}

/**
 * MSAL's client-assertion callback for a token file. MSAL Node 7 calls it on every
 * acquireTokenByClientCredential (also on a cache hit), and the file is read on every call:
 * the projected token is rotated by the platform, so it is never kept past its own expiry.
 */
export function federatedTokenFileAssertion(configured: string | undefined): () => Promise<string> {
	const path = federatedTokenFilePath(configured);
	return async () => {
		let content: string;
		try {
			content = await readFile(path, 'utf8');
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code ?? String(error);
			throw new InvalidInputError(
				`The federated token file ${quote(path)} could not be read (${code}).`,
				'Check that the file exists and that the n8n process may read it (for AKS: the pod has the azure.workload.identity/use label and its service account is annotated with the client ID).',
				'Token File Path',
			);
		}
		const assertion = content.trim();
		if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(assertion)) {
			throw new InvalidInputError(
				`The federated token file ${quote(path)} does not hold a JWT.`,
				'Point Token File Path at the projected service account token (one signed JWT).',
				'Token File Path',
			);
		}
		return assertion;
	};
}
