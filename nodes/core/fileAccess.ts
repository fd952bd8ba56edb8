// Hand-written copy of n8n-core's isFilePathBlocked (2.38): n8n hands it only to a node's execute() helpers, never to a credential's preAuthentication, authenticate or Test, where token files are read.
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in: n8n's rules are applied to the file's real path
import { realpath } from 'node:fs/promises';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, as n8n's own rules use it
import { homedir } from 'node:os';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, as n8n's own rules use it
import { dirname, join, posix, resolve, sep } from 'node:path';

/**
 * n8n's file-access settings, with n8n's meaning (n8n-core file-system-helper-functions, 1.123 and
 * 2.38):
 * - N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES (on unless "false"): n8n's user folder (`.n8n` under
 *   N8N_USER_FOLDER, else the home folder), its static cache (`.cache/n8n/public` beside it), and
 *   N8N_CONFIG_FILES (`,`), N8N_CUSTOM_EXTENSIONS (`;`), N8N_BINARY_DATA_STORAGE_PATH and the
 *   user-management e-mail templates are never read;
 * - N8N_BLOCK_FILE_PATTERNS (`;`-separated regular expressions, default: any `.git` folder);
 * - N8N_RESTRICT_FILE_ACCESS_TO (`;`, `~` is the home folder): when set, only paths inside one of
 *   them. Unset means no restriction here: n8n 2.x's default (~/.n8n-files) is the folder of its
 *   file nodes, and N8N_MSAL_TOKEN_FILE_PATHS already is the allow-list of token files.
 * Every check is on the real path (symbolic links resolved), as n8n checks it.
 */
const DEFAULT_BLOCK_FILE_PATTERNS = '^(?:[^/]*/)*\\.git(?:/.*)?$';

type Environment = Record<string, string | undefined>;

/** n8n's isContainedWithin (@n8n/backend-common): the same path, or below it. */
export function isContainedWithin(parent: string, child: string): boolean {
	const parentPath = resolve(parent);
	const childPath = resolve(child);
	return parentPath === childPath || childPath.startsWith(parentPath + sep);
}

const list = (value: string | undefined, separator: string) =>
	(value ?? '')
		.split(separator)
		.map((entry) => entry.trim())
		.filter(Boolean);

function n8nFolder(env: Environment): string {
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- n8n's own fallback for its user folder
	return join(env.N8N_USER_FOLDER ?? env.HOME ?? process.cwd(), '.n8n');
}

function n8nRestrictedPaths(env: Environment): string[] {
	const folder = n8nFolder(env);
	return [
		folder,
		join(dirname(folder), '.cache/n8n/public'),
		...list(env.N8N_CONFIG_FILES, ','),
		...list(env.N8N_CUSTOM_EXTENSIONS, ';'),
		...list(env.N8N_BINARY_DATA_STORAGE_PATH, '\0'),
		...list(env.N8N_UM_EMAIL_TEMPLATES_INVITE, '\0'),
		...list(env.N8N_UM_EMAIL_TEMPLATES_PWRESET, '\0'),
	];
}

function isFilePatternBlocked(realPath: string, env: Environment): boolean {
	const normalized = posix.normalize(realPath.replace(/\\/g, '/'));
	return list(env.N8N_BLOCK_FILE_PATTERNS ?? DEFAULT_BLOCK_FILE_PATTERNS, ';').some((pattern) => {
		try {
			return new RegExp(pattern, 'mi').test(normalized);
		} catch {
			// n8n blocks every path when a pattern does not compile.
			return true;
		}
	});
}

/** Whether n8n's file-access settings forbid reading `realPath` (a path with symbolic links resolved). */
export function isFilePathBlocked(
	realPath: string,
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- n8n's file-access settings are environment variables
	env: Environment = process.env,
): boolean {
	if (env.N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES !== 'false') {
		if (n8nRestrictedPaths(env).some((restricted) => isContainedWithin(restricted, realPath))) return true;
	}
	if (isFilePatternBlocked(realPath, env)) return true;
	const allowed = list(env.N8N_RESTRICT_FILE_ACCESS_TO, ';').map((path) =>
		path.startsWith('~') ? path.replace('~', homedir()) : path,
	);
	return allowed.length > 0 && !allowed.some((folder) => isContainedWithin(folder, realPath));
}

/** The real path of a file (symbolic links resolved), or undefined when there is none to read. */
export async function realPathOf(path: string): Promise<string | undefined> {
	try {
		return await realpath(path);
	} catch {
		return undefined;
	}
}
