// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in: the platform writes the assertion to a file
import { readFile } from 'node:fs/promises';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in: paths are compared resolved
import { resolve } from 'node:path';
import type { CloudName } from './clouds';
import { InvalidInputError } from './errors';
import { isContainedWithin, isFilePathBlocked, realPathOf } from './fileAccess';
import {
	assertAmbientIdentityEnabled,
	FEDERATED_TOKEN_FILE_ENV,
	platformTokenFile,
	tokenFileFolders,
	FILE_FOLDERS_ENV,
	type AmbientUse,
} from './hostIdentity';
import { log } from './logging';
import { quote } from './quote';

export { FEDERATED_TOKEN_FILE_ENV };

export const TOKEN_FILE_FIELD = 'Token File Path';

/**
 * A platform token (a projected service account token, from a file or the environment) lends the
 * n8n host's workload identity: it is used only when the administrator turned that on, and only
 * with Microsoft Entra ID's sign-in host of a Microsoft cloud, never sent to a custom authority
 * (which could redeem it at Entra as this workload). Checked before anything is read or sent.
 */
export function assertPlatformTokenMayBeUsed(cloud: CloudName, use: AmbientUse): void {
	assertAmbientIdentityEnabled(use);
	if (cloud === 'custom') {
		throw new InvalidInputError(
			`${use.what} sends the n8n host's platform token, which goes only to Microsoft Entra ID's sign-in host of the chosen cloud (login.microsoftonline.com, login.microsoftonline.us or login.chinacloudapi.cn), never to a custom authority. Refused before any request.`,
			`Set Cloud to Global, US Government or China instead of Custom Authority (and clear Authority URL), or choose another Client Authentication (a Federated Client Assertion given as a Value may go to a custom authority).`,
			'Cloud',
		);
	}
}

/** The token file's path: the field, else AZURE_FEDERATED_TOKEN_FILE. */
export function federatedTokenFilePath(configured: string | undefined): string {
	const path = (configured ?? '').trim() || platformTokenFile();
	if (!path) {
		throw new InvalidInputError(
			`${TOKEN_FILE_FIELD} is empty and ${FEDERATED_TOKEN_FILE_ENV} is not set in the n8n process.`,
			`Leave ${TOKEN_FILE_FIELD} empty and have ${FEDERATED_TOKEN_FILE_ENV} set in n8n's environment (AKS workload identity sets it), or give a path in a folder the administrator lists in ${FILE_FOLDERS_ENV}.`,
			TOKEN_FILE_FIELD,
		);
	}
	return path;
}

/**
 * The one error for a token file that cannot be used, whatever the reason (outside the allowed
 * places, refused by n8n's file-access settings, missing, unreadable, not a JWT): it says nothing
 * of whether the file exists or what it holds, so the field is no probe of the server's files.
 * The reason goes to n8n's log, for the administrator.
 */
function unusableTokenFile(reason: string): InvalidInputError {
	log('debug', `The federated token file was refused: ${reason}.`);
	return new InvalidInputError(
		`The token file in ${TOKEN_FILE_FIELD} cannot be used.`,
		`A token file is read only from the path in ${FEDERATED_TOKEN_FILE_ENV} or from a folder the n8n administrator lists in ${FILE_FOLDERS_ENV}, where n8n's file-access settings (N8N_RESTRICT_FILE_ACCESS_TO, N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES) allow it, and it must hold the platform's token (one JWT) readable by n8n. Leave ${TOKEN_FILE_FIELD} empty to use ${FEDERATED_TOKEN_FILE_ENV}; the n8n log (debug level) tells the administrator which rule refused it.`,
		TOKEN_FILE_FIELD,
	);
}

async function realFolders(folders: string[]): Promise<string[]> {
	const real = await Promise.all(folders.map(async (folder) => await realPathOf(folder)));
	return real.filter((folder): folder is string => folder !== undefined);
}

/**
 * Reads the token file, if it is where the administrator put token files: the path in
 * AZURE_FEDERATED_TOKEN_FILE, or a path inside a folder of N8N_MSAL_TOKEN_FILE_PATHS. Both the path
 * as given and its real path (symbolic links resolved) must be there, and n8n's file-access
 * settings apply to the real path; N8N_RESTRICT_FILE_ACCESS_TO (the folders of n8n's file nodes)
 * applies to the folders of N8N_MSAL_TOKEN_FILE_PATHS, not to the platform's own path.
 */
async function readTokenFile(path: string): Promise<string> {
	const platformFile = platformTokenFile();
	const folders = tokenFileFolders();
	const isPlatformPath = platformFile !== '' && resolve(platformFile) === resolve(path);
	// Nothing on disk is looked at for a path outside the allowed places.
	if (!isPlatformPath && !folders.some((folder) => isContainedWithin(folder, path)))
		throw unusableTokenFile(`${quote(path)} is neither ${FEDERATED_TOKEN_FILE_ENV} nor inside ${FILE_FOLDERS_ENV}`);
	const real = await realPathOf(path);
	if (real === undefined)
		throw unusableTokenFile(`${quote(path)} has no real path (missing, or a folder on the way cannot be read)`);
	const realPlatform = isPlatformPath ? await realPathOf(platformFile) : undefined;
	const viaPlatform = realPlatform !== undefined && realPlatform === real;
	if (!viaPlatform && !(await realFolders(folders)).some((folder) => isContainedWithin(folder, real))) {
		throw unusableTokenFile(`${quote(path)} leads to ${quote(real)}, outside ${FILE_FOLDERS_ENV}`);
	}
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- n8n's file-access settings are environment variables
	const env = viaPlatform ? { ...process.env, N8N_RESTRICT_FILE_ACCESS_TO: undefined } : process.env;
	if (isFilePathBlocked(real, env)) throw unusableTokenFile(`${quote(real)} is refused by n8n's file-access settings`);
	let content: string;
	try {
		content = await readFile(real, 'utf8');
	} catch (error) {
		throw unusableTokenFile(`${quote(real)} could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
	}
	const assertion = content.trim();
	if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(assertion)) throw unusableTokenFile(`${quote(real)} does not hold a JWT`);
	return assertion;
}

/**
 * MSAL's client-assertion callback for a token file. MSAL Node 7 calls it on every
 * acquireTokenByClientCredential (also on a cache hit), and the file is read on every call:
 * the projected token is rotated by the platform, so it is never kept past its own expiry.
 */
export function federatedTokenFileAssertion(configured: string | undefined): () => Promise<string> {
	federatedTokenFilePath(configured);
	// The path is taken again at each call: the application is kept, the environment read now.
	return async () => await readTokenFile(federatedTokenFilePath(configured));
}
