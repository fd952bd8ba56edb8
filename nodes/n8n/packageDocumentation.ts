// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, allowed for self-hosted n8n
import { existsSync, readFileSync } from 'node:fs';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, allowed for self-hosted n8n
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'n8n-nodes-msal';
/** Where the guides are when package.json cannot be read (never in an installed package). */
const FALLBACK = `https://www.npmjs.com/package/${PACKAGE_NAME}`;

/**
 * The repository's address, from package.json's `homepage` (`https://github.com/OWNER/REPO#readme`):
 * package.json is the one place that holds it (scripts/packageMetadata.ts checks it), so a fork
 * that changes it gets its own guides. Found by walking up from this file, since it runs from
 * dist/nodes/n8n in the package and from nodes/n8n in the tests.
 */
function repositoryUrl(): string | undefined {
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- where this file is decides which package.json is its own
	for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
		const path = join(dir, 'package.json');
		if (!existsSync(path)) continue;
		try {
			const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; homepage?: unknown };
			if (pkg.name !== PACKAGE_NAME) continue;
			return typeof pkg.homepage === 'string' ? pkg.homepage.replace(/#.*$/, '').replace(/\/+$/, '') : undefined;
		} catch {
			return undefined;
		}
	}
	return undefined;
}

/** The address of one of the package's guides, e.g. `docs/credentials/client-credentials.md`. */
export function guideUrl(pathInRepository: string): string {
	const repository = repositoryUrl();
	return repository ? `${repository}/blob/main/${pathInRepository}` : FALLBACK;
}
