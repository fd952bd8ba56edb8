/**
 * (d) Validate Token: 1,000 incoming tokens validated against the authority's keys as the Entra ID
 * Protected Webhook Trigger does (jose's jwtVerify, then Entra's issuer, tenant, client app and
 * scope checks), with the keys already cached, beside a plain `jose` jwtVerify of the same token
 * with a local key set (no network). What ours adds to jose is the figure; key fetches during the
 * loops must be 0.
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { SigningKeySet } from '../nodes/core/entraApi/signingKeys';
import { validateAccessToken, type TokenValidationSettings } from '../nodes/core/entraApi/validateToken';
import type { Rig } from '../test/rig/rig';
import { userToken } from '../test/rig/userToken';
import { check, interleavedMicroseconds } from './measure';

export const VALIDATIONS = 1000;

export interface ValidateTokenResult {
	/** The whole validation of the Protected Webhook Trigger. */
	oursUs: number;
	joseUs: number;
	/** Discovery + key-set fetches made by the 7 × 1,000 validations (after the first). */
	keyFetchesDuringLoops: number;
	/** Requests the identity provider saw for its keys or discovery during the loops. */
	idpKeyRequestsDuringLoops: number;
}

export async function benchValidateToken(rig: Rig): Promise<ValidateTokenResult> {
	const token = await userToken(rig, rig.n8nApi.scope);
	const keys = new SigningKeySet(rig.authority);
	const settings: TokenValidationSettings = {
		clientId: rig.n8nApi.clientId,
		requiredScopes: ['access_as_user'],
		cloud: 'custom',
	};
	const first = await validateAccessToken(token, keys, settings);
	check(first.oid === rig.users[0].oid, 'the first validation returned another caller');
	const fetchesBefore = keys.fetches;

	const jwks = (await (await fetch(rig.jwksUri)).json()) as JSONWebKeySet;
	const localKeys = createLocalJWKSet(jwks);
	const audience = [rig.n8nApi.clientId, rig.n8nApi.resource];

	await rig.reset();
	const [oursUs, joseUs] = await interleavedMicroseconds(
		[
			async () => {
				const claims = await validateAccessToken(token, keys, settings);
				if (!claims.scp?.includes('access_as_user')) throw new Error('validation lost the scope');
			},
			async () => {
				const { payload } = await jwtVerify(token, localKeys, {
					issuer: rig.issuer,
					audience,
					algorithms: ['RS256'],
					clockTolerance: 60,
				});
				if (!String(payload.scp).split(' ').includes('access_as_user')) throw new Error('jose lost the scope');
			},
		],
		VALIDATIONS,
		7,
		200,
	);
	let stats;
	try {
		stats = await rig.stats();
	} catch {
		stats = await rig.stats();
	}
	return {
		oursUs,
		joseUs,
		keyFetchesDuringLoops: keys.fetches - fetchesBefore,
		idpKeyRequestsDuringLoops: (stats.requests.jwks ?? 0) + (stats.requests.discovery ?? 0),
	};
}
