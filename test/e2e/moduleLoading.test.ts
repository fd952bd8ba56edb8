import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createN8n, ensureN8nInstalled, type N8nInstance } from '../rig/n8n';
import { packagedBuild } from './support/packagedBuild';
import { MSAL_PACKAGE } from './support/workflows';

const execFileAsync = promisify(execFile);

/**
 * Pins how n8n loads a community package's files, which decides the package's policy for
 * process-wide state (nodes/core/processWide.ts): n8n-core's loadClassInIsolation runs
 * `new (require(file).Class)()` in a vm context whose `require` is n8n-core's own, so every
 * credential and node file of the package shares Node's one module cache.
 */
describe("n8n's loader", () => {
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await createN8n({ packageTarball: packagedBuild() });
	});

	afterAll(async () => {
		await n8n?.dispose();
	});

	it('requires credential and node files through one module cache: the core is loaded once', async () => {
		const install = await ensureN8nInstalled();
		const n8nModules = path.resolve(path.dirname(install.n8nBin), '..', '..');
		const packageDir = path.join(n8n.nodesFolder, 'node_modules', MSAL_PACKAGE);
		const script = `
			const path = require('path');
			const { loadClassInIsolation } = require(path.join(process.argv[1], 'n8n-core/dist/nodes-loader/load-class-in-isolation.js'));
			const dist = path.join(process.argv[2], 'dist');
			const loaded = [
				loadClassInIsolation(path.join(dist, 'credentials/MsalDeviceCodeApi.credentials.js'), 'MsalDeviceCodeApi').name,
				loadClassInIsolation(path.join(dist, 'credentials/MsalClientCredentialsApi.credentials.js'), 'MsalClientCredentialsApi').name,
				loadClassInIsolation(path.join(dist, 'nodes/MsalAcquireToken/MsalAcquireToken.node.js'), 'MsalAcquireToken').description.name,
				loadClassInIsolation(path.join(dist, 'nodes/MsalCallApi/MsalCallApi.node.js'), 'MsalCallApi').description.name,
				loadClassInIsolation(path.join(dist, 'nodes/MsalLmChatAzureOpenAi/MsalLmChatAzureOpenAi.node.js'), 'MsalLmChatAzureOpenAi').description.name,
				loadClassInIsolation(path.join(dist, 'nodes/MsalEmbeddingsAzureOpenAi/MsalEmbeddingsAzureOpenAi.node.js'), 'MsalEmbeddingsAzureOpenAi').description.name,
			];
			const copies = (file) => Object.keys(require.cache).filter((key) => key.startsWith(dist) && key.endsWith(file)).length;
			console.log(JSON.stringify({ loaded, cacheSession: copies('/nodes/core/cacheSession.js'), credentialStore: copies('/nodes/n8n/credentialStore.js') }));
		`;
		// Not NODE_ENV=test: n8n-core then uses a plain require instead of the vm context.
		const env = { ...n8n.env, NODE_PATH: n8nModules };
		const { stdout } = await execFileAsync(install.node24, ['-e', script, n8nModules, packageDir], {
			cwd: n8nModules,
			env,
		});
		expect(JSON.parse(stdout.trim().split('\n').pop() ?? '{}')).toEqual({
			loaded: [
				'msalDeviceCodeApi',
				'msalClientCredentialsApi',
				'msalAcquireToken',
				'msalCallApi',
				'msalLmChatAzureOpenAi',
				'msalEmbeddingsAzureOpenAi',
			],
			cacheSession: 1,
			credentialStore: 1,
		});
	});

	it("loads every node file where LangChain cannot be resolved: the AI sub-nodes take n8n's copy only when they supply a model", async () => {
		const install = await ensureN8nInstalled();
		const packageDir = path.join(n8n.nodesFolder, 'node_modules', MSAL_PACKAGE);
		const { n8n: nodes } = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as {
			n8n: { nodes: string[]; credentials: string[] };
		};
		const script = `
			const path = require('path');
			const files = JSON.parse(process.argv[2]);
			const loaded = files.map((file) => {
				const exports = require(path.join(process.argv[1], file));
				const instance = new (Object.values(exports)[0])();
				return instance.description?.name ?? instance.name;
			});
			let langChain = 'resolvable';
			try { require.resolve('@langchain/openai', { paths: [process.argv[1]] }); } catch { langChain = 'absent'; }
			const required = Object.keys(require.cache).filter((key) => key.includes('@langchain')).length;
			console.log(JSON.stringify({ loaded: loaded.length, langChain, required }));
		`;
		// NODE_PATH with n8n-workflow alone: what an n8n without its AI packages would offer.
		const n8nModules = path.resolve(path.dirname(install.n8nBin), '..', '..');
		const onlyWorkflow = await mkdtemp(path.join(tmpdir(), 'n8n-without-langchain-'));
		await symlink(path.join(n8nModules, 'n8n-workflow'), path.join(onlyWorkflow, 'n8n-workflow'));
		const { stdout } = await execFileAsync(
			install.node24,
			['-e', script, packageDir, JSON.stringify([...nodes.credentials, ...nodes.nodes])],
			{ cwd: onlyWorkflow, env: { PATH: process.env.PATH ?? '', NODE_PATH: onlyWorkflow } },
		);
		expect(JSON.parse(stdout.trim().split('\n').pop() ?? '{}')).toEqual({
			loaded: nodes.credentials.length + nodes.nodes.length,
			langChain: 'absent',
			required: 0,
		});
		expect(nodes.nodes).toHaveLength(7);
	});
});
