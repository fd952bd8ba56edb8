/**
 * The bearer of a model sub-node, asked for before every model request of a run that may last
 * longer than a token. A token is reused while it has more than MSAL's renewal window left; then
 * the next request goes back to the silent-first path (the credential's cache, renewed there by
 * MSAL and saved in n8n), so a long agent run renews before the token expires, once, and
 * concurrent requests share that one renewal.
 */

/** MSAL renews an access token that has 5 minutes or less left; reusing it past that would skip the renewal. */
export const RENEW_WITHIN_MS = 5 * 60 * 1000;

export interface BearerToken {
	accessToken: string;
	/** ISO time. */
	expiresOn: string;
}

export type AcquireBearer = (claims?: string) => Promise<BearerToken>;

export class RenewingToken {
	private current?: { accessToken: string; expiresAt: number };
	private pending?: Promise<string>;
	private readonly withClaimsByClaims = new Map<string, Promise<string>>();

	constructor(
		private readonly acquire: AcquireBearer,
		private readonly now: () => number = Date.now,
	) {}

	/** The token for the next request. */
	async token(): Promise<string> {
		if (this.current && this.current.expiresAt - this.now() > RENEW_WITHIN_MS) return this.current.accessToken;
		this.pending ??= this.take(this.acquire()).finally(() => {
			this.pending = undefined;
		});
		return await this.pending;
	}

	/** A token acquired with the claims of a challenge, once per distinct claims value; it replaces the current one. */
	async withClaims(claims: string): Promise<string> {
		let pending = this.withClaimsByClaims.get(claims);
		if (!pending) {
			pending = this.take(this.acquire(claims));
			pending.catch(() => undefined);
			this.withClaimsByClaims.set(claims, pending);
		}
		return await pending;
	}

	private async take(acquisition: Promise<BearerToken>): Promise<string> {
		const token = await acquisition;
		const expiresAt = Date.parse(token.expiresOn);
		this.current = { accessToken: token.accessToken, expiresAt: Number.isNaN(expiresAt) ? 0 : expiresAt };
		return token.accessToken;
	}
}
