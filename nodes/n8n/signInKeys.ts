// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in: n8n keeps its instance key in this file
import { readFileSync } from 'node:fs';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, for the path of n8n's settings file
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { processWide } from '../core/processWide';
import { deriveSignInKeys, type SignInKeys } from '../core/signInState';

/**
 * The browser sign-in's keys (core/signInState.ts), derived from n8n's instance encryption key,
 * so that every process of one n8n instance (main, webhook processors, workers in queue mode)
 * and every restart derives the same keys: a sign-in begun by one completes on another.
 *
 * n8n 2.x (n8n-core InstanceSettings, @n8n/config) takes the key from the settings file
 * `<N8N_USER_FOLDER, else HOME>/.n8n/config` (JSON, `encryptionKey`) when that file exists —
 * and refuses to start when N8N_ENCRYPTION_KEY differs from it — else from N8N_ENCRYPTION_KEY
 * (or the file named by N8N_ENCRYPTION_KEY_FILE). Nodes get no API for it, so it is read the
 * same way here.
 */
export function signInKeys(): SignInKeys {
	return processWide('signInKeys', () => {
		const secret = n8nEncryptionKey();
		// Without n8n's key (an unusual layout), a random key for this process: sign-ins still work,
		// but only when both steps reach this process before it restarts, and the links a node
		// showed are signed for this process only.
		return deriveSignInKeys(secret ?? randomBytes(32));
	});
}

/** n8n's instance encryption key, or undefined when it cannot be read. */
export function n8nEncryptionKey(env: NodeJS.ProcessEnv = readEnv()): string | undefined {
	const home = env.N8N_USER_FOLDER ?? env.HOME ?? env.USERPROFILE;
	try {
		if (home === undefined) throw new Error('no home folder');
		const settings = JSON.parse(readFileSync(join(home, '.n8n', 'config'), 'utf8')) as { encryptionKey?: unknown };
		if (typeof settings.encryptionKey === 'string' && settings.encryptionKey !== '') return settings.encryptionKey;
	} catch {
		// No settings file (key from the environment only), or unreadable: try the environment.
	}
	let fromEnv = env.N8N_ENCRYPTION_KEY;
	if (fromEnv === undefined && env.N8N_ENCRYPTION_KEY_FILE) {
		try {
			fromEnv = readFileSync(env.N8N_ENCRYPTION_KEY_FILE, 'utf8');
		} catch {
			fromEnv = undefined;
		}
	}
	// n8n's normalization of environment values: trimmed, one pair of enclosing quotes removed.
	const normalized = fromEnv?.trim().replace(/^(['"])(.*)\1$/, '$2');
	return normalized || undefined;
}

function readEnv(): NodeJS.ProcessEnv {
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- n8n's instance key is configured in its environment
	return process.env;
}
