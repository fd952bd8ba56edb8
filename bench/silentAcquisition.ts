/**
 * (a) One silent acquisition served from the cache as this package stores it (the envelope the
 * credential holds: read, deserialized, looked up) against raw MSAL Node's in-memory cache hit.
 *
 * - warm: the same stored string on every call (steady state inside one n8n process: the stored
 *   cache did not change, so the process's MSAL application already holds it);
 * - cold: a stored string this process has not seen on every call (forces parse + deserialize +
 *   lookup): N valid copies of the stored cache with increasing revisions;
 * - raw: a ConfidentialClientApplication with the token in its in-memory cache, same scopes.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { acquireAppToken, type ClientCredentialsSettings } from '../nodes/core/clientCredentials';
import type { Rig } from '../test/rig/rig';
import { check, interleavedMicroseconds } from './measure';

const ROUNDS = 7;

export interface SilentResult {
	warmUs: number;
	coldUs: number;
	rawUs: number;
	storedBytes: number;
	tokenRequestsDuringLoops: number;
}

export async function benchSilentAcquisition(rig: Rig, iterations = 5000): Promise<SilentResult> {
	const settings: ClientCredentialsSettings = {
		cloud: 'custom',
		authorityUrl: rig.authority,
		clientId: rig.clients.secret.clientId,
		authentication: { method: 'secret', clientSecret: rig.clients.secret.clientSecret },
		scopes: rig.api.scope,
	};
	const scopes = [rig.api.scope];

	// The first token is real: from the rig's identity provider.
	const first = await acquireAppToken(settings, undefined, {});
	check(first.cacheToStore, 'the first acquisition produced no cache to store');
	const stored = first.cacheToStore;

	const raw = new ConfidentialClientApplication({
		auth: {
			clientId: rig.clients.secret.clientId,
			authority: rig.authority,
			knownAuthorities: [rig.knownAuthority],
			clientSecret: rig.clients.secret.clientSecret,
		},
	});
	const rawFirst = await raw.acquireTokenByClientCredential({ scopes });
	check(rawFirst?.accessToken, 'raw MSAL obtained no token');

	// Stored copies this process has not seen: same tokens, newer revisions.
	const envelope = JSON.parse(stored) as { revision: number };
	const copies = 500 + ROUNDS * iterations + 1;
	const unseen = Array.from({ length: copies }, (_, i) =>
		JSON.stringify({ ...envelope, revision: envelope.revision + 1 + i }),
	);

	await rig.reset();
	const [warmUs, coldUs, rawUs] = await interleavedMicroseconds(
		[
			async () => {
				const outcome = await acquireAppToken(settings, stored, {});
				if (!outcome.token.fromCache || outcome.cacheToStore !== undefined)
					throw new Error('warm acquisition did not come from the cache');
			},
			async (i) => {
				const outcome = await acquireAppToken(settings, unseen[i], {});
				if (!outcome.token.fromCache || outcome.cacheToStore !== undefined)
					throw new Error('cold acquisition did not come from the cache');
			},
			async () => {
				const result = await raw.acquireTokenByClientCredential({ scopes });
				if (!result?.fromCache) throw new Error('raw MSAL did not answer from its cache');
			},
		],
		iterations,
		ROUNDS,
	);
	// The loops leave the rig's admin connection idle past the server's keep-alive: one retry.
	const stats = await rig.stats().catch(() => rig.stats());
	const tokenRequestsDuringLoops = stats.requests.token ?? 0;
	check(tokenRequestsDuringLoops === 0, `the cache loops made ${tokenRequestsDuringLoops} token requests`);
	return { warmUs, coldUs, rawUs, storedBytes: stored.length, tokenRequestsDuringLoops };
}
