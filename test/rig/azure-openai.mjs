// Azure OpenAI on loopback: an OpenAI-compatible endpoint shaped like an Azure OpenAI (Foundry)
// resource, HTTPS with the rig's CA, on its own port. rig.json / rig.ts: `rig.azureOpenAI`.
//
// Interface (kept stable for the n8n sub-nodes and their tests):
//   endpoint       https://127.0.0.1:<P>          a "full endpoint URL" (also https://rig.openai.azure.com
//                                                 through a CONNECT proxy: microsoftHost, routesToAzureOpenAI)
//   gatewayEndpoint https://127.0.0.1:<P>/contoso-apim/aoai   the same behind an "API Management" path:
//                                                 every route below also answers under that prefix
//   POST /openai/deployments/{deployment}/chat/completions?api-version=YYYY-MM-DD[-preview]
//   POST /openai/deployments/{deployment}/embeddings?api-version=...
//   POST /openai/v1/chat/completions   POST /openai/v1/embeddings    (v1 API: deployment = body.model)
//   Deployments: chat "gpt-4o-mini" and "gpt-4.1"; embeddings "text-embedding-3-small" (1536 dims,
//   `dimensions` honoured) and "text-embedding-ada-002" (1536, refuses `dimensions`, as Azure does).
//   Unknown deployment → 404 {"error":{"code":"DeploymentNotFound",...}}; chat on an embeddings
//   deployment (or the reverse) → 400 OperationNotSupported; no api-version on the deployments
//   routes → 404 {"error":{"code":"404","message":"Resource not found"}}.
//
// Auth, checked before the deployment (as Azure's front door does):
//   - `api-key: <apiKey>`, or on the v1 routes `Authorization: Bearer <apiKey>` (the OpenAI SDK's
//     way, which Azure's v1 API accepts). A wrong key → 401 {"error":{"code":"401","message":"Access
//     denied due to invalid subscription key or wrong API endpoint..."}}.
//   - `Authorization: Bearer <JWT>` from the rig's identity provider or managed identity endpoints:
//     RS256 signature against the rig's keys, an issuer of the rig, not expired, aud
//     https://cognitiveservices.azure.com (with or without "/") or Cognitive Services' app ID
//     7d312290-28c8-473c-a0ed-8e53749b6d6d. Else 401 {"statusCode":401,"message":"Unauthorized. Access
//     token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have
//     expired."} (Azure's text; the record says why: `reason`).
//   - Then authorization: an app token needs role "Cognitive Services OpenAI User" (also accepted:
//     "Cognitive Services OpenAI Contributor", "Cognitive Services User"), a delegated token scp
//     "user_impersonation". Else 401 {"error":{"code":"PermissionDenied","message":"The principal `<oid>`
//     lacks the required data action `Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/
//     completions/action` to perform `POST /openai/deployments/{deployment-id}/chat/completions`
//     operation."}}. The rig's IdP grants the role to the secret, certificate and federated clients
//     and to the system and user managed identities; not to noRoles nor to managed identity noAccess.
//
// Answers: azure-openai-model.mjs (deterministic chat with tool calls, streaming with
// stream_options.include_usage, response_format, max tokens; hashed bag-of-words embeddings, float
// or base64). Verified tokens are cached until they expire; keys are in-process (no JWKS fetch).
//
// Admin (no auth), on the same port:
//   GET  /__aoai/requests   one record per request (see `record` below)
//   POST /__aoai/reset      records, faults and latency cleared
//   POST /__aoai/fault      armed until used up or reset; several queue up in order:
//        {"kind":"throttle","times":1,"retryAfterSeconds":1,"retryAfterMs":1000,"route":"chat"}
//            → 429 with Retry-After, retry-after-ms, Azure's rate-limit message
//        {"kind":"claimsChallenge","times":1,"fresh":false,"route":"chat"}
//            → a bearer request whose token lacks the claims gets 401 with WWW-Authenticate:
//              Bearer realm="", authorization_uri="…", error="insufficient_claims", claims="<base64>"
//              (as the protected API does), `times` requests; a token asked for with those claims
//              is never challenged (record.claimsSatisfied). `fresh`: every challenge asks for new
//              claims, so answering never helps (a client must give up after one retry).
//        {"kind":"error","times":1,"status":500,"code":"InternalServerError","message":"…"}
//        "route" (chat|embeddings) is optional: without it any model request matches.
//   POST /__aoai/latency {"ms":20}  every model request waits this long before it is answered
// Token lifetimes are the identity provider's: rig.setAccessTokenTtl(s) or, for the next tokens
// only, rig.setNextAccessTokenLifetimes([s, ...]); for managed identity
// rig.managedIdentitySettings({ accessTokenTtlSeconds, nextAccessTokenLifetimes }).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { chatTurn, countTokens, DEFAULT_EMBEDDING_DIMENSIONS, embed, textOf } from './azure-openai-model.mjs';
import { readBodyBuffer, sendJson } from './http-util.mjs';

export const COGNITIVE_SERVICES = 'https://cognitiveservices.azure.com';
export const COGNITIVE_SERVICES_APP_ID = '7d312290-28c8-473c-a0ed-8e53749b6d6d';
export const OPENAI_USER_ROLE = 'Cognitive Services OpenAI User';
export { AZURE_OPENAI_HOST } from './certificates.mjs';
const ACCEPTED_ROLES = [OPENAI_USER_ROLE, 'Cognitive Services OpenAI Contributor', 'Cognitive Services User'];
const AUDIENCES = [COGNITIVE_SERVICES, `${COGNITIVE_SERVICES}/`, COGNITIVE_SERVICES_APP_ID];
const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

// Deployment name → what it serves and the model name Azure reports.
export const DEPLOYMENTS = {
	'gpt-4o-mini': { kind: 'chat', model: 'gpt-4o-mini-2024-07-18' },
	'gpt-4.1': { kind: 'chat', model: 'gpt-4.1-2025-04-14' },
	'text-embedding-3-small': { kind: 'embeddings', model: 'text-embedding-3-small', dimensionsAllowed: true },
	'text-embedding-ada-002': { kind: 'embeddings', model: 'text-embedding-ada-002', dimensionsAllowed: false },
};

// An API Management gateway in front of the resource: its endpoint URL has a path, and the routes
// come after it (`gatewayEndpoint`). Only this prefix: a client that drops or mangles the path of a
// full endpoint URL gets 404.
export const GATEWAY_PATH = '/contoso-apim/aoai';

const ROUTES = [
	{ pattern: /^\/openai\/deployments\/([^/]+)\/chat\/completions$/, route: 'chat', api: 'deployments' },
	{ pattern: /^\/openai\/deployments\/([^/]+)\/embeddings$/, route: 'embeddings', api: 'deployments' },
	{ pattern: /^\/openai\/v1\/chat\/completions$/, route: 'chat', api: 'v1' },
	{ pattern: /^\/openai\/v1\/embeddings$/, route: 'embeddings', api: 'v1' },
];

const DATA_ACTIONS = {
	chat: 'Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action',
	embeddings: 'Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action',
};

export function createAzureOpenAI({ issuer, publicJwks, authorizeEndpoint, apiKey = randomBytes(16).toString('hex') }) {
	const keySet = createLocalJWKSet(publicJwks);
	const verified = new Map();
	let requests = [];
	let faults = [];
	// Claims values of (non-fresh) challenges sent: a token carrying one answered its challenge.
	let challengesSent = new Set();
	let latencyMs = 0;
	let sequence = 0;

	function reset() {
		requests = [];
		faults = [];
		challengesSent = new Set();
		latencyMs = 0;
	}

	async function verifyJwt(token) {
		const known = verified.get(token);
		if (known && known.exp * 1000 > Date.now()) return { payload: known };
		try {
			const { payload } = await jwtVerify(token, keySet, { issuer, audience: AUDIENCES, algorithms: ['RS256'] });
			if (verified.size > 1000) verified.clear();
			verified.set(token, payload);
			return { payload };
		} catch (error) {
			return { reason: `${error.code ?? 'ERR_JWT_INVALID'}: ${error.message}` };
		}
	}

	// → { kind: 'key'|'bearer', payload? } or { kind, refused: {status, body, headers?}, reason? }
	async function authenticate(req, api) {
		const headerKey = req.headers['api-key'];
		if (headerKey !== undefined) {
			return headerKey === apiKey ? { kind: 'key' } : { kind: 'key', refused: invalidKey(), reason: 'wrong api-key' };
		}
		const bearer = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
		if (bearer === undefined) return { kind: 'none', refused: unauthorizedToken(), reason: 'no api-key and no bearer' };
		if (api === 'v1' && bearer === apiKey) return { kind: 'key' };
		const { payload, reason } = await verifyJwt(bearer);
		const tokenSha256 = createHash('sha256').update(bearer).digest('hex').slice(0, 16);
		if (!payload) return { kind: 'bearer', tokenSha256, refused: unauthorizedToken(), reason };
		return { kind: 'bearer', tokenSha256, payload };
	}

	function permitted(payload) {
		const roles = Array.isArray(payload.roles) ? payload.roles : [];
		const scopes = String(payload.scp ?? '').split(' ');
		return ACCEPTED_ROLES.some((r) => roles.includes(r)) || scopes.includes('user_impersonation');
	}

	// A token that carries the claims of a challenge sent earlier (the identity provider copies a
	// token request's `claims` into xms_rig_claims) answered it: no claims challenge applies to it.
	function takeFault(route, auth, claimsAnswered) {
		const index = faults.findIndex(
			(f) =>
				(!f.route || f.route === route) &&
				(f.kind !== 'claimsChallenge' || (auth.kind === 'bearer' && (f.fresh || !claimsAnswered))),
		);
		if (index < 0) return undefined;
		const fault = faults[index];
		fault.left -= 1;
		if (fault.left <= 0) faults.splice(index, 1);
		return fault;
	}

	function faultAnswer(fault, route, apiVersion) {
		if (fault.kind === 'throttle') {
			const seconds = fault.retryAfterSeconds ?? 1;
			const operation = route === 'chat' ? 'ChatCompletions_Create' : 'Embeddings_Create';
			return {
				status: 429,
				headers: {
					'retry-after': String(seconds),
					'retry-after-ms': String(fault.retryAfterMs ?? seconds * 1000),
					'x-ratelimit-remaining-requests': '0',
				},
				body: {
					error: {
						code: '429',
						message: `Requests to the ${operation} Operation under Azure OpenAI API version ${apiVersion ?? 'v1'} have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} second${seconds === 1 ? '' : 's'}. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
					},
				},
			};
		}
		if (fault.kind === 'claimsChallenge') {
			const value = fault.fresh ? String(Date.now() + (sequence += 1)) : fault.value;
			if (!fault.fresh) challengesSent.add(value);
			const claims = Buffer.from(JSON.stringify({ access_token: { nbf: { essential: true, value } } })).toString(
				'base64',
			);
			return {
				status: 401,
				headers: {
					'www-authenticate': `Bearer realm="", authorization_uri="${authorizeEndpoint}", error="insufficient_claims", claims="${claims}"`,
				},
				body: {
					error: {
						code: 'InvalidAuthenticationToken',
						message:
							'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp',
					},
				},
			};
		}
		return {
			status: fault.status ?? 500,
			body: {
				error: { code: fault.code ?? 'InternalServerError', message: fault.message ?? 'Injected by the test rig.' },
			},
		};
	}

	async function handle(req, res, url) {
		const body = await readBodyBuffer(req);
		if (url.pathname.startsWith('/__aoai/')) return handleAdmin(req, res, url, body);

		const requestId = randomUUID();
		const baseHeaders = { 'apim-request-id': requestId, 'x-request-id': requestId };
		const send = sender(res, baseHeaders);
		const matched = req.method === 'POST' ? matchRoute(url.pathname) : undefined;
		const apiVersion = url.searchParams.get('api-version') ?? undefined;
		if (!matched || (matched.api === 'deployments' && !API_VERSION.test(apiVersion ?? '')))
			return send(resourceNotFound());

		const auth = await authenticate(req, matched.api);
		const parsed = parseJson(body);
		const deploymentName = matched.api === 'v1' ? parsed.value?.model : matched.deployment;
		const p = auth.payload ?? {};
		const record = {
			route: matched.route,
			api: matched.api,
			...(matched.gateway ? { gateway: true } : {}),
			apiVersion,
			deployment: deploymentName,
			auth: auth.kind,
			...(auth.payload
				? {
						sub: p.sub,
						oid: p.oid,
						appid: p.appid ?? p.azp,
						idtyp: p.idtyp,
						aud: p.aud,
						roles: p.roles,
						scp: p.scp,
						jti: p.jti,
						iat: p.iat,
						exp: p.exp,
					}
				: {}),
			...(auth.tokenSha256 ? { tokenSha256: auth.tokenSha256 } : {}),
			...(auth.reason ? { reason: auth.reason } : {}),
			stream: parsed.value?.stream === true,
			options: optionsOf(parsed.value),
			status: undefined,
			at: new Date().toISOString(),
		};
		requests.push(record);
		res.on('finish', () => {
			record.status = res.statusCode;
		});

		if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
		if (auth.refused) return send(auth.refused);
		if (auth.payload && !permitted(auth.payload)) return send(permissionDenied(p, matched));
		const claimsAnswered = challengesSent.has(p.xms_rig_claims?.nbf?.value);
		if (claimsAnswered) record.claimsSatisfied = true;
		const fault = takeFault(matched.route, auth, claimsAnswered);
		if (fault) {
			record.fault = fault.kind;
			return send(faultAnswer(fault, matched.route, apiVersion));
		}
		if (parsed.error)
			return send(invalidRequest(`We could not parse the JSON body of your request. (${parsed.error})`));
		const deployment = DEPLOYMENTS[deploymentName];
		if (!deployment) return send(deploymentNotFound());
		if (deployment.kind !== matched.route) return send(operationNotSupported(matched.route, deploymentName));

		const id = `${matched.route === 'chat' ? 'chatcmpl' : 'emb'}-rig${(sequence += 1).toString(36)}`;
		if (matched.route === 'chat') return chat(res, baseHeaders, parsed.value, deployment, id, record);
		return embeddings(send, parsed.value, deployment, deploymentName, record);
	}

	function chat(res, baseHeaders, body, deployment, id, record) {
		const send = sender(res, baseHeaders);
		if (!Array.isArray(body.messages) || body.messages.length === 0)
			return send(invalidRequest("'messages' is a required property", 'messages'));
		const turn = chatTurn(body, { idSeed: `${id}:${body.messages.length}` });
		record.finishReason = turn.finishReason;
		if (turn.toolCalls) record.toolCalls = turn.toolCalls.map((c) => c.function.name);
		const created = Math.floor(Date.now() / 1000);
		const usage = {
			prompt_tokens: turn.promptTokens,
			completion_tokens: turn.completionTokens,
			total_tokens: turn.promptTokens + turn.completionTokens,
		};
		const common = { id, created, model: deployment.model, system_fingerprint: 'fp_rig' };
		if (body.stream === true) return streamChat(res, baseHeaders, body, turn, common, usage);
		const message = { role: 'assistant', content: turn.content, refusal: null };
		if (turn.toolCalls) message.tool_calls = turn.toolCalls;
		return send({
			body: {
				...common,
				object: 'chat.completion',
				choices: [{ index: 0, message, logprobs: null, finish_reason: turn.finishReason, content_filter_results: {} }],
				usage,
				prompt_filter_results: PROMPT_FILTER_RESULTS,
			},
		});
	}

	// Azure's stream: a first chunk with no choices (the prompt filter results), the role, the content
	// or tool call in pieces, the finish reason, the usage chunk when asked for, then [DONE].
	function streamChat(res, baseHeaders, body, turn, common, usage) {
		res.writeHead(200, {
			...baseHeaders,
			'content-type': 'text/event-stream; charset=utf-8',
			'cache-control': 'no-cache',
		});
		const chunk = (choices, extra = {}) =>
			`data: ${JSON.stringify({ ...common, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
		const delta = (d, finishReason = null) => [{ index: 0, delta: d, logprobs: null, finish_reason: finishReason }];
		const includeUsage = body.stream_options?.include_usage === true;
		const parts = [
			`data: ${JSON.stringify({ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: PROMPT_FILTER_RESULTS })}\n\n`,
		];
		if (turn.toolCalls) {
			parts.push(chunk(delta({ role: 'assistant', content: null, refusal: null })));
			turn.toolCalls.forEach((call, index) => {
				parts.push(
					chunk(
						delta({
							tool_calls: [
								{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
							],
						}),
					),
				);
				for (const piece of pieces(call.function.arguments, 3))
					parts.push(chunk(delta({ tool_calls: [{ index, function: { arguments: piece } }] })));
			});
		} else {
			parts.push(chunk(delta({ role: 'assistant', content: '', refusal: null })));
			for (const piece of pieces(turn.content, 4)) parts.push(chunk(delta({ content: piece })));
		}
		parts.push(chunk(delta({}, turn.finishReason), includeUsage ? { usage: null } : {}));
		if (includeUsage) parts.push(chunk([], { usage }));
		parts.push('data: [DONE]\n\n');
		res.end(parts.join(''));
	}

	function embeddings(send, body, deployment, deploymentName, record) {
		const input = body.input;
		const inputs = typeof input === 'string' ? [input] : Array.isArray(input) ? input : undefined;
		if (!inputs || inputs.length === 0 || inputs.length > 2048)
			return send(invalidRequest("'input' must be a string or an array of 1 to 2048 strings", 'input'));
		if (body.dimensions !== undefined && !deployment.dimensionsAllowed)
			return send(invalidRequest('This model does not support specifying dimensions.', 'dimensions'));
		const dimensions = body.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
		if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > DEFAULT_EMBEDDING_DIMENSIONS)
			return send(
				invalidRequest(`'dimensions' must be an integer from 1 to ${DEFAULT_EMBEDDING_DIMENSIONS}`, 'dimensions'),
			);
		const base64 = body.encoding_format === 'base64';
		// Token arrays (the OpenAI SDK may send them) are embedded as the text of their numbers.
		const texts = inputs.map((item) => (Array.isArray(item) ? item.join(' ') : textOf(item)));
		record.inputs = texts.length;
		record.dimensions = dimensions;
		const promptTokens = texts.reduce((sum, t) => sum + countTokens(t), 0);
		return send({
			body: {
				object: 'list',
				data: texts.map((text, index) => {
					const vector = embed(text, dimensions);
					return {
						object: 'embedding',
						index,
						embedding: base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector, round),
					};
				}),
				model: deployment.model ?? deploymentName,
				usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
			},
		});
	}

	async function handleAdmin(req, res, url, body) {
		const route = `${req.method} ${url.pathname.replace(/^\/__aoai/, '')}`;
		const spec = parseJson(body).value ?? {};
		switch (route) {
			case 'GET /requests':
				return sendJson(res, { body: requests });
			case 'POST /reset':
				reset();
				return sendJson(res, { body: { reset: true } });
			case 'POST /latency':
				latencyMs = Math.max(0, Number(spec.ms) || 0);
				return sendJson(res, { body: { latencyMs } });
			case 'POST /fault': {
				if (!['throttle', 'claimsChallenge', 'error'].includes(spec.kind))
					return sendJson(res, { status: 400, body: { error: 'kind must be throttle, claimsChallenge or error' } });
				const fault = {
					...spec,
					left: Math.max(1, Number(spec.times ?? 1)),
					value: String(Math.floor(Date.now() / 1000) + (sequence += 1)),
				};
				faults.push(fault);
				return sendJson(res, { body: { armed: true, faults: faults.length } });
			}
			default:
				return sendJson(res, { status: 404, body: { error: `unknown admin route ${route}` } });
		}
	}

	return { handle, reset, apiKey };
}

// Every answer carries Azure's request id headers.
const sender = (res, baseHeaders) => (answer) =>
	sendJson(res, { ...answer, headers: { ...baseHeaders, ...answer.headers } });

function matchRoute(pathname) {
	const gateway = pathname.startsWith(`${GATEWAY_PATH}/`);
	const path = gateway ? pathname.slice(GATEWAY_PATH.length) : pathname;
	for (const { pattern, route, api } of ROUTES) {
		const match = pattern.exec(path);
		if (match) return { route, api, gateway, deployment: match[1] && decodeURIComponent(match[1]) };
	}
	return undefined;
}

function parseJson(buffer) {
	if (buffer.length === 0) return { value: {} };
	try {
		const value = JSON.parse(buffer.toString('utf8'));
		return value && typeof value === 'object' && !Array.isArray(value) ? { value } : { error: 'not a JSON object' };
	} catch (error) {
		return { error: error.message };
	}
}

// What the client asked for besides the conversation or the input: temperature, max tokens,
// response format, dimensions, the tools' names and parameter schemas, the tool results in the
// conversation... so a test can check its options and the tools' answers reached the model.
function optionsOf(body) {
	if (!body) return {};
	const { messages, input, tools, ...rest } = body;
	return {
		...rest,
		...(Array.isArray(messages)
			? {
					messageRoles: messages.map((m) => m?.role),
					// What the tools answered, as the model received it (a test sees the tool ran).
					toolResults: messages.filter((m) => m?.role === 'tool').map((m) => textOf(m.content).slice(0, 500)),
				}
			: {}),
		...(Array.isArray(tools)
			? {
					toolNames: tools.map((t) => t?.function?.name),
					toolParameters: tools.map((t) => t?.function?.parameters),
				}
			: {}),
	};
}

const round = (v) => Math.round(v * 1e6) / 1e6;

function pieces(text, count) {
	const size = Math.max(1, Math.ceil(text.length / count));
	const out = [];
	for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
	return out;
}

const SAFE = { filtered: false, severity: 'safe' };
const PROMPT_FILTER_RESULTS = [
	{ prompt_index: 0, content_filter_results: { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE } },
];

const resourceNotFound = () => ({ status: 404, body: { error: { code: '404', message: 'Resource not found' } } });

const invalidKey = () => ({
	status: 401,
	body: {
		error: {
			code: '401',
			message:
				'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
		},
	},
});

const unauthorizedToken = () => ({
	status: 401,
	body: {
		statusCode: 401,
		message: `Unauthorized. Access token is missing, invalid, audience is incorrect (${COGNITIVE_SERVICES}), or have expired.`,
	},
});

function permissionDenied(payload, matched) {
	const path =
		matched.api === 'v1'
			? `/openai/v1/${matched.route === 'chat' ? 'chat/completions' : 'embeddings'}`
			: `/openai/deployments/{deployment-id}/${matched.route === 'chat' ? 'chat/completions' : 'embeddings'}`;
	return {
		status: 401,
		body: {
			error: {
				code: 'PermissionDenied',
				message: `The principal \`${payload.oid ?? payload.sub}\` lacks the required data action \`${DATA_ACTIONS[matched.route]}\` to perform \`POST ${path}\` operation.`,
			},
		},
	};
}

const deploymentNotFound = () => ({
	status: 404,
	body: {
		error: {
			code: 'DeploymentNotFound',
			message:
				'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
		},
	},
});

const operationNotSupported = (route, deployment) => ({
	status: 400,
	body: {
		error: {
			code: 'OperationNotSupported',
			message: `The ${route === 'chat' ? 'chatCompletion' : 'embeddings'} operation does not work with the specified model, ${deployment}. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.`,
		},
	},
});

const invalidRequest = (message, param = null) => ({
	status: 400,
	body: { error: { message, type: 'invalid_request_error', param, code: null } },
});
