/**
 * The Call API node, end to end: a real n8n executes workflows with the packed package against
 * the rig's identity provider and protected API (HTTPS on loopback). What the API received is
 * read from the rig, what n8n produced from the execution n8n printed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createN8n, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from './support/packagedBuild';
import { CALL_API, callApi, chain, graph, itemsNode, jsonItems, manualTrigger } from './support/workflows';
import { secretClientCredentialData } from '../rig/credentialData';

type Ref = { id: string; name: string };

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
/** The rig's /binary bytes: byte i = (i * 31 + 7) mod 256. */
const deterministicBytes = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff));

describe('Call API node in real n8n', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	let api: string;
	let cred: Ref;
	const wf: Record<string, string> = {};
	// A host outside the token's resource: counts every request it receives.
	let other: Server;
	let otherHits = 0;
	let otherPort: number;

	const tokenRequests = async () => (await rig.stats()).tokenRequests;
	const idpRequests = async () => Object.values((await rig.stats()).requests).reduce((a, b) => a + b, 0);
	const apiCalls = async (path?: string) =>
		(await rig.apiRequests()).filter((r) => path === undefined || r.path === path);

	beforeAll(async () => {
		rig = await startRig();
		api = rig.api.baseUrl;
		other = createServer((_req, res) => {
			otherHits++;
			res.end('{}');
		});
		await new Promise<void>((done) => other.listen(0, '127.0.0.1', done));
		otherPort = (other.address() as AddressInfo).port;

		n8n = await createN8n({ packageTarball: packagedBuild(), env: rig.childEnv() });
		const [id] = await n8n.importCredentials([
			{
				name: 'rig app',
				type: 'msalClientCredentialsApi',
				data: secretClientCredentialData(rig),
			},
		]);
		cred = { id, name: 'rig app' };
		// The same app, allowing one more host through n8n's own domain restriction fields.
		const [allowingId] = await n8n.importCredentials([
			{
				name: 'rig app allowing localhost',
				type: 'msalClientCredentialsApi',
				data: secretClientCredentialData(rig, { allowedHttpRequestDomains: 'domains', allowedDomains: 'localhost' }),
			},
		]);
		const allowing = { id: allowingId, name: 'rig app allowing localhost' };
		const call = (parameters: Record<string, unknown>, name = 'Call API') => callApi(cred, parameters, name);
		const post = (name: string, body: Record<string, unknown>) =>
			call({ method: 'POST', url: `${api}/echo`, sendBody: true, ...body }, name);
		const fail = (parameters: Record<string, unknown>) => [manualTrigger(), call(parameters)];

		const workflows: Array<[string, object]> = [
			[
				'thousand',
				chain('thousand', [manualTrigger(), itemsNode(1000), call({ url: `=${api}/echo?i={{ $json.index }}` })]),
			],
			[
				'paging',
				graph(
					'paging',
					[
						manualTrigger(),
						call(
							{ url: `${api}/items?total=25&pageSize=10`, options: { returnAll: true, splitIntoItems: true } },
							'Graph',
						),
						call({ url: `${api}/items?total=25&pageSize=10`, options: { limit: 12, splitIntoItems: true } }, 'Limit'),
						call(
							// 0.1.0's name of Return All, still read.
							{ url: `${api}/arm/items?total=7&pageSize=3`, options: { followNextLinks: true, splitIntoItems: true } },
							'ARM',
						),
					],
					[
						['Start', 'Graph'],
						['Start', 'Limit'],
						['Start', 'ARM'],
					],
				),
			],
			[
				'binary',
				chain('binary', [
					manualTrigger(),
					call({ url: `${api}/binary?size=70000`, options: { responseFormat: 'binary' } }, 'Download'),
					call(
						{
							method: 'PUT',
							url: `${api}/upload`,
							sendBody: true,
							bodyContentType: 'binary',
							inputDataFieldName: 'data',
						},
						'Upload',
					),
				]),
			],
			[
				'bodies',
				graph(
					'bodies',
					[
						manualTrigger(),
						call({ url: `${api}/binary?size=300`, options: { responseFormat: 'binary' } }, 'Download'),
						post('JSON', {
							bodyContentType: 'json',
							jsonBody: '{"a": [1, 2], "s": "é"}',
							sendHeaders: true,
							headerParameters: {
								parameters: [
									{ name: 'ConsistencyLevel', value: 'eventual' },
									{ name: '', value: '' },
								],
							}, // an empty row is skipped
							sendQuery: true,
							queryParameters: { parameters: [{ name: '$filter', value: "startswith(name,'A b')" }] },
						}),
						post('Form', {
							bodyContentType: 'form',
							formFields: {
								fields: [
									{ name: 'x', value: 'a b&c' },
									{ name: 'y', value: '2' },
								],
							},
						}),
						post('Multipart', {
							bodyContentType: 'multipart',
							multipartParts: {
								parts: [
									{ partType: 'text', name: 'note', value: 'hi' },
									{ partType: 'binary', name: 'file', inputDataFieldName: 'data' },
								],
							},
						}),
						post('Raw', { bodyContentType: 'text', rawBody: '<a>é</a>', rawContentType: 'application/xml' }),
						post('Binary', {
							bodyContentType: 'binary',
							inputDataFieldName: 'data',
							binaryContentType: 'application/pdf',
						}),
					],
					['JSON', 'Form', 'Multipart', 'Raw', 'Binary']
						.map((to) => ['Download', to] as [string, string])
						.concat([['Start', 'Download']]),
				),
			],
			['throttle', chain('throttle', [manualTrigger(), call({ url: `${api}/throttle?times=1&retryAfter=2&key=e2e` })])],
			['storm', chain('storm', fail({ url: `${api}/unavailable`, options: { maxRetries: 2 } }))],
			['post', chain('post', fail({ method: 'POST', url: `${api}/throttle?times=1&retryAfter=1&key=post` }))],
			['cae', chain('cae', [manualTrigger(), call({ url: `${api}/cae?key=e2e` })])],
			[
				'guard',
				chain('guard', [
					manualTrigger(),
					jsonItems([
						{ url: `http://127.0.0.1:${otherPort}/collect` },
						{ url: `https://localhost:${new URL(api).port}/echo` },
						{ url: `${rig.authorityHost}/tenant1/oauth2/v2.0/token` },
					]),
					{ ...call({ url: '={{ $json.url }}' }), continueOnFail: true },
				]),
			],
			[
				'allowed',
				chain('allowed', [manualTrigger(), callApi(allowing, { url: `https://localhost:${new URL(api).port}/me` })]),
			],
			['badUrl', chain('badUrl', fail({ url: 'https://exa mple.com/x' }))],
			[
				'badHeader',
				chain(
					'badHeader',
					fail({
						url: `${api}/me`,
						sendHeaders: true,
						headerParameters: { parameters: [{ name: 'Bad Header', value: 'x' }] },
					}),
				),
			],
			[
				'badJson',
				chain(
					'badJson',
					fail({ method: 'POST', url: `${api}/echo`, sendBody: true, bodyContentType: 'json', jsonBody: '{"a": 1,' }),
				),
			],
			[
				'badBinary',
				chain(
					'badBinary',
					fail({
						method: 'POST',
						url: `${api}/upload`,
						sendBody: true,
						bodyContentType: 'binary',
						inputDataFieldName: 'nope',
					}),
				),
			],
			['badScope', chain('badScope', fail({ url: `${api}/me`, scopes: `${api}/Data.Read` }))],
			[
				'continue',
				chain('continue', [
					manualTrigger(),
					jsonItems([
						{ url: `${api}/me` },
						{ url: 'not a url' },
						{ url: `${api}/error?status=404&code=ResourceNotFound&message=Gone` },
					]),
					{ ...call({ url: '={{ $json.url }}' }), continueOnFail: true },
				]),
			],
		];
		const ids = await n8n.importWorkflows(workflows.map(([, w]) => w));
		workflows.forEach(([name], index) => (wf[name] = ids[index]));
	});

	afterAll(async () => {
		await n8n?.dispose();
		await rig?.stop();
		await new Promise((done) => other?.close(done));
	});

	it('1,000 items: 1,000 calls with valid tokens, one token request, order and pairedItem kept', async () => {
		await rig.reset();
		await rig.resetApi();
		const run = await n8n.execute(wf.thousand);
		expect(run.status).toBe('success');
		expect((await tokenRequests()).filter((r) => r.grant === 'client_credentials')).toHaveLength(1);
		const calls = await apiCalls('/echo');
		expect(calls).toHaveLength(1000);
		expect(calls.every((c) => (c.headers.authorization as { valid?: boolean })?.valid === true)).toBe(true);
		expect(new Set(calls.map((c) => c.query.i)).size).toBe(1000);
		const output = run.nodeOutput('Call API');
		expect(output).toHaveLength(1000);
		expect(output.map((item) => (item.json.query as { i: string }).i)).toEqual(
			Array.from({ length: 1000 }, (_, i) => String(i)),
		);
		expect(output.map((item) => item.pairedItem)).toEqual(Array.from({ length: 1000 }, (_, item) => ({ item })));
		expect(JSON.stringify(output)).not.toMatch(/Bearer|eyJ[\w-]+\.eyJ/);
	});

	it('Return All follows @odata.nextLink (3 pages) and ARM nextLink, one item per element; Limit stops at its count', async () => {
		await rig.resetApi();
		const run = await n8n.execute(wf.paging);
		expect(run.status).toBe('success');
		const graphItems = run.nodeOutput('Graph');
		expect(graphItems.map((item) => item.json.index)).toEqual(Array.from({ length: 25 }, (_, i) => i));
		expect(graphItems.every((item) => JSON.stringify(item.pairedItem) === '{"item":0}')).toBe(true);
		expect(run.nodeOutput('ARM').map((item) => item.json.id)).toEqual(Array.from({ length: 7 }, (_, i) => `item-${i}`));
		expect(run.nodeOutput('Limit').map((item) => item.json.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
		expect(await apiCalls('/items')).toHaveLength(3 + 2);
		expect(await apiCalls('/arm/items')).toHaveLength(3);
	});

	it('binary download then upload through n8n binary data: byte-identical', async () => {
		await rig.resetApi();
		const run = await n8n.execute(wf.binary);
		expect(run.status).toBe('success');
		const [downloaded] = run.nodeOutput('Download');
		expect(downloaded.binary?.data).toMatchObject({
			fileName: 'binary-70000.bin',
			mimeType: 'application/octet-stream',
		});
		const [uploaded] = run.nodeOutput('Upload');
		expect(uploaded.json).toEqual({
			sha256: sha256(deterministicBytes(70_000)),
			size: 70_000,
			contentType: 'application/octet-stream',
		});
		const [put] = await apiCalls('/upload');
		expect(put).toMatchObject({ method: 'PUT', bodySha256: sha256(deterministicBytes(70_000)) });
	});

	it('each body type reaches the API as sent (JSON with headers and query, form, multipart, raw, binary)', async () => {
		await rig.resetApi();
		const run = await n8n.execute(wf.bodies);
		expect(run.status).toBe('success');
		const echo = (node: string) =>
			run.nodeOutput(node)[0].json as {
				contentType: string;
				bodyText: string;
				bodyBase64: string;
				bodySha256: string;
				headers: Record<string, string>;
				query: Record<string, string>;
			};
		const json = echo('JSON');
		expect(json).toMatchObject({
			contentType: 'application/json',
			bodyText: '{"a": [1, 2], "s": "é"}',
			query: { $filter: "startswith(name,'A b')" },
		});
		expect(json.headers.consistencylevel).toBe('eventual');
		expect(echo('Form')).toMatchObject({ contentType: 'application/x-www-form-urlencoded', bodyText: 'x=a+b%26c&y=2' });
		expect(echo('Raw')).toMatchObject({ contentType: 'application/xml', bodyText: '<a>é</a>' });
		expect(echo('Binary')).toMatchObject({
			contentType: 'application/pdf',
			bodySha256: sha256(deterministicBytes(300)),
		});
		const multipart = echo('Multipart');
		expect(multipart.contentType).toMatch(/^multipart\/form-data; boundary=/);
		const form = await new Response(Buffer.from(multipart.bodyBase64, 'base64'), {
			headers: { 'content-type': multipart.contentType },
		}).formData();
		expect(form.get('note')).toBe('hi');
		const file = form.get('file') as File;
		expect(file.name).toBe('binary-300.bin');
		expect(sha256(Buffer.from(await file.arrayBuffer()))).toBe(sha256(deterministicBytes(300)));
	});

	it('waits out a 429 with Retry-After: 2, then succeeds', async () => {
		await rig.resetApi();
		const run = await n8n.execute(wf.throttle);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Call API')[0].json).toEqual({ key: 'e2e', attempts: 2 });
		const calls = await apiCalls('/throttle');
		expect(calls.map((c) => c.status)).toEqual([429, 200]);
		expect(Date.parse(calls[1].at) - Date.parse(calls[0].at)).toBeGreaterThanOrEqual(1900);
	});

	it('a 503 storm stops at the retry limit with a clear error', async () => {
		await rig.resetApi();
		const run = await n8n.execute(wf.storm);
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/503/);
		expect(run.error?.description).toContain('Gave up after 2 retries (Max Retries is 2)');
		expect(await apiCalls('/unavailable')).toHaveLength(3);
	});

	it('a POST is not retried by default', async () => {
		await rig.resetApi();
		const run = await n8n.execute(wf.post);
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/429/);
		expect(run.error?.description).toContain('POST was not retried');
		expect(await apiCalls('/throttle')).toHaveLength(1);
	});

	it('a claims challenge: exactly one new token request carrying the claims, and the retried call succeeds', async () => {
		await rig.reset();
		await rig.resetApi();
		const run = await n8n.execute(wf.cae);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Call API')[0].json).toEqual({ key: 'e2e', satisfied: true });
		const requests = await tokenRequests();
		expect(requests).toHaveLength(1); // the first token came from the credential's cache
		expect(JSON.parse(requests[0].claims ?? '{}')).toMatchObject({ access_token: { nbf: { essential: true } } });
		expect((await apiCalls('/cae')).map((c) => c.status)).toEqual([401, 200]);
	});

	it("refuses hosts outside the token's resource and allow-list: they receive nothing", async () => {
		await rig.reset();
		await rig.resetApi();
		otherHits = 0;
		const run = await n8n.execute(wf.guard);
		expect(run.status).toBe('success');
		const output = run.nodeOutput('Call API');
		expect(output).toHaveLength(3);
		output.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json.error).toMatch(/^Refused to send the access token .* Nothing was sent\.$/);
			expect(item.json.description).toContain('Allowed Domains');
		});
		expect(otherHits).toBe(0);
		expect(await rig.apiRequests()).toHaveLength(0);
		expect(await idpRequests()).toBe(0);
	});

	it("a host in the credential's Allowed Domains (n8n's domain restriction) receives the token", async () => {
		await rig.resetApi();
		const run = await n8n.execute(wf.allowed);
		expect(run.status).toBe('success');
		expect(run.nodeOutput('Call API')[0].json).toMatchObject({ appid: rig.clients.secret.clientId });
		const [call] = await rig.apiRequests();
		expect(call.headers.host).toContain('localhost');
		expect(call.headers.authorization).toMatchObject({ valid: true });
	});

	it.each([
		['badUrl', 'URL', /is not a valid URL/],
		['badHeader', 'Headers', /Header name "Bad Header" is not valid/],
		['badJson', 'JSON Body', /not valid JSON/],
		['badBinary', 'Input Binary Field', /has no binary property "nope"/],
		['badScope', 'Scope', /not valid for an app token/],
	])('bad input (%s): NodeOperationError naming the parameter "%s", nothing sent', async (name, field, message) => {
		await rig.reset();
		await rig.resetApi();
		const run = await n8n.execute(wf[name]);
		expect(run.status).toBe('error');
		expect(run.error?.name).toBe('NodeOperationError');
		expect(run.error?.message).toMatch(message);
		expect(run.error?.description).toContain(`(field: ${field})`);
		expect(await rig.apiRequests()).toHaveLength(0);
		expect(await idpRequests()).toBe(0);
	});

	it('continueOnFail: failing items become error items in place, the others go through', async () => {
		const run = await n8n.execute(wf.continue);
		expect(run.status).toBe('success');
		const [ok, badUrl, apiError] = run.nodeOutput('Call API');
		expect(ok).toMatchObject({ json: { appid: rig.clients.secret.clientId }, pairedItem: { item: 0 } });
		expect(badUrl).toMatchObject({
			json: { error: expect.stringContaining('not absolute'), description: expect.stringContaining('(field: URL)') },
			pairedItem: { item: 1 },
		});
		expect(apiError).toMatchObject({
			json: { statusCode: 404, code: 'ResourceNotFound', requestId: expect.any(String) },
			pairedItem: { item: 2 },
		});
	});

	it('the example workflows in examples/ import into n8n', async () => {
		const dir = join(__dirname, '../../examples');
		const examples = ['call-api-graph-users.json', 'call-api-arm-and-files.json'].map((file) =>
			JSON.parse(readFileSync(join(dir, file), 'utf8')),
		);
		const ids = await n8n.importWorkflows(examples.map((example) => ({ ...example, id: undefined })));
		expect(ids).toHaveLength(2);
		for (const example of examples) {
			const ours = (example.nodes as Array<{ type: string }>).filter((node) => node.type === CALL_API);
			expect(ours.length).toBeGreaterThan(0);
		}
	});

	it('no access token appears in stored execution data', async () => {
		const executions = JSON.stringify(await n8n.executions());
		expect(executions.length).toBeGreaterThan(10_000);
		expect(executions).not.toMatch(/Bearer eyJ|eyJ[\w-]{10,}\.eyJ[\w-]{10,}\./);
		expect(executions).not.toContain(rig.clients.secret.clientSecret);
	});
});
