/**
 * A scripted browser for the public client's sign-in: follows redirects across n8n and the
 * identity provider, keeps the provider's cookies, fills its login form (or declines), and
 * either stops at the redirect back to the client (returning that URL unvisited) or visits it
 * and returns the page the person would see.
 */
export interface BrowseOptions {
	/** Origin of the identity provider (rig.authorityHost). */
	idpOrigin: string;
	user?: { username: string; password: string };
	/** Press "Cancel" on the login form (the person declines). */
	decline?: boolean;
	/** Return the redirect back from the provider without visiting it. */
	stopAtRedirectBack?: boolean;
}

export interface BrowseResult {
	url: URL;
	status?: number;
	body?: string;
	/** Every URL visited, in order. */
	visited: URL[];
}

export async function browse(start: string, options: BrowseOptions): Promise<BrowseResult> {
	const cookies = new Map<string, string>();
	const visited: URL[] = [];
	let url = new URL(start);
	let init: RequestInit = {};
	let beenAtIdp = false;
	let posted = false;
	for (let hop = 0; hop < 25; hop += 1) {
		const atIdp = url.origin === options.idpOrigin;
		if (!atIdp && beenAtIdp && options.stopAtRedirectBack) return { url, visited };
		beenAtIdp ||= atIdp;
		visited.push(url);
		const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
		if (atIdp && cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
		const response = await fetch(url, { ...init, headers, redirect: 'manual' });
		if (atIdp) {
			for (const line of response.headers.getSetCookie()) {
				const [pair] = line.split(';');
				const eq = pair.indexOf('=');
				cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
			}
		}
		const location = response.headers.get('location');
		if (response.status >= 300 && response.status < 400 && location) {
			url = new URL(location, url);
			init = {};
			continue;
		}
		const body = await response.text();
		if (atIdp && response.status === 200 && body.includes('<form') && !posted && (options.user || options.decline)) {
			posted = true;
			const form = options.decline
				? { username: '', password: '', action: 'deny' }
				: { username: options.user!.username, password: options.user!.password, action: 'login' };
			init = {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams(form).toString(),
			};
			continue;
		}
		return { url, status: response.status, body, visited };
	}
	throw new Error('browse: too many redirects');
}
