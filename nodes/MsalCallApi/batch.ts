/**
 * Batch Requests (Microsoft Graph): the items whose requests can be batched (same token, same
 * Graph version root, JSON or no body, no pagination, no binary response) go as sub-requests of
 * `POST {root}/$batch`, 20 per batch; every other item is sent on its own, as without the option.
 */
import { GRAPH_BATCH_SIZE, graphVersionRoot, notBatchable, type BatchOutcome } from '../core/http/graphBatch';
import type { ApiRequest } from '../core/http/sendRequest';

/** One unit of work: a batch of items, or one item sent alone. */
export type BatchPlanEntry<T> = { kind: 'batch'; root: URL; entries: T[] } | { kind: 'single'; entry: T };

/**
 * Splits `entries` into batches of at most 20 (per group key and batch root, keeping item order)
 * and single requests. `rootFor` gives the batch root of a request, or undefined (sent alone).
 */
export function planBatches<T>(
	entries: T[],
	requestOf: (entry: T) => ApiRequest | undefined,
	groupOf: (entry: T) => unknown,
	rootFor: (entry: T, request: ApiRequest) => URL | undefined = (_entry, request) => graphVersionRoot(request.url),
): Array<BatchPlanEntry<T>> {
	const plan: Array<BatchPlanEntry<T>> = [];
	const open = new Map<unknown, Map<string, { root: URL; entries: T[] }>>();
	for (const entry of entries) {
		const request = requestOf(entry);
		const root = request ? rootFor(entry, request) : undefined;
		if (!request || !root || notBatchable(request, root) !== undefined) {
			plan.push({ kind: 'single', entry });
			continue;
		}
		const group = groupOf(entry);
		let roots = open.get(group);
		if (!roots) open.set(group, (roots = new Map()));
		let current = roots.get(root.href);
		if (!current || current.entries.length >= GRAPH_BATCH_SIZE) {
			current = { root, entries: [] };
			roots.set(root.href, current);
			// The plan entry shares the array, so later items still land in it.
			plan.push({ kind: 'batch', root, entries: current.entries });
		}
		current.entries.push(entry);
	}
	return plan;
}

export type { BatchOutcome };
