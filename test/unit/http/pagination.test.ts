import { describe, expect, it } from '@jest/globals';
import { nextLinkOf, PageCollector, valuesOf } from '../../../nodes/core/http/pagination';

const page = (from: number, count: number, next?: string, key = '@odata.nextLink') => ({
	'@odata.context': 'ctx',
	value: Array.from({ length: count }, (_, i) => ({ id: from + i })),
	...(next ? { [key]: next } : {}),
});

describe('pagination', () => {
	it('reads Graph and ARM next links and values', () => {
		expect(nextLinkOf({ '@odata.nextLink': 'https://g/next' })).toBe('https://g/next');
		expect(nextLinkOf({ nextLink: 'https://arm/next' })).toBe('https://arm/next');
		expect(nextLinkOf({ value: [] })).toBeUndefined();
		expect(nextLinkOf([1])).toBeUndefined();
		expect(valuesOf({ value: [1] })).toEqual([1]);
		expect(valuesOf({ id: 1 })).toBeUndefined();
	});

	it('follows all pages and merges their values', () => {
		const collector = new PageCollector({ maxPages: 0, maxItems: 0 });
		expect(collector.add(page(0, 2, 'https://g/p2'))).toBe('https://g/p2');
		expect(collector.add(page(2, 2, 'https://g/p3'))).toBe('https://g/p3');
		expect(collector.add(page(4, 1))).toBeUndefined();
		expect(collector.pages).toBe(3);
		expect(collector.merged()).toEqual({ '@odata.context': 'ctx', value: [0, 1, 2, 3, 4].map((id) => ({ id })) });
	});

	it('stops at the page limit and keeps the link to continue from', () => {
		const collector = new PageCollector({ maxPages: 2, maxItems: 0 });
		collector.add(page(0, 2, 'https://g/p2'));
		expect(collector.add(page(2, 2, 'https://g/p3'))).toBeUndefined();
		expect(collector.merged()['@odata.nextLink']).toBe('https://g/p3');
	});

	it('stops at the item limit, trimming the last page', () => {
		const collector = new PageCollector({ maxPages: 0, maxItems: 3 });
		expect(collector.add(page(0, 2, 'https://g/p2'))).toBe('https://g/p2');
		expect(collector.add(page(2, 2, 'https://g/p3'))).toBeUndefined();
		expect(collector.values).toEqual([{ id: 0 }, { id: 1 }, { id: 2 }]);
	});

	it("keeps ARM's nextLink name", () => {
		const collector = new PageCollector({ maxPages: 1, maxItems: 0 });
		collector.add(page(0, 1, 'https://arm/p2', 'nextLink'));
		expect(collector.merged()).toMatchObject({ nextLink: 'https://arm/p2' });
	});

	it('stops on a body that is not a collection', () => {
		const collector = new PageCollector({ maxPages: 0, maxItems: 0 });
		expect(collector.add({ id: 1, '@odata.nextLink': 'https://g/x' })).toBeUndefined();
	});
});
