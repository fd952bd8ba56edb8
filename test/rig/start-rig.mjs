// Entry point of the test rig: an Entra-like identity provider, a protected API and an Azure
// OpenAI endpoint (azure-openai.mjs), all HTTPS on 127.0.0.1 with a CA made at start.
//
//   node test/rig/start-rig.mjs --state-dir <dir> [--ca-dir <dir>] [--watch-stdin]
//
// --ca-dir      where the CA lives (default <state-dir>/ca); an existing CA there is
//               reused, so a process started earlier with NODE_EXTRA_CA_CERTS trusts it.
// --watch-stdin exit when stdin closes (the parent died); used by rig.ts.
// When ready: writes <state-dir>/rig.json and prints the same JSON as one stdout line.
// Everything else goes to stderr. Runs until SIGTERM/SIGINT.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

// stdout is reserved for the one ready line; oidc-provider prints notices with
// console.info. Its "Unsupported runtime" warning (it wants Node 22+, we run on 20)
// and the "already parsed request body" notice are expected here, so dropped.
const QUIET = [/Unsupported runtime/, /already parsed request body/];
const toStderr = (...args) => process.stderr.write(`${args.map(String).join(' ')}\n`);
console.log = toStderr;
console.info = toStderr;
console.warn = (...args) => {
	if (!QUIET.some((re) => re.test(String(args[0])))) toStderr(...args);
};

const { values: args } = parseArgs({
	options: {
		'state-dir': { type: 'string' },
		'ca-dir': { type: 'string' },
		'watch-stdin': { type: 'boolean', default: false },
	},
});
if (!args['state-dir']) {
	toStderr('usage: node test/rig/start-rig.mjs --state-dir <dir> [--ca-dir <dir>] [--watch-stdin]');
	process.exit(2);
}
const stateDir = resolve(args['state-dir']);
const caDir = resolve(args['ca-dir'] || join(stateDir, 'ca'));
mkdirSync(stateDir, { recursive: true });

// Imported after the console patch: oidc-provider warns at import time.
const { ensureCa, issueServerCert, selfSignedClientCert, MICROSOFT_SIGN_IN_HOST } = await import('./certificates.mjs');
const { createIdentityProvider } = await import('./identity-provider.mjs');
const { createProtectedApi } = await import('./protected-api.mjs');
const { createRigAdmin } = await import('./rig-admin.mjs');
const { createRigState } = await import('./rig-state.mjs');
const { createManagedIdentityEndpoints } = await import('./managed-identity.mjs');
const {
	createAzureOpenAI,
	AZURE_OPENAI_HOST,
	COGNITIVE_SERVICES,
	COGNITIVE_SERVICES_APP_ID,
	DEPLOYMENTS,
	GATEWAY_PATH,
	OPENAI_USER_ROLE,
} = await import('./azure-openai.mjs');
const { sendJson } = await import('./http-util.mjs');

const TENANT = 'tenant1';
// Fixed ids keep logs readable; keys and certificates are new at every start.
const TENANT_ID = '7c9b1a52-0d1e-4f7a-9a43-3c1f0e6b2a11';
const USERS = [
	{
		username: 'alice@contoso.test',
		password: 'Alice-Passw0rd!',
		name: 'Alice Example',
		oid: 'a11ce000-0000-4000-8000-00000000a11c',
	},
	{
		username: 'bob@contoso.test',
		password: 'Bob-Passw0rd!',
		name: 'Bob Example',
		oid: 'b0b00000-0000-4000-8000-000000000b0b',
	},
];

function rsaJwks(kid) {
	const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
	return {
		privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' },
		publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' },
	};
}

const ca = ensureCa(caDir);
const tls = issueServerCert(ca, join(stateDir, 'tls'));
const clientCert = selfSignedClientCert(join(stateDir, 'clients'), 'certificate-client');
const federatedKey = rsaJwks('federated-1');
const signing = rsaJwks(`rig-${randomUUID().slice(0, 8)}`);

// Azure OpenAI authorizes by an RBAC role assignment on the resource; the rig models it as the
// role in the app token for Cognitive Services (roles for other APIs stay `roles`).
const OPENAI_ROLES = { [COGNITIVE_SERVICES]: [OPENAI_USER_ROLE] };
const clients = {
	secret: {
		kind: 'secret',
		clientId: '11111111-1111-4111-8111-111111111111',
		clientSecret: 'rig~secret.Value-1111',
		roles: ['Data.Read.All'],
		resourceRoles: OPENAI_ROLES,
		servicePrincipalId: '51111111-1111-4111-8111-111111111111',
	},
	certificate: {
		kind: 'certificate',
		clientId: '22222222-2222-4222-8222-222222222222',
		privateKeyPem: clientCert.privateKeyPem,
		certificatePem: clientCert.certificatePem,
		thumbprintSha256: clientCert.thumbprintSha256,
		thumbprintSha1: clientCert.thumbprintSha1,
		// No `alg`: the client may sign with PS256 or RS256.
		publicJwk: { ...clientCert.publicKey.export({ format: 'jwk' }), use: 'sig' },
		roles: ['Data.Read.All', 'Data.Write.All'],
		resourceRoles: OPENAI_ROLES,
		servicePrincipalId: '52222222-2222-4222-8222-222222222222',
	},
	federated: {
		kind: 'federated',
		clientId: '33333333-3333-4333-8333-333333333333',
		publicJwk: federatedKey.publicJwk,
		roles: ['Data.Read.All'],
		resourceRoles: OPENAI_ROLES,
		servicePrincipalId: '53333333-3333-4333-8333-333333333333',
	},
	// An app of the tenant granted no permission of any API: its app-only tokens carry no roles.
	noRoles: {
		kind: 'secret',
		clientId: '66666666-6666-4666-8666-666666666666',
		clientSecret: 'rig~secret.NoRoles-6666',
		roles: [],
		servicePrincipalId: '56666666-6666-4666-8666-666666666666',
	},
	public: {
		kind: 'public',
		clientId: '44444444-4444-4444-8444-444444444444',
		// The last one is the sign-in webhook of the public-client credential in n8n (any loopback port).
		redirectUris: [
			'http://localhost:5678/rest/oauth2-credential/callback',
			'http://localhost',
			'http://127.0.0.1',
			'http://127.0.0.1/webhook/msal-sign-in',
		],
	},
};

const state = createRigState();
let idpHandler = (_req, res) => sendJson(res, { status: 503, body: { error: 'starting' } });
let apiHandler = idpHandler;
let azureOpenAIHandler = idpHandler;
const serve = (getHandler) =>
	createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
		const url = new URL(req.url, `https://${req.headers.host || '127.0.0.1'}`);
		Promise.resolve(getHandler()(req, res, url)).catch((error) => {
			toStderr(`rig: ${req.method} ${req.url} failed: ${error.stack || error}`);
			if (!res.headersSent)
				sendJson(res, { status: 500, body: { error: 'rig_internal_error', error_description: String(error.message) } });
			else res.end();
		});
	});
const listen = (server) => new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server.address().port)));
const idpServer = serve(() => idpHandler);
const apiServer = serve(() => apiHandler);
const azureOpenAIServer = serve(() => azureOpenAIHandler);
const [idpPort, apiPort, azureOpenAIPort] = await Promise.all([
	listen(idpServer),
	listen(apiServer),
	listen(azureOpenAIServer),
]);

const origin = `https://127.0.0.1:${idpPort}`;
const apiOrigin = `https://127.0.0.1:${apiPort}`;
const azureOpenAIOrigin = `https://127.0.0.1:${azureOpenAIPort}`;
// Two more APIs for delegated tokens: one the sign-in covers (like any admin-consented API:
// its token comes silently from the same refresh token), one whose permission each person must
// consent to first (incremental consent: the refresh token does not cover it until then).
const SECOND_API = 'api://rig-second-api';
const CONSENT_API = 'api://rig-consent-api';
// The app registration of the secret client also exposes an API (Entra's default Application ID
// URI api://<client ID>): n8n's webhook protected by Entra ID, which calls downstream APIs On
// Behalf Of its caller (on-behalf-of.mjs).
const N8N_API = `api://${clients.secret.clientId}`;
// Key Vault's resource URI, so that a credential's boundary can be shown letting a token for
// another Microsoft API through (the token is issued; no request ever goes to Azure).
const KEY_VAULT = 'https://vault.azure.net';
const resources = {
	[apiOrigin]: { scopes: ['Data.Read', 'Data.Write'] },
	[KEY_VAULT]: { scopes: ['user_impersonation'] },
	[N8N_API]: { scopes: ['access_as_user'] },
	[SECOND_API]: { scopes: ['Files.Read'] },
	[CONSENT_API]: { scopes: ['Mail.Send'], requiresUserConsent: true },
	// Azure OpenAI (azure-openai.mjs): `.default` for app tokens, user_impersonation delegated.
	[COGNITIVE_SERVICES]: { scopes: ['user_impersonation'] },
};

// Every tenant's provider has the same apps, users, resources and signing keys (as Entra signs
// every tenant's tokens with the same keys); each has its own issuer and tid.
const tenantProvider = (tenantOrigin, tenant, tenantId, appsConsented) =>
	createIdentityProvider({
		origin: tenantOrigin,
		tenant,
		tenantId,
		clients,
		users: USERS,
		resources,
		signingJwk: signing.privateJwk,
		state,
		appsConsented,
	});
const idp = await tenantProvider(origin, TENANT, TENANT_ID);
// More customer tenants of a multi-tenant app (Tenant Override): the same apps, consented in
// tenant2 and tenant3, and in no app's tenant "unconsented". Entra signs every tenant's tokens
// with the same keys; each tenant has its own issuer and tid.
const otherTenants = {};
for (const [name, tenantId, appsConsented] of [
	['tenant2', '8d0c2b63-1e2f-4a8b-8b54-4d2a1f7c3b22', true],
	['tenant3', '9e1d3c74-2f3a-4b9c-9c65-5e3b2a8d4c33', true],
	['unconsented', 'a0f2e4d5-3a4b-4cad-8d76-6f4c3b9e5d44', false],
]) {
	otherTenants[name] = {
		tenantId,
		appsConsented,
		idp: await tenantProvider(origin, name, tenantId, appsConsented),
	};
}
// Entra ID's global sign-in host, for tokens that may go nowhere else (a platform token of the
// workload identity): the same tenant, apps and users under https://login.microsoftonline.com/
// <tenant ID>, reached by requests with that Host (a CONNECT proxy routes the name here; the
// TLS certificate covers it). MSAL knows this host's endpoints without discovery.
const microsoftOrigin = `https://${MICROSOFT_SIGN_IN_HOST}`;
const microsoftIdp = await tenantProvider(microsoftOrigin, TENANT_ID, TENANT_ID);
const rigIssuers = [idp.issuer, microsoftIdp.issuer, ...Object.values(otherTenants).map((t) => t.idp.issuer)];
const api = createProtectedApi({
	origin: apiOrigin,
	issuer: rigIssuers,
	resource: apiOrigin,
	publicJwks: { keys: [signing.publicJwk] },
	authorizeEndpoint: idp.authorizeEndpoint,
});

const managedIdentity = await createManagedIdentityEndpoints({
	issuer: idp.issuer,
	tenantId: TENANT_ID,
	signingJwk: signing.privateJwk,
	resources: [apiOrigin, COGNITIVE_SERVICES],
	resourceRoles: OPENAI_ROLES,
});
const azureOpenAI = createAzureOpenAI({
	issuer: rigIssuers,
	publicJwks: { keys: [signing.publicJwk] },
	authorizeEndpoint: idp.authorizeEndpoint,
});
const deploymentOf = (kind) => Object.keys(DEPLOYMENTS).find((name) => DEPLOYMENTS[name].kind === kind);

const publicClient = ({ kind, publicJwk, servicePrincipalId, ...rest }) => rest;
const rig = {
	authority: `${origin}/${TENANT}`,
	authorityHost: origin,
	knownAuthority: `127.0.0.1:${idpPort}`,
	tenant: TENANT,
	tenantId: TENANT_ID,
	issuer: idp.issuer,
	discoveryUrl: `${origin}/${TENANT}/v2.0/.well-known/openid-configuration`,
	tokenEndpoint: idp.tokenEndpoint,
	deviceCodeEndpoint: idp.deviceCodeEndpoint,
	authorizeEndpoint: idp.authorizeEndpoint,
	jwksUri: idp.jwksUri,
	adminUrl: `${origin}/__rig`,
	caCertPath: ca.certPath,
	stateDir,
	api: {
		baseUrl: apiOrigin,
		resource: apiOrigin,
		scope: `${apiOrigin}/.default`,
		delegatedScopes: resources[apiOrigin].scopes.map((s) => `${apiOrigin}/${s}`),
		adminUrl: `${apiOrigin}/__api`,
	},
	azureOpenAI: {
		endpoint: azureOpenAIOrigin,
		v1BaseUrl: `${azureOpenAIOrigin}/openai/v1`,
		// A full endpoint URL with a path, as behind API Management.
		gatewayEndpoint: `${azureOpenAIOrigin}${GATEWAY_PATH}`,
		// LangChain's azureOpenAIBasePath (its AzureOpenAIEmbeddings ignores azureOpenAIEndpoint).
		deploymentsBasePath: `${azureOpenAIOrigin}/openai/deployments`,
		apiKey: azureOpenAI.apiKey,
		apiVersion: '2024-10-21',
		resource: COGNITIVE_SERVICES,
		resourceAppId: COGNITIVE_SERVICES_APP_ID,
		scope: `${COGNITIVE_SERVICES}/.default`,
		delegatedScope: `${COGNITIVE_SERVICES}/user_impersonation`,
		role: OPENAI_USER_ROLE,
		deployments: {
			chat: deploymentOf('chat'),
			embeddings: deploymentOf('embeddings'),
			all: Object.fromEntries(Object.entries(DEPLOYMENTS).map(([name, d]) => [name, d.kind])),
		},
		// The same emulator as https://<resourceName>.openai.azure.com, through a CONNECT proxy that
		// routes `host:443` to `target` (connect-proxy.ts routesToAzureOpenAI); the TLS certificate covers it.
		microsoftHost: {
			host: AZURE_OPENAI_HOST,
			resourceName: AZURE_OPENAI_HOST.split('.')[0],
			endpoint: `https://${AZURE_OPENAI_HOST}`,
			target: `127.0.0.1:${azureOpenAIPort}`,
		},
		adminUrl: `${azureOpenAIOrigin}/__aoai`,
	},
	n8nApi: { resource: N8N_API, clientId: clients.secret.clientId, scope: `${N8N_API}/access_as_user` },
	secondApi: { resource: SECOND_API, delegatedScopes: resources[SECOND_API].scopes.map((s) => `${SECOND_API}/${s}`) },
	consentApi: {
		resource: CONSENT_API,
		delegatedScopes: resources[CONSENT_API].scopes.map((s) => `${CONSENT_API}/${s}`),
	},
	clients: {
		secret: publicClient(clients.secret),
		certificate: publicClient(clients.certificate),
		noRoles: publicClient(clients.noRoles),
		federated: { ...publicClient(clients.federated), mintAssertionUrl: `${origin}/__rig/mint-assertion` },
		public: publicClient(clients.public),
	},
	users: USERS.map(({ username, password, name, oid }) => ({ username, password, name, oid })),
	managedIdentity: managedIdentity.json,
	microsoftCloud: {
		host: MICROSOFT_SIGN_IN_HOST,
		authority: `${microsoftOrigin}/${TENANT_ID}`,
		tokenEndpoint: microsoftIdp.tokenEndpoint,
		issuer: microsoftIdp.issuer,
		// Where a CONNECT proxy sends "login.microsoftonline.com:443".
		target: `127.0.0.1:${idpPort}`,
	},
	otherTenants: Object.fromEntries(
		Object.entries(otherTenants).map(([name, t]) => [
			name,
			{ tenantId: t.tenantId, authority: `${origin}/${name}`, issuer: t.idp.issuer, appsConsented: t.appsConsented },
		]),
	),
	pid: process.pid,
};

const admin = createRigAdmin({
	state,
	idp,
	rigJson: () => rig,
	assertionKeys: { [clients.federated.clientId]: federatedKey.privateJwk },
});
const idpOfTenant = (url) => otherTenants[url.pathname.split('/')[1]]?.idp ?? idp;
const onMicrosoftHost = (req) =>
	String(req.headers.host || '')
		.toLowerCase()
		.replace(/:443$/, '') === MICROSOFT_SIGN_IN_HOST;
idpHandler = (req, res, url) =>
	url.pathname.startsWith('/__rig/')
		? admin(req, res, url)
		: onMicrosoftHost(req)
			? microsoftIdp.handle(req, res, url)
			: idpOfTenant(url).handle(req, res, url);
apiHandler = api.handle;
azureOpenAIHandler = azureOpenAI.handle;

const line = JSON.stringify(rig);
writeFileSync(join(stateDir, 'rig.json'), `${JSON.stringify(rig, null, 2)}\n`);
process.stdout.write(`${line}\n`);
toStderr(
	`rig: identity provider ${rig.authority}, protected API ${apiOrigin}, Azure OpenAI ${azureOpenAIOrigin}, pid ${process.pid}`,
);

function shutdown() {
	for (const server of [idpServer, apiServer, azureOpenAIServer]) {
		server.closeAllConnections?.();
		server.close();
	}
	managedIdentity.close();
	setTimeout(() => process.exit(0), 200).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (args['watch-stdin']) {
	process.stdin.on('end', shutdown);
	process.stdin.on('close', shutdown);
	process.stdin.resume();
}
