/**
 * n8n's file-access settings, as n8n-core's isFilePathBlocked applies them (1.123, 2.38), on real
 * paths; N8N_RESTRICT_FILE_ACCESS_TO unset restricts nothing here (see fileAccess.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isContainedWithin, isFilePathBlocked, realPathOf } from '../../nodes/core/fileAccess';

const HOME = '/home/node';

describe("n8n's file-access settings", () => {
	it("N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES (on unless 'false'): n8n's folder, static cache, config files, extensions, binary data, e-mail templates", () => {
		const env = {
			HOME,
			N8N_CONFIG_FILES: '/etc/n8n/a.json,/etc/n8n/b.json',
			N8N_CUSTOM_EXTENSIONS: '/opt/ext1;/opt/ext2',
			N8N_BINARY_DATA_STORAGE_PATH: '/data/binary',
			N8N_UM_EMAIL_TEMPLATES_INVITE: '/data/invite.html',
			N8N_UM_EMAIL_TEMPLATES_PWRESET: '/data/reset.html',
		};
		for (const path of [
			`${HOME}/.n8n`,
			`${HOME}/.n8n/config`,
			`${HOME}/.cache/n8n/public/index.html`,
			'/etc/n8n/b.json',
			'/opt/ext2/node.js',
			'/data/binary/x',
			'/data/invite.html',
			'/data/reset.html',
		]) {
			expect(isFilePathBlocked(path, env)).toBe(true);
			expect(isFilePathBlocked(path, { ...env, N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES: 'false' })).toBe(false);
		}
		expect(isFilePathBlocked(`${HOME}/.n8n-files/token`, env)).toBe(false);
		expect(isFilePathBlocked('/srv/n8n/.n8n/config', { N8N_USER_FOLDER: '/srv/n8n' })).toBe(true);
	});

	it('N8N_BLOCK_FILE_PATTERNS: by default any .git folder; a pattern that does not compile blocks everything', () => {
		expect(isFilePathBlocked('/repo/.git/config', { HOME })).toBe(true);
		expect(isFilePathBlocked('/repo/.github/token', { HOME })).toBe(false);
		expect(isFilePathBlocked('/tokens/secret', { HOME, N8N_BLOCK_FILE_PATTERNS: 'secret$' })).toBe(true);
		expect(isFilePathBlocked('/tokens/a', { HOME, N8N_BLOCK_FILE_PATTERNS: '(' })).toBe(true);
	});

	it('N8N_RESTRICT_FILE_ACCESS_TO: only inside one of its `;`-separated folders (`~` the home folder), not a look-alike', () => {
		const env = { HOME, N8N_RESTRICT_FILE_ACCESS_TO: '/data/files; ~/tokens' };
		expect(isFilePathBlocked('/data/files/t', env)).toBe(false);
		expect(isFilePathBlocked(join(homedir(), 'tokens', 't'), env)).toBe(false);
		expect(isFilePathBlocked('/data/files-other/t', env)).toBe(true);
		expect(isFilePathBlocked('/var/run/secrets/t', env)).toBe(true);
		expect(isFilePathBlocked('/var/run/secrets/t', { HOME })).toBe(false);
	});

	it('isContainedWithin is on resolved paths', () => {
		expect(isContainedWithin('/a/b', '/a/b')).toBe(true);
		expect(isContainedWithin('/a/b', '/a/b/c')).toBe(true);
		expect(isContainedWithin('/a/b', '/a/b/../c')).toBe(false);
		expect(isContainedWithin('/a/b', '/a/bc')).toBe(false);
	});

	it('realPathOf resolves symbolic links, and is undefined for a missing file', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'file-access-'));
		writeFileSync(join(dir, 'target'), 'x');
		symlinkSync(join(dir, 'target'), join(dir, 'link'));
		expect(await realPathOf(join(dir, 'link'))).toBe(await realPathOf(join(dir, 'target')));
		expect(await realPathOf(join(dir, 'missing'))).toBeUndefined();
	});
});
