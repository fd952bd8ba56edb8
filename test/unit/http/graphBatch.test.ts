import { describe, expect, it } from '@jest/globals';
import { buildBody } from '../../../nodes/core/http/body';
import { notBatchable, relativeToRoot } from '../../../nodes/core/http/graphBatch';
import { DEFAULT_RETRY_POLICY } from '../../../nodes/core/http/retry';
import type { ApiRequest } from '../../../nodes/core/http/sendRequest';
import { planBatches } from '../../../nodes/MsalCallApi/batch';

const root = new URL('https://graph.microsoft.com/v1.0/');
const get = (path: string, overrides: Partial<ApiRequest> = {}): ApiRequest => ({
	method: 'GET',
	url: new URL(path, root),
	headers: {},
	body: buildBody({ type: 'none' }),
	timeoutMs: 0,
	responseFormat: 'auto',
	neverError: false,
	retry: DEFAULT_RETRY_POLICY,
	...overrides,
});

describe('Graph batch planning', () => {
	it('45 Graph items in one token group → batches of 20, 20 and 5, in item order', () => {
		const requests = Array.from({ length: 45 }, (_, i) => get(`users/${i}`));
		const plan = planBatches(
			requests,
			(r) => r,
			() => 'g',
		);
		expect(plan.map((p) => (p.kind === 'batch' ? p.entries.length : 'single'))).toEqual([20, 20, 5]);
		expect(plan.flatMap((p) => (p.kind === 'batch' ? p.entries : [])).map((r) => r.url.pathname)).toEqual(
			requests.map((r) => r.url.pathname),
		);
	});

	it('sends non-Graph URLs, binary bodies, binary responses and pagination on their own', () => {
		const plan = planBatches(
			[
				get('https://management.azure.com/subscriptions'),
				get('me', { method: 'PUT', body: buildBody({ type: 'binary', data: Buffer.from('x') }) }),
				get('me', { responseFormat: 'binary' }),
				get('users', { pagination: { maxPages: 0, maxItems: 0 } }),
				get('me'),
			],
			(r) => r,
			() => 'g',
		);
		expect(plan.map((p) => p.kind)).toEqual(['single', 'single', 'single', 'single', 'batch']);
		expect(notBatchable(get('me', { body: buildBody({ type: 'json', value: { a: 1 } }) }), root)).toBeUndefined();
	});

	it('keeps separate batches per token group and per version root', () => {
		const plan = planBatches(
			[get('me'), get('https://graph.microsoft.com/beta/me'), get('users')],
			(r) => r,
			(r) => (r.url.pathname === '/v1.0/users' ? 'other token' : 'g'),
		);
		expect(plan.map((p) => (p.kind === 'batch' ? `${p.root.pathname}:${p.entries.length}` : 'single'))).toEqual([
			'/v1.0/:1',
			'/beta/:1',
			'/v1.0/:1',
		]);
	});

	it('makes sub-request URLs relative to the version root', () => {
		expect(relativeToRoot(new URL('https://graph.microsoft.com/v1.0/users/x?$select=id'), root)).toBe(
			'/users/x?$select=id',
		);
	});
});
