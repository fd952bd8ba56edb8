/**
 * Tenant Override in real n8n: one client-credentials record serves three tenants of the rig.
 * Every run is a new `n8n execute` process (executeInNewProcess): the records share one app, whose
 * tokens a long-lived process would hold in memory for all of them. So a first execution counts
 * from a cold process, and a second one that makes no token request was served by the one MSAL
 * cache in the credential record, holding a token per tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createN8n, type N8nInstance } from '../rig/n8n';
import { startRig, type Rig } from '../rig/rig';
import { packagedBuild } from './support/packagedBuild';
import { acquireToken, callApi, chain, manualTrigger, type WorkflowNode } from './support/workflows';

type Ref = { id: string; name: string };

/** A Code node emitting `count` items whose tenant cycles through `tenants`. */
function tenantItems(count: number, tenants: string[]): WorkflowNode {
	return {
		name: 'Items',
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		parameters: {
			jsCode: `const tenants = ${JSON.stringify(tenants)};\nreturn Array.from({ length: ${count} }, (_, index) => ({ json: { index, tenant: tenants[index % tenants.length] } }));`,
		},
	};
}

describe('a tenant per item in real n8n', () => {
	let rig: Rig;
	let n8n: N8nInstance;
	const cred: Record<string, Ref> = {};
	const wf: Record<string, string> = {};
	const TENANTS = ['tenant1', 'tenant2', 'tenant3'];

	const tokenRequestsByTenant = async (): Promise<Record<string, number>> => {
		const counts: Record<string, number> = {};
		for (const record of (await rig.stats()).tokenRequests)
			counts[record.tenant ?? '?'] = (counts[record.tenant ?? '?'] ?? 0) + 1;
		return counts;
	};
	const tenantIdOf = (name: string): string =>
		name === rig.tenant ? rig.tenantId : rig.otherTenants[name as 'tenant2' | 'tenant3'].tenantId;

	beforeAll(async () => {
		rig = await startRig();
		n8n = await createN8n({ packageTarball: packagedBuild(), env: rig.childEnv() });
		const secret = {
			cloud: 'custom',
			authorityUrl: rig.authority,
			scopes: rig.api.scope,
			clientId: rig.clients.secret.clientId,
			clientAuthentication: 'secret',
			clientSecret: rig.clients.secret.clientSecret,
			allowedTenants: 'tenant2, tenant3',
		};
		const names = ['acquire', 'callApi', 'refusal'];
		const ids = await n8n.importCredentials(
			names.map((name) => ({ name, type: 'msalClientCredentialsApi', data: secret })),
		);
		names.forEach((name, index) => (cred[name] = { id: ids[index], name }));

		const override = { tenantOverride: '={{ $json.tenant }}' };
		const workflows: Array<[string, object]> = [
			['acquire', chain('acquire', [manualTrigger(), tenantItems(300, TENANTS), acquireToken(cred.acquire, override)])],
			[
				'callApi',
				chain('callApi', [
					manualTrigger(),
					tenantItems(300, TENANTS),
					callApi(cred.callApi, { ...override, url: `${rig.api.baseUrl}/me` }),
				]),
			],
			[
				'hugeOverride',
				chain('hugeOverride', [
					manualTrigger(),
					{
						name: 'Items',
						type: 'n8n-nodes-base.code',
						typeVersion: 2,
						parameters: {
							jsCode: "return [{ json: { tenant: 'evil\\r\\nforged line ' + 'x'.repeat(1024 * 1024) } }];",
						},
					},
					acquireToken(cred.refusal, override),
				]),
			],
			[
				'refusal',
				chain('refusal', [
					manualTrigger(),
					tenantItems(3, ['tenant2', 'tenant9', 'tenant3']),
					{ ...acquireToken(cred.refusal, override), continueOnFail: true },
				]),
			],
		];
		const workflowIds = await n8n.importWorkflows(workflows.map(([, w]) => w));
		workflows.forEach(([name], index) => (wf[name] = workflowIds[index]));
	});

	afterAll(async () => {
		await n8n?.dispose();
		await rig?.stop();
	});

	it('Acquire Token: 300 items across 3 tenants make 3 token requests, then none; each token is for its tenant', async () => {
		await rig.reset();
		const first = await n8n.executeInNewProcess(wf.acquire);
		expect(first.status).toBe('success');
		expect(await tokenRequestsByTenant()).toEqual({ tenant1: 1, tenant2: 1, tenant3: 1 });
		const output = first.nodeOutput('Acquire Token');
		expect(output).toHaveLength(300);
		output.forEach((item, index) => expect(item.json.tenantId).toBe(tenantIdOf(TENANTS[index % 3])));

		await rig.reset();
		const second = await n8n.executeInNewProcess(wf.acquire);
		expect(second.status).toBe('success');
		expect(await tokenRequestsByTenant()).toEqual({});
		const again = second.nodeOutput('Acquire Token');
		expect(again.every((item) => item.json.fromCache === true)).toBe(true);
		expect(again.map((item) => item.json.tenantId)).toEqual(output.map((item) => item.json.tenantId));
	});

	it('Call API: 300 items across 3 tenants, 3 token requests then none; the API saw each tenant', async () => {
		await rig.reset();
		const first = await n8n.executeInNewProcess(wf.callApi);
		expect(first.status).toBe('success');
		expect(await tokenRequestsByTenant()).toEqual({ tenant1: 1, tenant2: 1, tenant3: 1 });
		const output = first.nodeOutput('Call API');
		expect(output).toHaveLength(300);
		output.forEach((item, index) => expect(item.json.tid).toBe(tenantIdOf(TENANTS[index % 3])));

		await rig.reset();
		const second = await n8n.executeInNewProcess(wf.callApi);
		expect(second.status).toBe('success');
		expect(await tokenRequestsByTenant()).toEqual({});
		expect(second.nodeOutput('Call API')).toHaveLength(300);
	});

	it('an item for a tenant outside Allowed Tenants fails alone (continue on fail)', async () => {
		await rig.reset();
		const run = await n8n.executeInNewProcess(wf.refusal);
		expect(run.status).toBe('success');
		const [ok2, refused, ok3] = run.nodeOutput('Acquire Token');
		expect(ok2.json.tenantId).toBe(rig.otherTenants.tenant2.tenantId);
		expect(ok3.json.tenantId).toBe(rig.otherTenants.tenant3.tenantId);
		expect(refused.json).not.toHaveProperty('accessToken');
		expect(String(refused.json.error)).toContain('"tenant9" is not in the credential\'s Allowed Tenants');
		expect(refused.pairedItem).toEqual({ item: 1 });
		expect(await tokenRequestsByTenant()).toEqual({ tenant2: 1, tenant3: 1 });
	});

	it('a 1 MB Tenant Override is refused before any request with a short, one-line error (long-lived server)', async () => {
		await rig.reset();
		const run = await n8n.execute(wf.hugeOverride);
		expect(run.status).toBe('error');
		const message = String(run.error?.message);
		expect(message).toContain('Tenant Override "evil\\r\\nforged line xxx');
		expect(message).toContain('…" (1,048,594 characters)');
		expect(message.length).toBeLessThan(300);
		expect(message).not.toMatch(/[\r\n]/);
		expect((await rig.stats()).tokenRequests).toHaveLength(0);
	});
});
