/**
 * A person's access token from the rig for any of its APIs, as a client app (the public client)
 * would get one: the resource-owner password grant, straight to the token endpoint.
 */
import type { Rig } from './rig';

export async function userToken(rig: Rig, scope: string, username = rig.users[0].username): Promise<string> {
	const user = rig.users.find((u) => u.username === username);
	if (!user) throw new Error(`no rig user ${username}`);
	const response = await fetch(rig.tokenEndpoint, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'password',
			client_id: rig.clients.public.clientId,
			username: user.username,
			password: user.password,
			scope: `${scope} openid profile`,
		}),
	});
	const body = (await response.json()) as { access_token?: string };
	if (!response.ok || !body.access_token) throw new Error(`user token: ${response.status} ${JSON.stringify(body)}`);
	return body.access_token;
}

/** An app token of the secret client (or `client`) for `resource` (client credentials). */
export async function appToken(
	rig: Rig,
	resource: string,
	client: { clientId: string; clientSecret: string } = rig.clients.secret,
): Promise<string> {
	const response = await fetch(rig.tokenEndpoint, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'client_credentials',
			client_id: client.clientId,
			client_secret: client.clientSecret,
			scope: `${resource}/.default`,
		}),
	});
	const body = (await response.json()) as { access_token?: string };
	if (!response.ok || !body.access_token) throw new Error(`app token: ${response.status} ${JSON.stringify(body)}`);
	return body.access_token;
}

/**
 * An ID token issued to the secret client, the app registration that is also the n8n API
 * (aud = its client ID): authorization code with the rig's sign-in by login_hint, redeemed with
 * the client secret. With `nonce`, the ID token carries it, as OpenID Connect sign-ins do.
 */
export async function idTokenForApi(rig: Rig, options: { nonce?: string } = {}): Promise<string> {
	const redirectUri = rig.clients.public.redirectUris[1];
	const authorize = new URL(rig.authorizeEndpoint);
	authorize.search = new URLSearchParams({
		client_id: rig.clients.secret.clientId,
		response_type: 'code',
		redirect_uri: redirectUri,
		scope: 'openid profile',
		login_hint: rig.users[0].username,
		...(options.nonce ? { nonce: options.nonce } : {}),
	}).toString();
	const back = await rig.signIn(authorize.href);
	const code = back.searchParams.get('code');
	if (!code) throw new Error(`id token: no code in ${back.href}`);
	const response = await fetch(rig.tokenEndpoint, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'authorization_code',
			client_id: rig.clients.secret.clientId,
			client_secret: rig.clients.secret.clientSecret,
			code,
			redirect_uri: redirectUri,
		}),
	});
	const body = (await response.json()) as { id_token?: string };
	if (!response.ok || !body.id_token) throw new Error(`id token: ${response.status} ${JSON.stringify(body)}`);
	return body.id_token;
}
