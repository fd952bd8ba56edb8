/**
 * `npm run bench` (bench/run.sh builds and packs first): every benchmark in one run, printed as
 * figures and ratios. Timings never fail the run; functional failures exit 1.
 */
import { createN8n, type N8nInstance } from '../test/rig/n8n';
import { startRig, type Rig } from '../test/rig/rig';
import { check, fmt, FunctionalFailure, median } from './measure';
import { benchAzureOpenAi, CHAIN_ITEMS } from './azureOpenAi';
import { benchAcquireToken, benchBatch, benchCalls, ITEMS } from './n8nBench';
import { benchSilentAcquisition } from './silentAcquisition';
import { benchValidateToken, VALIDATIONS } from './validateToken';

const packageTarball = process.env.MSAL_PACKAGE_TARBALL;

function target(ok: boolean): string {
	return ok ? 'met' : 'MISSED';
}

async function main(): Promise<void> {
	if (!packageTarball)
		throw new Error('MSAL_PACKAGE_TARBALL is not set: run `npm run bench` (bench/run.sh packs the package).');
	const started = performance.now();
	let rig: Rig | undefined;
	let n8n: N8nInstance | undefined;
	try {
		rig = await startRig({ reuse: false });
		console.log(`rig: identity provider ${rig.authority}, protected API ${rig.api.baseUrl}`);

		console.log(
			'\n(a) silent acquisition from the cache as stored in the credential vs raw MSAL Node in-memory cache hit\n    (median of 7 interleaved rounds of 5,000 sequential calls each)',
		);
		const silent = await benchSilentAcquisition(rig);
		console.log(
			`    stored cache: ${silent.storedBytes} bytes; token requests during the loops: ${silent.tokenRequestsDuringLoops}`,
		);
		console.log(`    ours, warm (same stored string):   ${fmt(silent.warmUs)} µs/op`);
		console.log(`    ours, cold (unseen stored string): ${fmt(silent.coldUs)} µs/op`);
		console.log(`    raw MSAL in-memory cache hit:      ${fmt(silent.rawUs)} µs/op`);

		console.log(
			`\n(d) Validate Token (Entra ID Protected Webhook Trigger): ${VALIDATIONS.toLocaleString('en')} validations against cached keys vs plain jose jwtVerify\n    (median of 7 interleaved rounds)`,
		);
		const validation = await benchValidateToken(rig);
		console.log(`    ours (jose, then Entra's checks):  ${fmt(validation.oursUs)} µs/token`);
		console.log(`    plain jose jwtVerify (local keys): ${fmt(validation.joseUs)} µs/token`);
		console.log(
			`    key fetches during the loops: ${validation.keyFetchesDuringLoops} (identity provider saw ${validation.idpKeyRequestsDuringLoops})`,
		);
		check(validation.keyFetchesDuringLoops === 0, 'Validate Token fetched keys during the loops');

		n8n = await createN8n({ packageTarball, env: rig.childEnv() });
		console.log(`\n(b) ${ITEMS} items through Acquire Token in real n8n`);
		const acquire = await benchAcquireToken(n8n, rig);
		console.log(
			`    first execution (empty cache):  ${acquire.tokenRequestsFirst} token request(s), ${fmt(acquire.msPerItemFirst, 3)} ms/item`,
		);
		console.log(
			`    second execution (cache stored): ${acquire.tokenRequestsSecond} token request(s), ${fmt(acquire.msPerItemSecond, 3)} ms/item`,
		);

		console.log(
			`\n(c) ${ITEMS} GETs against the protected API: Call API vs n8n HTTP Request node (same credential) vs plain fetch`,
		);
		const calls = await benchCalls(n8n, rig);
		const m = {
			callApi: median(calls.callApiMs),
			callApi10: median(calls.callApi10Ms),
			callApi1: median(calls.callApi1Ms),
			httpNode: median(calls.httpNodeMs),
			fetch5: median(calls.fetch5Ms),
			fetch10: median(calls.fetch10Ms),
			fetch1: median(calls.fetch1Ms),
		};
		const runs = (values: number[]) => values.map((v) => fmt(v, 0)).join(' / ');
		console.log(`    Call API (concurrency 5, default): ${runs(calls.callApiMs)} ms`);
		console.log(`    Call API (concurrency 10):         ${runs(calls.callApi10Ms)} ms`);
		console.log(`    Call API (concurrency 1):          ${runs(calls.callApi1Ms)} ms`);
		console.log(`    n8n HTTP Request node:             ${runs(calls.httpNodeMs)} ms`);
		console.log(`    plain fetch, 5 at a time:          ${runs(calls.fetch5Ms)} ms`);
		console.log(`    plain fetch, 10 at a time:         ${runs(calls.fetch10Ms)} ms`);
		console.log(`    plain fetch, one at a time:        ${runs(calls.fetch1Ms)} ms`);
		console.log(`    token requests per execution:      ${calls.tokenRequests.join(' / ')}`);
		const overhead = (ours: number, plain: number) => `${fmt(((ours - plain) * 1000) / ITEMS, 0)} µs/request`;
		console.log(
			`    Call API overhead over plain fetch: c=1 ${overhead(m.callApi1, m.fetch1)}, c=5 ${overhead(m.callApi, m.fetch5)}, c=10 ${overhead(m.callApi10, m.fetch10)}`,
		);

		console.log(
			`\n(d) ${ITEMS} GETs at 20 ms of API latency: Call API without and with Batch Requests (same concurrency)`,
		);
		const batch = await benchBatch(n8n, rig);
		const b = { plain: median(batch.unbatchedMs), batched: median(batch.batchedMs) };
		console.log(
			`    without batching (concurrency ${batch.concurrency}): ${runs(batch.unbatchedMs)} ms, ${batch.unbatchedRequests} requests at the API`,
		);
		console.log(
			`    with batching (concurrency ${batch.concurrency}):    ${runs(batch.batchedMs)} ms, ${batch.batchedRequests} requests at the API`,
		);

		console.log(
			`\n(f) Basic LLM Chain over ${CHAIN_ITEMS} items: Azure OpenAI Chat Model (Entra ID) vs n8n's Azure OpenAI Chat Model (API key), same emulator`,
		);
		const aoai = await benchAzureOpenAi(n8n, rig);
		const f = { ours: median(aoai.oursMsPerCall), builtIn: median(aoai.builtInMsPerCall) };
		const perCall = (values: number[]) => values.map((v) => fmt(v, 2)).join(' / ');
		console.log(`    Entra ID chat model (ours): ${perCall(aoai.oursMsPerCall)} ms/call`);
		console.log(`    built-in, API key:          ${perCall(aoai.builtInMsPerCall)} ms/call`);
		console.log(`    token requests over all runs of ours: ${aoai.tokenRequests}`);
		check(aoai.tokenRequests === 1, `the Entra ID chat model made ${aoai.tokenRequests} token requests, not 1`);

		const rows: Array<[string, string, string, string]> = [
			[
				'(a1) silent, warm: ours / raw MSAL',
				`${fmt(silent.warmUs)} / ${fmt(silent.rawUs)} µs`,
				`${fmt(silent.warmUs / silent.rawUs, 2)}×`,
				`≤1.5×: ${target(silent.warmUs / silent.rawUs <= 1.5)}`,
			],
			[
				'(a2) silent, cold: ours / raw MSAL',
				`${fmt(silent.coldUs)} / ${fmt(silent.rawUs)} µs`,
				`${fmt(silent.coldUs / silent.rawUs, 2)}×`,
				`≤1.5×: ${target(silent.coldUs / silent.rawUs <= 1.5)}`,
			],
			[
				'(b) Acquire Token ×1000: token requests',
				`${acquire.tokenRequestsFirst} (then ${acquire.tokenRequestsSecond})`,
				'',
				`=1: ${target(acquire.tokenRequestsFirst === 1)}`,
			],
			[
				'(b) Acquire Token: time per item',
				`${fmt(acquire.msPerItemFirst, 3)} (then ${fmt(acquire.msPerItemSecond, 3)}) ms`,
				'',
				'',
			],
			[
				'(c) HTTP Request node / Call API',
				`${fmt(m.httpNode, 0)} / ${fmt(m.callApi, 0)} ms`,
				`${fmt(m.httpNode / m.callApi, 2)}×`,
				`≥3×: ${target(m.httpNode / m.callApi >= 3)}`,
			],
			[
				'(c) Call API / plain fetch (c=5)',
				`${fmt(m.callApi, 0)} / ${fmt(m.fetch5, 0)} ms`,
				`${fmt(m.callApi / m.fetch5, 2)}×`,
				`≤1.2×: ${target(m.callApi / m.fetch5 <= 1.2)}`,
			],
			[
				'(c) Call API c=10 / plain fetch (c=10)',
				`${fmt(m.callApi10, 0)} / ${fmt(m.fetch10, 0)} ms`,
				`${fmt(m.callApi10 / m.fetch10, 2)}×`,
				`≤1.2×: ${target(m.callApi10 / m.fetch10 <= 1.2)}`,
			],
			[
				'(c) Call API c=1 / plain fetch (c=1)',
				`${fmt(m.callApi1, 0)} / ${fmt(m.fetch1, 0)} ms`,
				`${fmt(m.callApi1 / m.fetch1, 2)}×`,
				`≤1.2×: ${target(m.callApi1 / m.fetch1 <= 1.2)}`,
			],
			[
				'(d) 20 ms latency: unbatched / batched',
				`${fmt(b.plain, 0)} / ${fmt(b.batched, 0)} ms; ${batch.unbatchedRequests} / ${batch.batchedRequests} requests`,
				`${fmt(b.plain / b.batched, 2)}×`,
				`≥5×: ${target(b.plain / b.batched >= 5)}`,
			],
			[
				'(e) Validate Token / plain jose',
				`${fmt(validation.oursUs)} / ${fmt(validation.joseUs)} µs`,
				`${fmt(validation.oursUs / validation.joseUs, 2)}×`,
				`≤1.2×: ${target(validation.oursUs / validation.joseUs <= 1.2)}`,
			],
			[
				'(e) Validate Token: key fetches ×1000',
				`${validation.keyFetchesDuringLoops}`,
				'',
				`=0: ${target(validation.keyFetchesDuringLoops === 0)}`,
			],
			[
				'(f) chat model per call: Entra ID / API key',
				`${fmt(f.ours, 2)} / ${fmt(f.builtIn, 2)} ms`,
				`${fmt(f.ours / f.builtIn, 2)}×`,
				`≤1.1×: ${target(f.ours / f.builtIn <= 1.1)}`,
			],
		];
		const widths = [0, 1, 2, 3].map((c) =>
			Math.max(...rows.map((r) => r[c].length), ['benchmark', 'figures', 'ratio', 'target'][c].length),
		);
		const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ');
		console.log(
			`\nSummary (medians of ${calls.callApiMs.length} executions for (c); total bench time ${fmt((performance.now() - started) / 1000, 0)} s)`,
		);
		console.log(line(['benchmark', 'figures', 'ratio', 'target']));
		console.log(line(widths.map((w) => '-'.repeat(w))));
		for (const row of rows) console.log(line(row));
	} finally {
		await n8n?.dispose();
		await rig?.stop();
	}
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error instanceof FunctionalFailure ? `FUNCTIONAL FAILURE: ${error.message}` : error);
		process.exit(1);
	},
);
