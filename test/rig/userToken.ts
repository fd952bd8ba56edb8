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

/** An app token of the secret client for `resource` (client credentials). */
export async function appToken(rig: Rig, resource: string): Promise<string> {
	const response = await fetch(rig.tokenEndpoint, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'client_credentials',
			client_id: rig.clients.secret.clientId,
			client_secret: rig.clients.secret.clientSecret,
			scope: `${resource}/.default`,
		}),
	});
	const body = (await response.json()) as { access_token?: string };
	if (!response.ok || !body.access_token) throw new Error(`app token: ${response.status} ${JSON.stringify(body)}`);
	return body.access_token;
}
