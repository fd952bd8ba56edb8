/*
 * Jest-side client of the test rig (test/rig/start-rig.mjs): starts it as a child
 * process, reads its rig.json, and wraps the admin endpoints.
 *
 *   const rig = await startRig();   // or startRig({ stateDir, reuse: true })
 *   ... rig.authority, rig.clients.secret.clientId, await rig.stats() ...
 *   await rig.stop();
 *
 * TLS trust: the rig's CA is made at rig start, after this process started, so
 * NODE_EXTRA_CA_CERTS cannot be used for the jest process itself (it is read once at
 * process start). startRig() therefore makes THIS process trust the CA (trustCa,
 * default true): it replaces the global fetch dispatcher (MSAL Node 7 uses global
 * fetch) and extends https.globalAgent's CAs. Child processes (n8n) get
 * NODE_EXTRA_CA_CERTS=rig.caCertPath instead.
 *
 * Reuse: with RIG_STATE_DIR set (or { stateDir, reuse: true }) and a live rig whose
 * rig.json is in that directory, that rig is used and stop() leaves it running.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { browse } from './publicClientBrowser';

/** Roles by API audience, in place of `roles` for that API's tokens (Azure OpenAI's RBAC role). */
export type ResourceRoles = Record<string, string[]>;

export interface RigClients {
	secret: { clientId: string; clientSecret: string; roles: string[]; resourceRoles: ResourceRoles };
	certificate: {
		clientId: string;
		privateKeyPem: string;
		certificatePem: string;
		thumbprintSha256: string;
		thumbprintSha1: string;
		roles: string[];
		resourceRoles: ResourceRoles;
	};
	federated: { clientId: string; roles: string[]; resourceRoles: ResourceRoles; mintAssertionUrl: string };
	/** An app of the tenant with no permission of any API: its app-only tokens carry no roles. */
	noRoles: { clientId: string; clientSecret: string; roles: string[] };
	public: { clientId: string; redirectUris: string[] };
}

export interface RigUser {
	username: string;
	password: string;
	name: string;
	oid: string;
}

export interface RigManagedIdentity {
	name: string;
	clientId: string;
	objectId: string;
	resourceId: string;
	roles: string[];
	resourceRoles: ResourceRoles;
}

/** The rig's managed identity endpoints (test/rig/managed-identity.mjs). */
export interface RigManagedIdentityJson {
	appService: { endpoint: string; header: string; env: Record<string, string> };
	imds: { authorityHost: string; env: Record<string, string> };
	identities: { system: RigManagedIdentity; user: RigManagedIdentity; noAccess: RigManagedIdentity };
	adminUrl: string;
	/** A marker in every error body of the endpoints, which no error of the package may repeat. */
	neverQuoted: string;
}

export interface ManagedIdentityRequestRecord {
	source: 'appService' | 'imds';
	method: string;
	path: string;
	query: Record<string, string>;
	status?: number;
	identity?: string;
	/** With the answerBytes setting: what the socket took of the streamed answer. */
	streamed?: { bytes: number; bytesWritten: number; completed: boolean };
}

/**
 * The rig's Azure OpenAI resource (test/rig/azure-openai.mjs; its header comment is the interface).
 * `endpoint` is a full endpoint URL (deployments API: `${endpoint}/openai/deployments/<name>/...
 * ?api-version=`); `v1BaseUrl` the v1 API's base URL. `apiKey` works as an `api-key` header (and as a
 * bearer on the v1 API). Tokens: `scope` (app), `delegatedScope` (people); `role` is what an app or
 * managed identity needs (the rig grants it to the secret, certificate and federated clients and the
 * system and user managed identities, not to noRoles / noAccess).
 */
export interface RigAzureOpenAI {
	endpoint: string;
	v1BaseUrl: string;
	/** The same resource behind an API Management-like path (`${endpoint}/contoso-apim/aoai`): a full endpoint URL with a path. */
	gatewayEndpoint: string;
	/** `${endpoint}/openai/deployments`: LangChain's azureOpenAIBasePath (its embeddings ignore azureOpenAIEndpoint). */
	deploymentsBasePath: string;
	apiKey: string;
	/** An api-version the deployments API accepts (any YYYY-MM-DD[-preview] is accepted). */
	apiVersion: string;
	resource: string;
	/** Cognitive Services' app ID, also accepted as the token audience. */
	resourceAppId: string;
	scope: string;
	delegatedScope: string;
	role: string;
	deployments: { chat: string; embeddings: string; all: Record<string, 'chat' | 'embeddings'> };
	/**
	 * The same emulator as https://rig.openai.azure.com (resource name "rig"), for clients that go
	 * through a CONNECT proxy routing `host:443` to `target` (routesToAzureOpenAI in connect-proxy.ts).
	 */
	microsoftHost: { host: string; resourceName: string; endpoint: string; target: string };
	adminUrl: string;
}

/** One request the Azure OpenAI emulator received (tokens only by their claims and a hash). */
export interface AzureOpenAIRequestRecord {
	route: 'chat' | 'embeddings';
	api: 'deployments' | 'v1';
	/** Sent under gatewayEndpoint's path. */
	gateway?: boolean;
	apiVersion?: string;
	deployment?: string;
	auth: 'key' | 'bearer' | 'none';
	sub?: string;
	oid?: string;
	appid?: string;
	/** "app" or "user", as Entra's tokens say. */
	idtyp?: string;
	aud?: string;
	roles?: string[];
	scp?: string;
	jti?: string;
	/** The token's issue and expiry times (seconds): a test can see which token served which turn. */
	iat?: number;
	exp?: number;
	/** The first 16 hex digits of the bearer's SHA-256: tells tokens apart without showing them. */
	tokenSha256?: string;
	/** Why the key or token was refused (jose's code and message for a token). */
	reason?: string;
	stream: boolean;
	/**
	 * The request's parameters other than messages / input / tools, plus the messages' roles, the
	 * tool results in the conversation (first 500 characters each), the tools' names and schemas.
	 */
	options: Record<string, unknown> & {
		messageRoles?: string[];
		toolResults?: string[];
		toolNames?: string[];
		toolParameters?: unknown[];
	};
	/** The fault that answered this request, if one did. */
	fault?: 'throttle' | 'claimsChallenge' | 'error';
	/** The bearer carried the claims an armed challenge asked for. */
	claimsSatisfied?: boolean;
	finishReason?: 'stop' | 'length' | 'tool_calls';
	/** Names of the tools the model called in this answer. */
	toolCalls?: string[];
	inputs?: number;
	dimensions?: number;
	status?: number;
	at: string;
}

export interface AzureOpenAIStats {
	requests: AzureOpenAIRequestRecord[];
	/** Model requests answered 200, by route. */
	answered: { chat: number; embeddings: number };
	/** Requests by status code. */
	byStatus: Record<string, number>;
	/** Distinct bearer tokens seen (by hash): how many tokens the client used. */
	distinctTokens: number;
}

export type AzureOpenAIFault =
	| {
			kind: 'throttle';
			times?: number;
			retryAfterSeconds?: number;
			retryAfterMs?: number;
			route?: 'chat' | 'embeddings';
	  }
	| { kind: 'claimsChallenge'; times?: number; fresh?: boolean; route?: 'chat' | 'embeddings' }
	| { kind: 'error'; times?: number; status?: number; code?: string; message?: string; route?: 'chat' | 'embeddings' };

export interface RigJson {
	authority: string;
	authorityHost: string;
	knownAuthority: string;
	tenant: string;
	tenantId: string;
	issuer: string;
	discoveryUrl: string;
	tokenEndpoint: string;
	deviceCodeEndpoint: string;
	authorizeEndpoint: string;
	jwksUri: string;
	adminUrl: string;
	caCertPath: string;
	stateDir: string;
	api: { baseUrl: string; resource: string; scope: string; delegatedScopes: string[]; adminUrl: string };
	/** The secret client's app registration as an API (n8n's protected webhook): api://<client ID>. */
	n8nApi: { resource: string; clientId: string; scope: string };
	azureOpenAI: RigAzureOpenAI;
	clients: RigClients;
	users: RigUser[];
	managedIdentity: RigManagedIdentityJson;
	/**
	 * The rig as Entra ID's global sign-in host (same tenant, apps and users), for requests with
	 * Host login.microsoftonline.com; a CONNECT proxy routes that name to `target` (routesToRig).
	 */
	microsoftCloud: { host: string; authority: string; tokenEndpoint: string; issuer: string; target: string };
	/** Customer tenants of the same apps: tenant2 and tenant3 consented, "unconsented" not (AADSTS700016). */
	otherTenants: Record<'tenant2' | 'tenant3' | 'unconsented', RigTenant>;
	pid: number;
}

export interface RigTenant {
	tenantId: string;
	authority: string;
	issuer: string;
	appsConsented: boolean;
}

export interface TokenRequestRecord {
	grant: string;
	clientId?: string;
	/** The tenant path segment the request was sent to. */
	tenant?: string;
	/** The Host header it was sent with (login.microsoftonline.com for the rig's Microsoft host). */
	host?: string;
	scope?: string;
	claims?: string;
	clientAuth: 'secret' | 'assertion' | 'none';
	assertionHeader?: { alg: string; kid?: string; 'x5t#S256'?: string; x5t?: string; x5c?: string | string[] };
	at: string;
	status?: number;
}

/** What an answer armed with answerNext did (a redirect, or a streamed large answer). */
export interface FaultAnswerRecord {
	route: 'token' | 'discovery' | 'jwks';
	status?: number;
	location?: string;
	bytes?: number;
	/** Bytes the socket took before the answer ended or the client closed it. */
	bytesWritten?: number;
	completed?: boolean;
}

export interface RigStats {
	requests: Record<string, number>;
	grants: Record<string, number>;
	tokenRequests: TokenRequestRecord[];
	faultAnswers: FaultAnswerRecord[];
}

export interface ApiRequestRecord {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: Record<string, unknown>;
	bodySha256: string;
	bodyText: string;
	status?: number;
	/** A sub-request of a POST /$batch (recorded after the batch itself). */
	batch?: boolean;
	batchId?: string;
	at: string;
}

export interface EntraErrorSpec {
	status?: number;
	error: string;
	error_description?: string;
	error_codes?: number[];
	[field: string]: unknown;
}

export interface RigSettings {
	accessTokenTtlSeconds: number;
	deviceCodeIntervalSeconds: number;
	autoLogin: boolean;
	/** oidc-provider's strict rotation: a refresh token used twice revokes the whole grant. */
	strictRefreshTokenRotation: boolean;
	/** A refresh-token redemption waits this long before it is answered (default 0). */
	refreshTokenLatencyMs: number;
}

export interface Rig extends RigJson {
	caPem: string;
	stats(): Promise<RigStats>;
	reset(): Promise<void>;
	settings(changes?: Partial<RigSettings>): Promise<RigSettings>;
	setAccessTokenTtl(seconds: number): Promise<void>;
	/**
	 * The next access tokens the identity provider issues get these lifetimes (seconds), one per
	 * token response, in order; later ones accessTokenTtlSeconds again. reset() clears them. E.g.
	 * [301]: MSAL renews that token after 1 s (it renews within 300 s of expiry), the next lasts.
	 */
	setNextAccessTokenLifetimes(seconds: number[]): Promise<void>;
	failNextTokenRequest(entraError: EntraErrorSpec): Promise<void>;
	/**
	 * Until reset(): discovery answers with oidc-provider's document with `fields` replaced, or
	 * with `raw` (a body that is not JSON).
	 */
	tamperDiscovery(fault: {
		fields?: Record<string, string>;
		raw?: { status?: number; contentType?: string; body?: string };
	}): Promise<void>;
	/**
	 * The next answer of `route` (until reset) is a redirect to `redirect.location`, or a JSON body
	 * of `bytes` bytes streamed with backpressure; stats().faultAnswers tells what it did.
	 */
	answerNext(fault: {
		route: 'token' | 'discovery' | 'jwks';
		redirect?: { status: number; location: string };
		bytes?: number;
	}): Promise<void>;
	mintClientAssertion(clientId: string, opts?: { audience?: string; ttlSeconds?: number }): Promise<string>;
	approveDeviceCode(userCode: string, username: string): Promise<void>;
	denyDeviceCode(userCode: string): Promise<void>;
	revokeRefreshTokens(username: string): Promise<number>;
	apiRequests(): Promise<ApiRequestRecord[]>;
	resetApi(): Promise<void>;
	setApiRouteAuth(path: string, need: { roles?: string[]; scopes?: string[] }): Promise<void>;
	/** Every request to the protected API waits this long before it is answered (reset sets 0). */
	setApiLatency(ms: number): Promise<void>;
	/**
	 * Plays the user's browser for the authorization-code flow: follows the redirects
	 * from `authorizeUrl` (keeping cookies), signs in on the rig's login page, and
	 * returns the final redirect to the client's redirect_uri (with `code`, `state`).
	 * With `login_hint=<user>` in the URL the rig signs in without the form.
	 */
	signIn(authorizeUrl: string, user?: { username: string; password: string }): Promise<URL>;
	/** Requests the managed identity endpoints received since their last reset. */
	managedIdentityRequests(): Promise<ManagedIdentityRequestRecord[]>;
	resetManagedIdentity(): Promise<void>;
	managedIdentitySettings(changes: {
		systemAssigned?: boolean;
		accessTokenTtlSeconds?: number;
		/** The next tokens' lifetimes (seconds), in order, then accessTokenTtlSeconds (reset clears). */
		nextAccessTokenLifetimes?: number[];
		/** > 0: every token answer is a streamed JSON body of this many bytes (reset: 0). */
		answerBytes?: number;
	}): Promise<void>;
	/** What the Azure OpenAI emulator received since its last reset, with totals. */
	azureOpenAIStats(): Promise<AzureOpenAIStats>;
	/** Clears the emulator's records, armed faults and latency. */
	resetAzureOpenAI(): Promise<void>;
	/** Arms a fault for the next matching model requests (see azure-openai.mjs); faults queue up. */
	injectAzureOpenAIFault(fault: AzureOpenAIFault): Promise<void>;
	/** Every model request waits this long before it is answered (resetAzureOpenAI sets 0). */
	setAzureOpenAILatency(ms: number): Promise<void>;
	/** Environment for child processes (n8n) that must trust the rig. */
	childEnv(): Record<string, string>;
	stop(): Promise<void>;
}

export interface StartRigOptions {
	stateDir?: string;
	/** Reuse a running rig whose rig.json is in stateDir (default: true when RIG_STATE_DIR is set). */
	reuse?: boolean;
	/** Make this process trust the rig's CA (default true). */
	trustCa?: boolean;
	startTimeoutMs?: number;
}

const START_SCRIPT = resolve(__dirname, 'start-rig.mjs');

export async function startRig(options: StartRigOptions = {}): Promise<Rig> {
	const envDir = process.env.RIG_STATE_DIR;
	const stateDir = options.stateDir ?? envDir ?? mkdtempSync(join(tmpdir(), 'msal-rig-'));
	const reuse = options.reuse ?? Boolean(envDir);
	let child: ChildProcess | undefined;
	let json: RigJson | undefined;

	const existing = join(stateDir, 'rig.json');
	if (reuse && existsSync(existing)) {
		const candidate = JSON.parse(readFileSync(existing, 'utf8')) as RigJson;
		if (isAlive(candidate.pid)) json = candidate;
	}
	if (!json) {
		child = spawn(process.execPath, [START_SCRIPT, '--state-dir', stateDir, '--watch-stdin'], {
			stdio: ['pipe', 'pipe', 'inherit'],
		});
		json = await readReadyLine(child, options.startTimeoutMs ?? 30000);
	}
	const caPem = readFileSync(json.caCertPath, 'utf8');
	if (options.trustCa ?? true) await trustCaInThisProcess(caPem);

	const admin = async <T>(url: string, body?: unknown): Promise<T> => {
		const response = await fetch(
			url,
			body === undefined
				? {}
				: {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: JSON.stringify(body),
					},
		);
		const text = await response.text();
		if (!response.ok) throw new Error(`rig admin ${url} answered ${response.status}: ${text}`);
		return JSON.parse(text) as T;
	};
	const rigUrl = (path: string) => `${json!.adminUrl}${path}`;
	const apiUrl = (path: string) => `${json!.api.adminUrl}${path}`;

	return {
		...json,
		caPem,
		stats: () => admin<RigStats>(rigUrl('/stats')),
		reset: async () => {
			await admin(rigUrl('/reset'), {});
		},
		settings: (changes) =>
			changes ? admin<RigSettings>(rigUrl('/settings'), changes) : admin<RigSettings>(rigUrl('/settings')),
		setAccessTokenTtl: async (seconds) => {
			await admin(rigUrl('/settings'), { accessTokenTtlSeconds: seconds });
		},
		setNextAccessTokenLifetimes: async (seconds) => {
			await admin(rigUrl('/next-access-token-lifetimes'), { seconds });
		},
		failNextTokenRequest: async (entraError) => {
			await admin(rigUrl('/fail-next-token'), entraError);
		},
		tamperDiscovery: async (fault) => {
			await admin(rigUrl('/tamper-discovery'), fault);
		},
		answerNext: async (fault) => {
			await admin(rigUrl('/answer-next'), fault);
		},
		mintClientAssertion: async (clientId, opts = {}) =>
			(await admin<{ assertion: string }>(rigUrl('/mint-assertion'), { clientId, ...opts })).assertion,
		approveDeviceCode: async (userCode, username) => {
			await admin(rigUrl('/device/approve'), { userCode, username });
		},
		denyDeviceCode: async (userCode) => {
			await admin(rigUrl('/device/deny'), { userCode });
		},
		revokeRefreshTokens: async (username) =>
			(await admin<{ revoked: number }>(rigUrl('/revoke-refresh-tokens'), { username })).revoked,
		apiRequests: () => admin<ApiRequestRecord[]>(apiUrl('/requests')),
		resetApi: async () => {
			await admin(apiUrl('/reset'), {});
		},
		setApiRouteAuth: async (path, need) => {
			await admin(apiUrl('/route-auth'), { path, ...need });
		},
		setApiLatency: async (ms) => {
			await admin(apiUrl('/latency'), { ms });
		},
		signIn: (authorizeUrl, user) => scriptedSignIn(json!.authorityHost, authorizeUrl, user),
		managedIdentityRequests: () => admin<ManagedIdentityRequestRecord[]>(`${json!.managedIdentity.adminUrl}/requests`),
		resetManagedIdentity: async () => {
			await admin(`${json!.managedIdentity.adminUrl}/reset`, {});
		},
		managedIdentitySettings: async (changes) => {
			await admin(`${json!.managedIdentity.adminUrl}/settings`, changes);
		},
		azureOpenAIStats: async () =>
			summarizeAzureOpenAI(await admin<AzureOpenAIRequestRecord[]>(`${json!.azureOpenAI.adminUrl}/requests`)),
		resetAzureOpenAI: async () => {
			await admin(`${json!.azureOpenAI.adminUrl}/reset`, {});
		},
		injectAzureOpenAIFault: async (fault) => {
			await admin(`${json!.azureOpenAI.adminUrl}/fault`, fault);
		},
		setAzureOpenAILatency: async (ms) => {
			await admin(`${json!.azureOpenAI.adminUrl}/latency`, { ms });
		},
		childEnv: () => ({ NODE_EXTRA_CA_CERTS: json!.caCertPath }),
		stop: async () => {
			if (!child || child.exitCode !== null) return;
			const exited = new Promise((done) => child!.once('exit', done));
			child.kill('SIGTERM');
			await exited;
		},
	};
}

function summarizeAzureOpenAI(requests: AzureOpenAIRequestRecord[]): AzureOpenAIStats {
	const byStatus: Record<string, number> = {};
	for (const r of requests) byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + 1;
	const answered = (route: 'chat' | 'embeddings') =>
		requests.filter((r) => r.route === route && r.status === 200).length;
	return {
		requests,
		answered: { chat: answered('chat'), embeddings: answered('embeddings') },
		byStatus,
		distinctTokens: new Set(requests.map((r) => r.tokenSha256).filter(Boolean)).size,
	};
}

async function scriptedSignIn(
	idpOrigin: string,
	authorizeUrl: string,
	user?: { username: string; password: string },
): Promise<URL> {
	const result = await browse(authorizeUrl, { idpOrigin, user, stopAtRedirectBack: true });
	if (result.status !== undefined) {
		throw new Error(`sign-in stopped at ${result.url} with ${result.status}: ${(result.body ?? '').slice(0, 300)}`);
	}
	return result.url;
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

function readReadyLine(child: ChildProcess, timeoutMs: number): Promise<RigJson> {
	return new Promise((resolvePromise, reject) => {
		let buffer = '';
		const timer = setTimeout(() => {
			child.kill('SIGTERM');
			reject(new Error(`test rig did not start within ${timeoutMs} ms`));
		}, timeoutMs);
		const onData = (chunk: Buffer) => {
			buffer += chunk.toString('utf8');
			const newline = buffer.indexOf('\n');
			if (newline < 0) return;
			clearTimeout(timer);
			child.stdout!.off('data', onData);
			child.stdout!.resume(); // keep draining; the rig writes nothing else there
			try {
				resolvePromise(JSON.parse(buffer.slice(0, newline)) as RigJson);
			} catch {
				reject(new Error(`test rig printed something other than rig.json: ${buffer.slice(0, 200)}`));
			}
		};
		child.stdout!.on('data', onData);
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`test rig exited with code ${code} before it was ready`));
		});
	});
}

const DISPATCHER = Symbol.for('undici.globalDispatcher.1');
// Kept on the host realm: jest re-evaluates this module for every test file.
const TRUSTED = Symbol.for('n8n-nodes-msal.rig.trustedCas');

/*
 * Trust an extra CA in this process, for global fetch (MSAL Node 7) and the https
 * module (axios, n8n helpers). Node 20 has no tls.setDefaultCACertificates, and
 * NODE_EXTRA_CA_CERTS is read only at start, so: replace undici's global dispatcher
 * with an Agent whose `connect.ca` = Node's roots + the rig CA. Under jest the test
 * runs in a vm context whose `fetch` is the host realm's function, which reads the
 * dispatcher from the HOST realm's globalThis; a core-module function's constructor
 * is the host realm's Function, which gives us that globalThis.
 */
export async function trustCaInThisProcess(caPem: string): Promise<void> {
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- loads a module from another realm or n8n's own install at run time
	const hostFunction = (require('node:events') as { constructor: FunctionConstructor }).constructor;
	// undici (host realm) keeps its global dispatcher on the host realm's globalThis.
	const host = hostFunction('return globalThis')() as Realm;
	const trusted = (host[TRUSTED] ??= new Set<string>()) as Set<string>;
	if (trusted.has(caPem)) return;
	trusted.add(caPem);
	const ca = [...tls.rootCertificates, ...trusted];
	// undici creates its global dispatcher when first loaded; a data: URL fetch loads it.
	if (!host[DISPATCHER] && typeof host.fetch === 'function') await host.fetch('data:,');
	const current = host[DISPATCHER] as { constructor: new (opts: unknown) => unknown } | undefined;
	if (!current) throw new Error('cannot trust the rig CA: no undici global dispatcher found');
	host[DISPATCHER] = new current.constructor({ connect: { ca } });
	const agentOptions = https.globalAgent.options as https.AgentOptions;
	agentOptions.ca = ca;
}

type Realm = Record<symbol, unknown> & { fetch?: (url: string) => Promise<unknown> };

/**
 * Makes this (jest) process reach the rig for https://login.microsoftonline.com, as an n8n child
 * does through a CONNECT proxy with routesToRig: the global fetch dispatcher (which the package
 * uses when no proxy is set) connects to the rig for that name and verifies the rig's
 * certificate for it; every other host is connected as before, trusting the rig's CA. Only the
 * test process changes: the package's rule (a platform token goes only to Microsoft's host) is
 * what is tested.
 */
export async function routeMicrosoftHostToRig(rig: Rig): Promise<void> {
	await trustCaInThisProcess(rig.caPem);
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- loads a module from another realm or n8n's own install at run time
	const hostFunction = (require('node:events') as { constructor: FunctionConstructor }).constructor;
	const host = hostFunction('return globalThis')() as Realm;
	const current = host[DISPATCHER] as { constructor: new (opts: unknown) => unknown };
	const ca = [...tls.rootCertificates, ...((host[TRUSTED] as Set<string>) ?? [])];
	const [targetHost, targetPort] = rig.microsoftCloud.target.split(':');
	type ConnectOptions = { hostname: string; port: string; protocol?: string; servername?: string };
	type Callback = (error: Error | null, socket: net.Socket | null) => void;
	host[DISPATCHER] = new current.constructor({
		connect: (options: ConnectOptions, callback: Callback) => {
			// The dispatcher stays for the jest worker's later test files, which also fetch plain http.
			if (options.protocol === 'http:') {
				const plain = net.connect({ host: options.hostname, port: Number(options.port || 80) });
				plain.once('connect', () => callback(null, plain));
				plain.once('error', (error) => callback(error, null));
				return;
			}
			const routed = options.hostname.toLowerCase() === rig.microsoftCloud.host;
			const socket = tls.connect({
				host: routed ? targetHost : options.hostname,
				port: Number(routed ? targetPort : options.port || 443),
				servername: net.isIP(options.servername || options.hostname)
					? undefined
					: options.servername || options.hostname,
				ca,
				ALPNProtocols: ['http/1.1'],
			});
			socket.once('secureConnect', () => callback(null, socket));
			socket.once('error', (error) => callback(error, null));
		},
	});
}
