/**
 * `npm run demo`: a real n8n runs examples/acquire-token-then-call-api.json twice and we show
 * what happened. Against the local identity provider by default; against Entra ID when
 * MSAL_TENANT_ID, MSAL_CLIENT_ID, MSAL_CLIENT_SECRET (or MSAL_CERTIFICATE_FILE and
 * MSAL_PRIVATE_KEY_FILE) are set, with MSAL_SCOPE (default https://graph.microsoft.com/.default)
 * and MSAL_API_URL (default https://graph.microsoft.com/v1.0/organization).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createN8n } from './n8n';
import { startRig, type Rig } from './rig';
import { secretClientCredentialData } from './credentialData';

interface Target {
	credential: Record<string, unknown>;
	apiUrl: string;
	describe: string;
	rig?: Rig;
}

async function localTarget(): Promise<Target> {
	const rig = await startRig();
	return {
		rig,
		apiUrl: `${rig.api.baseUrl}/me`,
		describe: `local identity provider ${rig.authority} and protected API ${rig.api.baseUrl}`,
		credential: secretClientCredentialData(rig),
	};
}

function tenantTarget(env: NodeJS.ProcessEnv): Target {
	const authentication = env.MSAL_CLIENT_SECRET
		? { clientAuthentication: 'secret', clientSecret: env.MSAL_CLIENT_SECRET }
		: {
				clientAuthentication: 'certificate',
				publicCertificate: readFileSync(env.MSAL_CERTIFICATE_FILE as string, 'utf8'),
				privateKey: readFileSync(env.MSAL_PRIVATE_KEY_FILE as string, 'utf8'),
			};
	return {
		apiUrl: env.MSAL_API_URL ?? 'https://graph.microsoft.com/v1.0/organization',
		describe: `Entra ID tenant ${env.MSAL_TENANT_ID}`,
		credential: {
			cloud: env.MSAL_CLOUD ?? 'global',
			tenant: env.MSAL_TENANT_ID,
			clientId: env.MSAL_CLIENT_ID,
			scopes: env.MSAL_SCOPE ?? 'https://graph.microsoft.com/.default',
			...authentication,
		},
	};
}

async function main(): Promise<void> {
	const useTenant = Boolean(process.env.MSAL_TENANT_ID && process.env.MSAL_CLIENT_ID);
	if (
		useTenant &&
		!process.env.MSAL_CLIENT_SECRET &&
		!(process.env.MSAL_CERTIFICATE_FILE && process.env.MSAL_PRIVATE_KEY_FILE)
	) {
		throw new Error('For a real tenant set MSAL_CLIENT_SECRET, or MSAL_CERTIFICATE_FILE and MSAL_PRIVATE_KEY_FILE.');
	}
	const target = useTenant ? tenantTarget(process.env) : await localTarget();
	const n8n = await createN8n({
		packageTarball: process.env.MSAL_PACKAGE_TARBALL as string,
		env: target.rig?.childEnv() ?? {},
	});
	try {
		console.log(`n8n ${n8n.userFolder} with ${n8n.packageName}@${n8n.packageVersion}, against the ${target.describe}`);
		const [credentialId] = await n8n.importCredentials([
			{ name: 'Demo app', type: 'msalClientCredentialsApi', data: target.credential },
		]);
		const workflow = JSON.parse(
			readFileSync(resolve(__dirname, '../../examples/acquire-token-then-call-api.json'), 'utf8'),
		);
		for (const node of workflow.nodes) {
			if (node.credentials?.msalClientCredentialsApi)
				node.credentials.msalClientCredentialsApi = { id: credentialId, name: 'Demo app' };
			if (node.name === 'Call API') node.parameters.url = target.apiUrl;
		}
		const workflowId = await n8n.importWorkflow(workflow);

		for (const run of [1, 2]) {
			await target.rig?.reset();
			const result = await n8n.executeInNewProcess(workflowId);
			if (result.status !== 'success') {
				console.log(`\nRun ${run} failed: ${result.error?.message}\n${result.error?.description ?? ''}`);
				process.exitCode = 1;
				return;
			}
			const token = result.nodeOutput('Acquire Token')[0].json;
			const answer = result.nodeOutput('Call API')[0]?.json;
			const stats = target.rig ? await target.rig.stats() : undefined;
			const idpRequests = stats ? Object.values(stats.requests).reduce((a, b) => a + b, 0) : undefined;
			console.log(
				`\nRun ${run} (a new n8n process): token ${token.fromCache ? 'served from the cache in the credential' : 'obtained from the identity provider'}, expires ${token.expiresOn}`,
			);
			if (stats)
				console.log(
					`  requests received by the identity provider: ${idpRequests} (token endpoint: ${stats.requests.token ?? 0})`,
				);
			console.log(`  API answered: ${JSON.stringify(answer).slice(0, 400)}`);
		}
		const stored = (await n8n.exportCredential(credentialId)).data.tokenCache as string;
		console.log(`\nThe credential record now holds the MSAL cache (${stored.length} bytes, encrypted at rest by n8n).`);
	} finally {
		await n8n.dispose();
		await target.rig?.stop();
	}
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
