import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { describeError, MsalNodeError } from '../core/errors';
import { escapeForLog } from '../core/logging';
import { PUBLIC_CLIENT_CREDENTIAL_TYPE } from '../n8n/credentialTypes';
import {
	beginSignIn,
	completeSignIn,
	limitSignInBegins,
	prepareSignInKey,
	SignInRateLimitedError,
} from './signInSteps';
import { quote } from '../core/quote';

/**
 * The browser sign-in endpoint of the public-client credential. Its production URL is the
 * credential's Redirect URI and the sign-in link nodes show:
 *   GET (no code)        → starts a sign-in (PKCE verifier in the encrypted state; nothing is
 *                          written), 302 to Microsoft; 429 beyond the per-credential rate limit
 *   GET ?code&state      → redeems the code, saves the account and tokens in the credential,
 *                          answers "Signed in as …" and starts the workflow with the account
 *   GET ?error&state     → answers why (e.g. consent declined); nothing is saved
 */
export class MsalSignInTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Entra ID Sign-In Trigger',
		name: 'msalSignInTrigger',
		icon: { light: 'file:../../icons/msal.svg', dark: 'file:../../icons/msal.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Browser Sign-In',
		description:
			'Sign-in page for the Microsoft Entra ID public-client credential: a person opens its URL, signs in at Microsoft, and the credential keeps the sign-in for later runs',
		defaults: { name: 'Microsoft Entra ID Sign-In Trigger' },
		triggerPanel: {
			header: 'Sign-in page for the public-client credential',
			executionsHelp: {
				inactive:
					"Publish (activate) this workflow: its production URL is the sign-in page. Put that URL in the credential's Redirect URI and in the app registration (platform 'Mobile and desktop applications'), then open it in a browser to sign in. A test URL cannot sign anyone in: Microsoft only returns to the registered URL.",
				active:
					'The sign-in page is live. Each successful sign-in is kept in the credential and starts one execution with the account (username, name, home account ID, tenant) and the granted scopes; no token is in it.',
			},
			activationHint: 'Publish the workflow to serve the sign-in page at its production URL.',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: PUBLIC_CLIENT_CREDENTIAL_TYPE, required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'GET',
				responseMode: 'onReceived',
				path: '={{$parameter["path"]}}',
				isFullPath: true,
			},
		],
		properties: [
			{
				displayName:
					"Set Path (e.g. msal-sign-in) so the Production URL above is known in advance, and put that URL in the credential's Redirect URI and in the app registration (Authentication, platform 'Mobile and desktop applications'). Publishing checks the credential and, if the URL differs, says which URL to put where. Opening the URL signs a person in; the workflow runs after each successful sign-in with the account.",
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: '',
				placeholder: 'msal-sign-in',
				description: 'Path of the sign-in URL. Empty uses a random one (harder to guess).',
			},
		],
	};

	/**
	 * There is nothing to register with a third party. Activation checks the setup — a credential
	 * whose Redirect URI is not this trigger's production URL fails it with that exact URL and the
	 * Entra steps, instead of a person meeting it on the page — and makes sure the credential has
	 * its sign-in key, so that a visitor opening the link writes nothing.
	 */
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const credentials = await this.getCredentials(PUBLIC_CLIENT_CREDENTIAL_TYPE);
				const problem = redirectUriProblem(credentials.redirectUri, this.getNodeWebhookUrl('default') ?? '');
				// The fix is in the message: n8n's activation error shows only that.
				if (problem) throw new NodeOperationError(this.getNode(), `${problem.message} ${problem.fix}`);
				return false;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				await prepareSignInKey(this);
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const res = this.getResponseObject();
		const query = this.getQueryData() as IDataObject;
		const param = (name: string): string | undefined =>
			typeof query[name] === 'string' && query[name] !== '' ? (query[name] as string) : undefined;
		const isCallback = param('code') !== undefined || param('error') !== undefined || param('state') !== undefined;
		try {
			if (!isCallback) limitSignInBegins(this);
			await checkRedirectUri(this);
			if (!isCallback) {
				const authorizeUrl = await beginSignIn(this, {
					scopes: param('scopes'),
					claims: param('claims'),
					loginHint: param('login_hint'),
					signature: param('sig'),
				});
				res.status(302).setHeader('Location', authorizeUrl);
				res.setHeader('Cache-Control', 'no-store');
				res.end();
				return { noWebhookResponse: true };
			}
			const done = await completeSignIn(this, {
				code: param('code'),
				state: param('state'),
				error: param('error'),
				error_description: param('error_description'),
				error_subcode: param('error_subcode'),
			});
			const who = done.account.name ? `${done.account.name} (${done.account.username})` : done.account.username;
			sendPage(
				res,
				200,
				'Signed in',
				`Signed in as ${who}. The credential keeps this sign-in; you can close this window.`,
				`Permissions: ${done.token.scopes.join(' ')}`,
			);
			return {
				noWebhookResponse: true,
				workflowData: [
					[
						{
							json: {
								signedIn: true,
								account: { ...done.account },
								scopes: done.token.scopes,
								expiresOn: done.token.expiresOn,
							},
						},
					],
				],
			};
		} catch (error) {
			if (error instanceof SignInRateLimitedError) {
				res.setHeader('Retry-After', String(error.retryAfterSeconds));
				sendPage(res, 429, 'Too many sign-ins', error.message, error.fix);
				return { noWebhookResponse: true };
			}
			const { message, fix } = describe(error);
			this.logger.warn(`Microsoft sign-in failed: ${escapeForLog(message)}`);
			sendPage(res, 400, 'Sign-in failed', message, fix);
			return { noWebhookResponse: true };
		}
	}
}

/** The credential's Redirect URI must be this page, else Microsoft would send the person elsewhere. */
async function checkRedirectUri(context: IWebhookFunctions): Promise<void> {
	const credentials = await context.getCredentials(PUBLIC_CLIENT_CREDENTIAL_TYPE);
	const problem = redirectUriProblem(credentials.redirectUri, context.getNodeWebhookUrl('default') ?? '');
	if (problem) throw problem;
}

/** Compared by path: behind a proxy the host n8n sees may differ from the one the browser uses. */
function redirectUriProblem(redirectUri: unknown, own: string): MsalNodeError | undefined {
	const configured = typeof redirectUri === 'string' ? redirectUri.trim() : '';
	const path = (url: string) => {
		try {
			return new URL(url).pathname.replace(/\/+$/, '');
		} catch {
			return '';
		}
	};
	if (configured && path(configured) === path(own)) return undefined;
	return new MsalNodeError(
		`The credential's Redirect URI (${configured ? quote(configured) : 'empty'}) is not this sign-in page (${own}).`,
		`Set the credential's Redirect URI to ${own} (as the browser reaches it), and in the Microsoft Entra admin center open the app registration, Authentication, Add a platform, 'Mobile and desktop applications', and add the same URL as a custom redirect URI.`,
	);
}

function describe(error: unknown): { message: string; fix: string } {
	// The step's own error is thrown as is; n8n's wrapper (NodeApiError) keeps it as cause.
	let cause: unknown = error;
	for (
		let depth = 0;
		depth < 3 && !(cause instanceof MsalNodeError) && cause && typeof cause === 'object' && 'cause' in cause;
		depth++
	) {
		cause = (cause as { cause?: unknown }).cause;
	}
	if (cause instanceof MsalNodeError) return { message: cause.message, fix: cause.fix };
	return {
		message: describeError(error),
		fix: 'Open the sign-in link again; if it keeps failing, check the credential.',
	};
}

const escapeHtml = (text: string) =>
	text.replace(
		/[&<>"']/g,
		(c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
	);

function sendPage(
	res: ReturnType<IWebhookFunctions['getResponseObject']>,
	status: number,
	title: string,
	message: string,
	detail: string,
): void {
	res.status(status);
	res.setHeader('Content-Type', 'text/html; charset=utf-8');
	res.setHeader('Cache-Control', 'no-store');
	res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
	res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} - Microsoft Entra ID Sign-In (n8n)</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p id="message">${escapeHtml(message)}</p><p id="detail">${escapeHtml(detail)}</p></body></html>`);
}
