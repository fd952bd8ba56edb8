// The sign-in page of the authorization-code flow (oidc-provider leaves the UI to us).
//
// GET  /T/oauth2/v2.0/interaction/<uid>  -> signs in at once when the authorize request
//      had `login_hint=<known user>` and the rig setting `autoLogin` is on (default);
//      otherwise a plain HTML form (fields: username, password; action=deny declines).
// POST /T/oauth2/v2.0/interaction/<uid>  -> form submit (application/x-www-form-urlencoded).
// Signing in also consents to everything requested, like an admin-consented Entra app.
// Both answer with a 303 to oidc-provider's resume URL, which redirects to the
// client's redirect_uri with `code`. Keep the cookies oidc-provider sets.
import { readBody } from './http-util.mjs';

const page = (uid, message = '') => `<!doctype html>
<html><head><title>Sign in - test rig</title></head><body>
<h1>Sign in</h1>${message ? `<p id="error">${message}</p>` : ''}
<form method="post" action="${uid}">
<input name="username" autocomplete="username"> <input name="password" type="password">
<button name="action" value="login" type="submit">Sign in</button>
<button name="action" value="deny" type="submit">Cancel</button>
</form></body></html>`;

export async function handleInteraction({ req, res, url, provider, findUser, createGrant, state }) {
	let details;
	try {
		details = await provider.interactionDetails(req, res);
	} catch (error) {
		res.writeHead(400, { 'content-type': 'text/plain' });
		return res.end(`interaction not found: ${error.message}`);
	}
	const { params, uid } = details;
	const uidSegment = url.pathname.split('/').pop();

	const finish = async (user) => {
		const scopes = String(params.scope || '')
			.split(' ')
			.filter(Boolean);
		const grant = await createGrant(user.oid, params.client_id, scopes, params.resource);
		return provider.interactionFinished(
			req,
			res,
			{
				login: { accountId: user.oid },
				consent: { grantId: grant.jti },
			},
			{ mergeWithLastSubmission: false },
		);
	};

	if (req.method === 'GET') {
		const hinted = findUser(params.login_hint);
		if (hinted && state.settings.autoLogin) return finish(hinted);
		res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
		return res.end(page(uidSegment || uid));
	}

	const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
	if (form.action === 'deny') {
		return provider.interactionFinished(
			req,
			res,
			{
				error: 'access_denied',
				error_description: 'AADSTS65004: User declined to consent to access the app.',
			},
			{ mergeWithLastSubmission: false },
		);
	}
	const user = findUser(form.username);
	if (!user || user.password !== form.password) {
		res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
		return res.end(page(uidSegment || uid, 'Your account or password is incorrect.'));
	}
	return finish(user);
}
