import { describeError, MsalNodeError } from '../errors';
import { claimsFromChallenge } from '../http/claimsChallenge';
import { excerpt } from '../quote';
import type { RenewingToken } from './renewingToken';

/**
 * The fetch the OpenAI client of the model sub-nodes sends every request through: it sets the
 * Entra ID bearer of that moment (RenewingToken), checks first that the token may go to the URL,
 * answers one claims challenge per request, never follows a redirect with the token, and turns
 * refusals into answers the OpenAI client shows as they are instead of retrying them.
 *
 * The OpenAI client wraps anything a fetch throws into a retried "Connection error." that hides
 * the cause; so a failure of ours (token, guard, SSRF filter) comes back as a synthetic error
 * response with `x-should-retry: false`, whose message the client puts into its error.
 */

export const ROLE_FIX =
	'Assign the role "Cognitive Services OpenAI User" on the Azure OpenAI resource (Access control (IAM) > Add role assignment) to the identity of the credential: the app\'s service principal, the managed identity, or the signed-in person; role assignments take up to 5 minutes to apply. The token must be for https://cognitiveservices.azure.com (the node\'s Scope).';

export interface BearerFetchOptions {
	token: RenewingToken;
	/** Throws when the token must not go to this URL (the credential's domains, https). */
	assertMayGo: (url: URL) => void;
	/** The network layer (proxy, n8n's SSRF filter). */
	send: (url: URL, init: RequestInit) => Promise<Response>;
}

export function bearerFetch({ token, assertMayGo, send }: BearerFetchOptions): typeof fetch {
	return async (input, init) => {
		let url: URL;
		let bearer: string;
		try {
			url = new URL(input instanceof Request ? input.url : String(input));
			assertMayGo(url);
			bearer = await token.token();
		} catch (error) {
			return refusal(error);
		}
		const attempt = async (accessToken: string): Promise<Response> => {
			const headers = new Headers(init?.headers);
			// The OpenAI client sends its placeholder key as a bearer; only ours may go out.
			headers.delete('api-key');
			headers.set('authorization', `Bearer ${accessToken}`);
			return await send(url, { ...init, headers, redirect: 'manual' });
		};
		let response: Response;
		try {
			response = await attempt(bearer);
			const claims =
				response.status === 401 ? claimsFromChallenge(response.headers.get('www-authenticate')) : undefined;
			if (claims !== undefined) {
				await response.body?.cancel();
				response = await attempt(await token.withClaims(claims));
			}
		} catch (error) {
			if (isAbort(error)) throw error;
			return refusal(error);
		}
		if (response.status >= 300 && response.status < 400) return redirectRefused(response);
		if (response.status === 401 || response.status === 403) return await explainedDenial(response);
		return response;
	};
}

function isAbort(error: unknown): boolean {
	return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
	return new Response(JSON.stringify({ error: { code, message } }), {
		status,
		headers: { ...headers, 'content-type': 'application/json', 'x-should-retry': 'false' },
	});
}

/** Nothing reached the model: the token could not be obtained or must not go there. */
function refusal(error: unknown): Response {
	const message = error instanceof MsalNodeError ? `${error.message} ${error.fix}` : describeError(error);
	return errorResponse(400, 'request_not_sent', message);
}

function redirectRefused(response: Response): Response {
	return errorResponse(
		502,
		'redirect_refused',
		`The model endpoint answered ${response.status} with a redirect; a request carrying the access token never follows one. Enter the endpoint the redirect points to, if it is the right one.`,
	);
}

/** Azure's 401 (wrong audience, expired, no role) and 403, with what fixes them. */
async function explainedDenial(response: Response): Promise<Response> {
	const { code, message } = serviceError(await response.text().catch(() => ''));
	const said = message ? ` The service said: ${excerpt(message, 300)}` : '';
	return errorResponse(
		response.status,
		code ?? (response.status === 401 ? 'Unauthorized' : 'PermissionDenied'),
		`Azure OpenAI refused the Entra ID token (${response.status}).${said} Fix: ${ROLE_FIX}`,
		pick(response.headers, ['x-request-id', 'apim-request-id', 'x-ms-client-request-id']),
	);
}

function serviceError(body: string): { code?: string; message?: string } {
	try {
		const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
		const message = parsed.error?.message ?? parsed.message;
		const code = parsed.error?.code;
		return {
			code: typeof code === 'string' ? code : undefined,
			message: typeof message === 'string' ? message : undefined,
		};
	} catch {
		return { message: body || undefined };
	}
}

function pick(headers: Headers, names: string[]): Record<string, string> {
	const picked: Record<string, string> = {};
	for (const name of names) {
		const value = headers.get(name);
		if (value) picked[name] = value;
	}
	return picked;
}
