/**
 * Token buckets per key (e.g. per credential): `capacity` at once, refilled at `perMinute`.
 * Used to cap how often anonymous visitors can start a browser sign-in in one process.
 */
export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

export class TokenBuckets {
	private readonly buckets = new Map<string, { tokens: number; at: number }>();

	constructor(
		private readonly capacity: number,
		private readonly perMinute: number,
		/** Bounds memory when keys are many: full buckets are dropped first. */
		private readonly maxKeys = 10_000,
	) {}

	take(key: string, now = Date.now()): Take {
		const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
		const refilled = Math.min(this.capacity, bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute);
		if (refilled < 1) {
			this.buckets.set(key, { tokens: refilled, at: now });
			return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - refilled) * 60) / this.perMinute)) };
		}
		this.buckets.set(key, { tokens: refilled - 1, at: now });
		if (this.buckets.size > this.maxKeys) this.forgetFull(now);
		return { ok: true };
	}

	private forgetFull(now: number): void {
		for (const [key, bucket] of this.buckets) {
			if (bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute >= this.capacity) this.buckets.delete(key);
		}
	}
}
