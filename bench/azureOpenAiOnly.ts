/** `bash bench/run.sh bench/azureOpenAiOnly.ts`: benchmark (f) of `npm run bench` alone. */
import { createN8n, type N8nInstance } from '../test/rig/n8n';
import { startRig, type Rig } from '../test/rig/rig';
import { benchAzureOpenAi } from './azureOpenAi';
import { fmt, FunctionalFailure, median } from './measure';

async function main(): Promise<void> {
	const packageTarball = process.env.MSAL_PACKAGE_TARBALL;
	if (!packageTarball) throw new Error('MSAL_PACKAGE_TARBALL is not set: run through bench/run.sh.');
	let rig: Rig | undefined;
	let n8n: N8nInstance | undefined;
	try {
		rig = await startRig({ reuse: false });
		n8n = await createN8n({ packageTarball, env: rig.childEnv() });
		const result = await benchAzureOpenAi(n8n, rig);
		const [ours, builtIn] = [median(result.oursMsPerCall), median(result.builtInMsPerCall)];
		console.log(`Entra ID chat model: ${result.oursMsPerCall.map((v) => fmt(v, 2)).join(' / ')} ms/call`);
		console.log(`built-in, API key:   ${result.builtInMsPerCall.map((v) => fmt(v, 2)).join(' / ')} ms/call`);
		console.log(`token requests: ${result.tokenRequests}; ratio (medians): ${fmt(ours / builtIn, 2)}×`);
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
