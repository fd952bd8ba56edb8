/*
 * Self-test of the real-n8n harness (test/rig/n8n.ts), independent of the package
 * under test: builds a throw-away community package (one node, one credential with a
 * password and a hidden field) in a temp dir, packs it, installs it into a fresh n8n
 * user folder the way n8n installs community packages, imports a credential and two
 * workflows, executes them, and reads everything back.
 *
 * Run: npx jest --selectProjects e2e test/e2e/harness.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createN8n, N8nInstance, type ExecutionResult } from '../rig/n8n';

const PKG = 'n8n-nodes-harnesscheck';
const SECRET = 'harness-secret-7f3a9c1e5b';

function buildFixturePackage(dir: string): string {
	const write = (rel: string, content: string) => {
		fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
		fs.writeFileSync(path.join(dir, rel), content);
	};
	write(
		'package.json',
		JSON.stringify(
			{
				name: PKG,
				version: '0.0.1',
				main: 'index.js',
				files: ['dist', 'index.js'],
				license: 'MIT',
				n8n: {
					n8nNodesApiVersion: 1,
					credentials: ['dist/credentials/HarnessCheckApi.credentials.js'],
					nodes: ['dist/nodes/HarnessCheck/HarnessCheck.node.js'],
				},
				peerDependencies: { 'n8n-workflow': '*' },
				devDependencies: { typescript: '*' },
			},
			null,
			2,
		),
	);
	write('index.js', 'module.exports = {};\n');
	write(
		'dist/credentials/HarnessCheckApi.credentials.js',
		`"use strict";
class HarnessCheckApi {
  constructor() {
    this.name = 'harnessCheckApi';
    this.displayName = 'Harness Check API';
    this.properties = [
      { displayName: 'User', name: 'user', type: 'string', default: '' },
      { displayName: 'Secret', name: 'secret', type: 'string', typeOptions: { password: true }, default: '' },
      { displayName: 'Region', name: 'region', type: 'string', default: 'eu-default' },
      { displayName: 'Cache', name: 'cache', type: 'hidden', default: '' },
    ];
  }
}
exports.HarnessCheckApi = HarnessCheckApi;
`,
	);
	write(
		'dist/nodes/HarnessCheck/HarnessCheck.node.js',
		`"use strict";
const { NodeOperationError } = require('n8n-workflow');
class HarnessCheck {
  constructor() {
    this.description = {
      displayName: 'Harness Check',
      name: 'harnessCheck',
      group: ['transform'],
      version: 1,
      description: 'Outputs N items',
      defaults: { name: 'Harness Check' },
      inputs: ['main'],
      outputs: ['main'],
      credentials: [{ name: 'harnessCheckApi', required: true }],
      properties: [
        { displayName: 'Count', name: 'count', type: 'number', default: 1 },
        { displayName: 'Fail', name: 'fail', type: 'boolean', default: false },
      ],
    };
  }
  async execute() {
    const creds = await this.getCredentials('harnessCheckApi');
    const count = this.getNodeParameter('count', 0);
    if (this.getNodeParameter('fail', 0)) {
      throw new NodeOperationError(this.getNode(), 'harness check failed on purpose', { description: 'requested by the test' });
    }
    const out = [];
    for (let i = 0; i < count; i++) {
      out.push({
        json: { hello: 'world', index: i, user: creds.user, region: creds.region, cache: creds.cache, secretLength: String(creds.secret).length },
        pairedItem: { item: 0 },
      });
    }
    return [out];
  }
}
exports.HarnessCheck = HarnessCheck;
`,
	);
	const tgz = execFileSync('npm', ['pack', '--quiet', '--pack-destination', dir], {
		cwd: dir,
		encoding: 'utf8',
	}).trim();
	return path.join(dir, tgz.split('\n').pop()!);
}

function workflow(name: string, credId: string, params: Record<string, unknown>, nodeType: string) {
	return {
		name,
		nodes: [
			{
				id: 'a1',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			{
				id: 'a2',
				name: 'Check',
				type: nodeType,
				typeVersion: 1,
				position: [200, 0],
				parameters: params,
				credentials: { harnessCheckApi: { id: credId, name: 'harness cred' } },
			},
		],
		connections: { Start: { main: [[{ node: 'Check', type: 'main', index: 0 }]] } },
	};
}

/**
 * On a loaded machine n8n's CLI was seen ended by a signal during its shutdown, after it had
 * printed the whole run (twice in about ten suite runs, never alone); the printed run is what the
 * harness reads, so only a normal exit is held to its code.
 */
function expectExit(result: ExecutionResult, code: number): void {
	if (result.cli.signal !== null) {
		process.stderr.write(`[harness] n8n execute ended by ${result.cli.signal} after printing its run\n`);
		expect(result.raw).toBeDefined();
		return;
	}
	expect(result.exitCode).toBe(code);
}

describe('real n8n harness', () => {
	let n8n: N8nInstance;
	let tmp: string;
	let credId: string;
	let okId: string;
	let failId: string;

	beforeAll(async () => {
		tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-pkg-'));
		const tarball = buildFixturePackage(tmp);
		n8n = await createN8n({ packageTarball: tarball, env: { HARNESS_EXTRA: '1' } });
	});

	afterAll(async () => {
		if (n8n) {
			process.stdout.write(`[harness timings ms] ${JSON.stringify(n8n.timings)}\n`);
			if (process.env.HARNESS_DUMP) fs.writeFileSync(process.env.HARNESS_DUMP, n8n.logs());
			await n8n.dispose();
		}
		if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
	});

	it('installs the package like n8n does', () => {
		const dir = path.join(n8n.nodesFolder, 'node_modules', PKG);
		const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
		expect(pkg.peerDependencies).toBeUndefined();
		expect(pkg.devDependencies).toBeUndefined();
		const ledger = JSON.parse(fs.readFileSync(path.join(n8n.nodesFolder, 'package.json'), 'utf8'));
		expect(ledger.dependencies).toEqual({ [PKG]: '0.0.1' });
		expect(n8n.nodeType('harnessCheck')).toBe(`${PKG}.harnessCheck`);
		expect(n8n.env.HARNESS_EXTRA).toBe('1');
	});

	it('imports a plaintext credential and two workflows', async () => {
		[credId] = await n8n.importCredentials([
			{ name: 'harness cred', type: 'harnessCheckApi', data: { user: 'alice', secret: SECRET, cache: 'cached-1' } },
		]);
		[okId, failId] = await n8n.importWorkflows([
			workflow('ok', credId, { count: 3 }, n8n.nodeType('harnessCheck')),
			workflow('fail', credId, { count: 1, fail: true }, n8n.nodeType('harnessCheck')),
		]);
		expect(credId).toMatch(/^[A-Za-z0-9]{16}$/);
		expect(okId).not.toBe(failId);
	});

	it('executes a workflow and returns the node output', async () => {
		const result = await n8n.execute(okId);
		expect(result.status).toBe('success');
		expectExit(result, 0);
		expect(result.nodeRunCount('Check')).toBe(1);
		const items = result.nodeOutput('Check');
		expect(items).toHaveLength(3);
		expect(items.map((i) => i.json.index)).toEqual([0, 1, 2]);
		expect(items[0]).toMatchObject({
			json: { hello: 'world', user: 'alice', region: 'eu-default', cache: 'cached-1', secretLength: SECRET.length },
			pairedItem: { item: 0 },
		});
	});

	it('reports a failing node', async () => {
		const result = await n8n.execute(failId);
		expect(result.status).toBe('error');
		expectExit(result, 1);
		expect(result.error?.message).toBe('harness check failed on purpose');
		expect(result.nodeError('Check')?.message).toBe('harness check failed on purpose');
		expect(result.nodeError('Check')?.description).toBe('requested by the test');
		expect(result.lastNodeExecuted).toBe('Check');
	});

	it('runs a workflow in a new `n8n execute` process with the same result as on the server', async () => {
		const [onServer, inNewProcess] = [await n8n.execute(okId), await n8n.executeInNewProcess(okId)];
		expect(inNewProcess.cli.args[0]).toBe('execute');
		expectExit(inNewProcess, 0);
		expect(inNewProcess.nodeOutput('Check')).toEqual(onServer.nodeOutput('Check'));
		const failed = await n8n.executeInNewProcess(failId);
		expectExit(failed, 1);
		expect(failed.nodeError('Check')?.message).toBe('harness check failed on purpose');
	});

	it('exports the credential decrypted and keeps secrets out of the database in plaintext', async () => {
		const creds = await n8n.exportCredentials();
		const cred = creds.find((c) => c.id === credId);
		expect(cred).toMatchObject({
			name: 'harness cred',
			type: 'harnessCheckApi',
			data: { user: 'alice', secret: SECRET, cache: 'cached-1' },
		});
		// The harness decrypts the stored record itself; n8n's own export reads the same.
		expect(await n8n.exportCredentialsWithCli()).toMatchObject(
			creds.map(({ id, name, type, data }) => ({ id, name, type, data })),
		);
		const rows = await n8n.storedCredentialRows();
		expect(rows).toHaveLength(1);
		expect(rows[0].data).not.toContain(SECRET);
	});

	it('reads stored executions from the database', async () => {
		const executions = await n8n.executions();
		expect(executions.map((e) => e.status)).toEqual(['success', 'error', 'success', 'success', 'error']);
		expect(executions[0].workflowId).toBe(okId);
		expect(executions[0].data.resultData.runData.Check[0].data.main[0]).toHaveLength(3);
		for (const e of executions) expect(e.rawData).not.toContain(SECRET);
	});

	it('collects the output of every child and never logged the secret', () => {
		const logs = n8n.logs();
		expect(logs).toContain('$ n8n start');
		expect(logs).toContain('$ n8n execute');
		expect(logs).toContain('Execution was successful');
		expect(logs).not.toContain(SECRET);
	});

	it('starts and stops n8n as a server', async () => {
		const { baseUrl } = await n8n.startServer();
		const res = await fetch(`${baseUrl}/healthz`);
		expect(res.status).toBe(200);
		await n8n.stopServer();
	});
});
