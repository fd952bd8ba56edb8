/**
 * What the identity provider's discovery answer may make the n8n server do, with real MSAL
 * against the rig: endpoints off the authority's origin or not https are refused before anything
 * is sent to them, and a body that is not JSON is never quoted into the error.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { acquireAppToken, type ClientCredentialsSettings } from '../../nodes/core/clientCredentials';
import type { MsalNodeError } from '../../nodes/core/errors';
import { log, setLogSink } from '../../nodes/core/logging';
import { startRig, type Rig } from '../rig/rig';
import { failure } from './support/failure';

jest.setTimeout(60_000);

describe('authority discovery', () => {
	let rig: Rig;
	let ttl = 600;

	beforeAll(async () => {
		rig = await startRig();
	});
	afterEach(async () => {
		await rig.reset();
		await rig.resetApi();
	});
	afterAll(async () => {
		await rig?.stop();
	});

	/** A new application each time (a new assertion is a new pool key), so discovery runs. */
	const freshSettings = async (): Promise<ClientCredentialsSettings> => ({
		cloud: 'custom',
		authorityUrl: rig.authority,
		clientId: rig.clients.federated.clientId,
		authentication: {
			method: 'assertion',
			clientAssertion: await rig.mintClientAssertion(rig.clients.federated.clientId, { ttlSeconds: ttl++ }),
		},
		scopes: rig.api.scope,
	});

	it.each([
		['on another origin', (rig: Rig) => ({ token_endpoint: `${rig.api.baseUrl}/steal/token` }), 'token_endpoint'],
		['not https', (rig: Rig) => ({ token_endpoint: rig.tokenEndpoint.replace('https:', 'http:') }), 'token_endpoint'],
		[
			'a device code endpoint elsewhere',
			(rig: Rig) => ({ device_authorization_endpoint: `${rig.api.baseUrl}/device` }),
			'device_authorization_endpoint',
		],
		['a JWKS URI elsewhere', () => ({ jwks_uri: 'https://169.254.169.254/keys' }), 'jwks_uri'],
	])('a discovered endpoint %s is refused before anything is sent there', async (_name, fields, field) => {
		const settings = await freshSettings();
		await rig.tamperDiscovery({ fields: fields(rig) });
		const error = await failure<MsalNodeError>(acquireAppToken(settings, undefined, {}));
		expect(error.message).toContain(`names its ${field} at`);
		expect(error.message).toContain('Refused before anything was sent there');
		expect(error.message).not.toContain('endpoints_resolution_error');
		const stats = await rig.stats();
		expect(stats.requests.discovery).toBeGreaterThanOrEqual(1);
		expect(stats.requests.token).toBe(0);
		expect(await rig.apiRequests()).toHaveLength(0);
	});

	it('a discovery body that is not JSON is described (status, content type, cause), never quoted', async () => {
		const settings = await freshSettings();
		await rig.tamperDiscovery({
			raw: {
				status: 200,
				contentType: 'text/html; charset=utf-8',
				body: '<html>echo: client_secret=hunter2\r\n2026-01-01T00:00:00.000Z | error | forged log line</html>',
			},
		});
		const error = await failure<MsalNodeError>(acquireAppToken(settings, undefined, {}));
		expect(error.message).toMatch(/HTTP 200 \(text\/html\) and a body that is not JSON \(invalid JSON/);
		expect(error.message).not.toContain('hunter2');
		expect(error.message).not.toContain('forged');
		expect(error.message).not.toMatch(/[\r\n]/);
	});

	it('the genuine document is accepted', async () => {
		const outcome = await acquireAppToken(await freshSettings(), undefined, {});
		expect(outcome.token.accessToken).toBeTruthy();
	});
});

describe('identity-provider text in errors and logs', () => {
	let rig: Rig;
	const lines: string[] = [];

	beforeAll(async () => {
		rig = await startRig();
		setLogSink((_level, message) => lines.push(message));
	});
	afterAll(async () => {
		setLogSink(() => undefined);
		await rig?.stop();
	});

	it('CR/LF and control characters from the provider are escaped: no forged log line, no terminal escape', async () => {
		const forged = 'bad thing happened\r\n2026-01-01T00:00:00.000Z | info | user admin logged in\u001b[2J';
		await rig.failNextTokenRequest({ status: 400, error: `invalid_request\r\nforged`, error_description: forged });
		const error = await failure<MsalNodeError>(
			acquireAppToken(
				{
					cloud: 'custom',
					authorityUrl: rig.authority,
					clientId: rig.clients.secret.clientId,
					authentication: { method: 'secret', clientSecret: rig.clients.secret.clientSecret },
					scopes: rig.api.scope,
				},
				undefined,
				{ forceRefresh: true },
			),
		);
		expect(error.message).toContain('invalid_request\\r\\nforged');
		// eslint-disable-next-line no-control-regex -- the test looks for raw control characters on purpose
		expect(error.message).not.toMatch(/[\r\n\u001b]/);
		log('warn', `provider said: ${forged}`);
		expect(lines.at(-1)).toBe(
			'[n8n-nodes-msal] provider said: bad thing happened\\r\\n2026-01-01T00:00:00.000Z | info | user admin logged in\\u001b[2J',
		);
		// eslint-disable-next-line no-control-regex -- the test looks for raw control characters on purpose
		expect(lines.every((line) => !/[\r\n\u001b]/.test(line))).toBe(true);
	});
});
