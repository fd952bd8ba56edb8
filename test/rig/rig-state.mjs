// Mutable rig state shared by the identity provider and the admin endpoints:
// runtime settings, the fail-next-token hook, and request counters.
// reset() clears counters and the hook, never keys, clients or settings.

const REQUEST_KINDS = [
	'discovery',
	'jwks',
	'token',
	'devicecode',
	'authorize',
	'interaction',
	'unknownTenant',
	'other',
];
const GRANTS = ['client_credentials', 'refresh_token', 'device_code', 'authorization_code', 'password'];

export function createRigState() {
	const zero = (names) => Object.fromEntries(names.map((n) => [n, 0]));
	const state = {
		settings: {
			accessTokenTtlSeconds: 3600,
			// Entra says 5; 1 keeps device-code tests fast (MSAL sleeps `interval` seconds).
			deviceCodeIntervalSeconds: 1,
			autoLogin: true,
			// oidc-provider's strict refresh-token rotation (off: Entra's behaviour): a refresh
			// token is consumed on use, and using a consumed one revokes the whole grant.
			strictRefreshTokenRotation: false,
			// A refresh-token redemption waits this long before it is answered: keeps renewals in
			// flight, for tests of what overlaps them.
			refreshTokenLatencyMs: 0,
		},
		// Lifetimes (seconds) of the next access tokens issued, in order; then accessTokenTtlSeconds.
		nextAccessTokenLifetimes: [],
		failNext: undefined,
		// { fields } or { raw: { status, contentType, body } }: every discovery answer until reset.
		discoveryFault: undefined,
		// { route: 'token'|'discovery'|'jwks', redirect?: { status, location }, bytes? }: the next
		// answer of that route is a redirect or a streamed answer of `bytes` bytes (answerNext below).
		answerNext: undefined,
		// What each such answer did: { route, status, location } or streamLargeJson's record.
		faultAnswers: [],
		requests: zero(REQUEST_KINDS),
		grants: zero(GRANTS),
		tokenRequests: [],
		count(kind) {
			state.requests[kind] = (state.requests[kind] || 0) + 1;
		},
		countGrant(grant) {
			state.grants[grant] = (state.grants[grant] || 0) + 1;
		},
		// One entry per token-endpoint request: what MSAL sent (assertionHeader shows
		// alg / x5t#S256 / x5c of a client assertion), the Host it was sent to, and the status the
		// rig answered.
		recordTokenRequest({ grant, clientId, tenant, host, scope, claims, clientAuth, assertionHeader }) {
			const record = {
				grant,
				clientId,
				tenant,
				host,
				scope,
				...(claims ? { claims } : {}),
				clientAuth,
				...(assertionHeader ? { assertionHeader } : {}),
				at: new Date().toISOString(),
				status: undefined,
			};
			state.tokenRequests.push(record);
			return record;
		},
		/** The armed answer for `route`, once (undefined when none is armed for it). */
		takeAnswerNext(route) {
			if (state.answerNext?.route !== route) return undefined;
			const fault = state.answerNext;
			state.answerNext = undefined;
			const record = { route };
			state.faultAnswers.push(record);
			return { fault, record };
		},
		stats() {
			return {
				requests: { ...state.requests },
				grants: { ...state.grants },
				tokenRequests: [...state.tokenRequests],
				faultAnswers: state.faultAnswers.map((record) => ({ ...record })),
			};
		},
		reset() {
			state.nextAccessTokenLifetimes = [];
			state.failNext = undefined;
			state.discoveryFault = undefined;
			state.answerNext = undefined;
			state.faultAnswers = [];
			state.requests = zero(REQUEST_KINDS);
			state.grants = zero(GRANTS);
			state.tokenRequests = [];
		},
	};
	return state;
}
