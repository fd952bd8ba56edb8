// jose 6 (ESM-only) through Node's require(esm), as n8n loads openid-client: jose 5, the last CommonJS line, is past its end of life (2026-04-30).
/**
 * Required on first use, not when the nodes load: n8n 1.x also runs on Node 22.0-22.11, whose
 * require() refuses ES modules (20.19+, 22.12+ and 24 load them); there Acquire Token keeps
 * working and validation says why it cannot run.
 */
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- jose verifies the JWS and JWT of a self-hosted-only package (README: n8n Cloud)
import type * as Jose from 'jose';

let loaded: Promise<typeof Jose> | undefined;

export function jose(): Promise<typeof Jose> {
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- see above
	loaded ??= import('jose').catch((error: unknown) => {
		loaded = undefined;
		if ((error as { code?: unknown }).code !== 'ERR_REQUIRE_ESM') throw error;
		throw new Error(
			// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- the Node version, for the fix
			`Token validation needs Node.js 20.19 or later (22.12 or later on Node 22), which loads ES modules with require(); this n8n runs on Node ${process.version}. Run n8n on a newer Node.`,
		);
	});
	return loaded;
}
