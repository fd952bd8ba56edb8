/**
 * Claims challenges (Continuous Access Evaluation, conditional access step-up): a 401 with
 * `WWW-Authenticate: Bearer error="insufficient_claims", claims="<base64 JSON>"`. The claims
 * go into a new token request; MSAL does not read WWW-Authenticate itself.
 */

export interface AuthChallenge {
	scheme: string;
	params: Record<string, string>;
}

/** Parses a WWW-Authenticate value (RFC 9110 §11.6.1): one or more challenges with auth-params. */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
	const challenges: AuthChallenge[] = [];
	let i = 0;
	const n = header.length;
	const skip = (chars: RegExp) => {
		while (i < n && chars.test(header[i])) i++;
	};
	const readToken = (): string => {
		const start = i;
		while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i])) i++;
		return header.slice(start, i);
	};
	let current: AuthChallenge | undefined;
	while (i < n) {
		skip(/[\s,]/);
		if (i >= n) break;
		const start = i;
		const token = readToken();
		if (!token) {
			i++; // unexpected character: skip it
			continue;
		}
		skip(/\s/);
		if (header[i] === '=' && current) {
			// auth-param: name=value (token or quoted string). A token68 ("abc==") is not used by Entra.
			i++;
			skip(/\s/);
			let value = '';
			if (header[i] === '"') {
				i++;
				while (i < n && header[i] !== '"') {
					if (header[i] === '\\' && i + 1 < n) i++;
					value += header[i++];
				}
				i++; // closing quote
			} else {
				const valueStart = i;
				while (i < n && header[i] !== ',' && !/\s/.test(header[i])) i++;
				value = header.slice(valueStart, i);
			}
			current.params[token.toLowerCase()] = value;
		} else {
			i = start + token.length;
			current = { scheme: token, params: {} };
			challenges.push(current);
		}
	}
	return challenges;
}

/** Decodes base64 or base64url, with or without padding. */
function decodeBase64(text: string): string {
	const normalized = text.replace(/-/g, '+').replace(/_/g, '/');
	return Buffer.from(normalized, 'base64').toString('utf8');
}

/**
 * The claims request (JSON text) of a claims challenge, or undefined when the header is not one.
 * Accepts the base64 form Entra and Graph send, and plain JSON.
 */
export function claimsFromChallenge(wwwAuthenticate: string | null | undefined): string | undefined {
	if (!wwwAuthenticate) return undefined;
	for (const challenge of parseWwwAuthenticate(wwwAuthenticate)) {
		if (challenge.scheme.toLowerCase() !== 'bearer') continue;
		const { error, claims } = challenge.params;
		if (!claims || (error !== undefined && error !== 'insufficient_claims')) continue;
		const candidates = claims.trim().startsWith('{') ? [claims] : [decodeBase64(claims), claims];
		for (const candidate of candidates) {
			try {
				const parsed: unknown = JSON.parse(candidate);
				if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return JSON.stringify(parsed);
			} catch {
				// try the next form
			}
		}
	}
	return undefined;
}
