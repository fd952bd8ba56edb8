/**
 * Microsoft-style paging: a JSON page `{ value: [...], "@odata.nextLink": "<absolute URL>" }`
 * (Graph, OData) or `{ value: [...], nextLink: "<absolute URL>" }` (Azure Resource Manager).
 */
export interface PaginationLimits {
	/** Pages to fetch at most (including the first); 0 = up to HARD_MAX_PAGES. */
	maxPages: number;
	/** Items (elements of `value`) to collect at most; 0 = no limit. */
	maxItems: number;
}

/** The ceiling of paging when Max Pages is 0 ("no limit"): an API that never stops cannot run a workflow for ever. */
export const HARD_MAX_PAGES = 10_000;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

/** The absolute next-page link of a page, if any. */
export function nextLinkOf(page: unknown): string | undefined {
	if (!isObject(page)) return undefined;
	const link = page['@odata.nextLink'] ?? page['odata.nextLink'] ?? page.nextLink;
	return typeof link === 'string' && link !== '' ? link : undefined;
}

/** The `value` array of a page, or undefined when the body is not a collection. */
export function valuesOf(page: unknown): unknown[] | undefined {
	return isObject(page) && Array.isArray(page.value) ? page.value : undefined;
}

/** Collects pages into one collection, tracking the limits. */
export class PageCollector {
	readonly values: unknown[] = [];
	pages = 0;
	/** The first page without its value and next link (e.g. @odata.context, @odata.count). */
	first: Json | undefined;
	/** Where the next page would have been fetched from, when a limit stopped paging. */
	nextLink: string | undefined;
	private linkKey = '@odata.nextLink';

	constructor(private readonly limits: PaginationLimits) {}

	/**
	 * Adds a page. Returns the next link to fetch, or undefined when done (no more pages, a limit
	 * reached, or the body is not a collection).
	 */
	add(page: unknown): string | undefined {
		this.pages++;
		const values = valuesOf(page);
		const link = nextLinkOf(page);
		if (isObject(page) && typeof page.nextLink === 'string') this.linkKey = 'nextLink';
		if (this.pages === 1 && isObject(page)) {
			const { value: _value, '@odata.nextLink': _n1, 'odata.nextLink': _n2, nextLink: _n3, ...rest } = page;
			this.first = rest;
		}
		if (!values) {
			this.nextLink = undefined;
			return undefined;
		}
		const room = this.limits.maxItems > 0 ? this.limits.maxItems - this.values.length : Infinity;
		if (values.length > room) {
			for (let i = 0; i < room; i++) this.values.push(values[i]);
			// The rest of this page is not reachable through a link; report no continuation.
			this.nextLink = undefined;
			return undefined;
		}
		for (const value of values) this.values.push(value);
		this.nextLink = link;
		if (!link) return undefined;
		if (this.limits.maxItems > 0 && this.values.length >= this.limits.maxItems) return undefined;
		if (this.limits.maxPages > 0 && this.pages >= this.limits.maxPages) return undefined;
		return link;
	}

	/** The merged collection as one object: the first page's metadata, all values, and the link to continue from. */
	merged(): Json {
		return { ...(this.first ?? {}), value: this.values, ...(this.nextLink ? { [this.linkKey]: this.nextLink } : {}) };
	}
}
