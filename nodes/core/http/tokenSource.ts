/**
 * The token for one scope set during one execution, shared by all its requests. A claims
 * challenge replaces it: the first request that meets a given claims challenge acquires a new
 * token with those claims, and every other request meeting the same challenge waits for that
 * same acquisition instead of starting its own.
 */
export class TokenSource {
	private current: string;
	private readonly withClaimsByClaims = new Map<string, Promise<string>>();

	constructor(
		initialToken: string,
		private readonly acquireWithClaims: (claims: string) => Promise<string>,
	) {
		this.current = initialToken;
	}

	/** The token to send now. */
	get token(): string {
		return this.current;
	}

	/** A token acquired with `claims` (once per distinct claims value); it becomes the current token. */
	async withClaims(claims: string): Promise<string> {
		let pending = this.withClaimsByClaims.get(claims);
		if (!pending) {
			pending = this.acquireWithClaims(claims).then((token) => {
				this.current = token;
				return token;
			});
			// A failure is kept too: the same challenge within this execution fails the same way,
			// without another request to the identity provider per item.
			pending.catch(() => undefined);
			this.withClaimsByClaims.set(claims, pending);
		}
		return await pending;
	}
}
