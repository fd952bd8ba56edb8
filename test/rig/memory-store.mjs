// In-memory storage adapter for oidc-provider.
//
// Why not oidc-provider's own MemoryAdapter: it is an LRU capped at 1000 entries
// (benchmarks would evict live tokens), it is shared by every Provider instance in
// the process, and it offers no way to list tokens, which the rig needs to revoke a
// user's refresh tokens. Entries expire by their `expiresIn`.
//
// Entra difference: ReplayDetection never remembers anything, because MSAL re-sends
// the same client assertion until it expires and Entra accepts that (oidc-provider
// would answer "client assertion tokens must only be used once"), and redeemed
// refresh tokens are not marked consumed (see consume()).

export function createMemoryStore(state) {
	const entries = new Map(); // `${model}:${id}` -> { payload, expiresAt }

	const live = (key) => {
		const entry = entries.get(key);
		if (!entry) return undefined;
		if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
			entries.delete(key);
			return undefined;
		}
		return entry.payload;
	};

	class Adapter {
		constructor(model) {
			this.model = model;
		}

		key(id) {
			return `${this.model}:${id}`;
		}

		async upsert(id, payload, expiresIn) {
			if (this.model === 'ReplayDetection') return;
			entries.set(this.key(id), {
				payload: { ...payload },
				expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined,
			});
		}

		async find(id) {
			if (this.model === 'ReplayDetection') return undefined;
			const payload = live(this.key(id));
			if (payload && this.model === 'RefreshToken') return widenToGrant(payload);
			return payload ? { ...payload } : undefined;
		}

		async findByUserCode(userCode) {
			return this.findWhere((p) => p.userCode === userCode);
		}

		async findByUid(uid) {
			return this.findWhere((p) => p.uid === uid);
		}

		async findWhere(predicate) {
			for (const key of entries.keys()) {
				if (!key.startsWith(`${this.model}:`)) continue;
				const payload = live(key);
				if (payload && predicate(payload)) return { ...payload };
			}
			return undefined;
		}

		async consume(id) {
			// Entra: a refresh token stays valid after it was redeemed (a rotated one too);
			// oidc-provider would treat reuse as theft and revoke the whole grant.
			// With the rig setting strictRefreshTokenRotation, oidc-provider's own behaviour.
			if (this.model === 'RefreshToken' && !state?.settings.strictRefreshTokenRotation) return;
			const payload = live(this.key(id));
			if (payload) payload.consumed = Math.floor(Date.now() / 1000);
		}

		async destroy(id) {
			entries.delete(this.key(id));
		}

		async revokeByGrantId(grantId) {
			for (const [key, entry] of entries) {
				if (entry.payload.grantId === grantId) entries.delete(key);
			}
		}
	}

	// Entra: a refresh token serves every permission the person (or an admin) consented to for
	// the app, on any API, not only the scopes of the sign-in that issued it. oidc-provider limits
	// a refresh to the token's own scopes and resources, so the token is read with its grant's added.
	function widenToGrant(payload) {
		const grant = payload.grantId ? live(`Grant:${payload.grantId}`) : undefined;
		if (!grant) return { ...payload };
		const names = new Set(
			String(payload.scope || '')
				.split(' ')
				.filter(Boolean),
		);
		for (const scope of Object.values(grant.resources || {})) {
			for (const name of String(scope).split(' ').filter(Boolean)) names.add(name);
		}
		const own = payload.resource === undefined ? [] : [].concat(payload.resource);
		const resource = [...new Set([...own, ...Object.keys(grant.resources || {})])];
		return {
			...payload,
			scope: [...names].join(' '),
			...(resource.length ? { resource: resource.length === 1 ? resource[0] : resource } : {}),
		};
	}

	return {
		Adapter,
		// Used by POST /__rig/revoke-refresh-tokens: drops every refresh token of an account.
		revokeRefreshTokens(accountId) {
			let count = 0;
			for (const [key, entry] of entries) {
				if (key.startsWith('RefreshToken:') && entry.payload.accountId === accountId) {
					entries.delete(key);
					count += 1;
				}
			}
			return count;
		},
	};
}
