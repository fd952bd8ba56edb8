import { describe, expect, it } from '@jest/globals';
import {
	fieldsForN8n,
	FIRST_N8N_KEEPING_EXPRESSIONS,
	n8nSavesResolvedRecord,
	runningN8nVersion,
	versionOlderThan,
} from '../../nodes/n8n/olderN8nWrites';

describe('which n8n versions save the resolved credential record after preAuthentication', () => {
	it('compares versions numerically, not as strings', () => {
		expect(versionOlderThan('2.9.0', '2.34.0')).toBe(true);
		expect(versionOlderThan('2.33.9', '2.34.0')).toBe(true);
		expect(versionOlderThan('2.34.0', '2.34.0')).toBe(false);
		expect(versionOlderThan('2.38.7', '2.34.0')).toBe(false);
		expect(versionOlderThan('10.0.0', '2.34.0')).toBe(false);
		expect(versionOlderThan('2.34.0-rc.1', '2.34.0')).toBe(false);
	});

	it('n8n 1.123.81 and 2.33.x save the resolved record; 2.34.0 and 2.38.7 do not; an unknown version counts as current', () => {
		expect(FIRST_N8N_KEEPING_EXPRESSIONS).toBe('2.34.0');
		expect(n8nSavesResolvedRecord('1.123.81')).toBe(true);
		expect(n8nSavesResolvedRecord('2.33.2')).toBe(true);
		expect(n8nSavesResolvedRecord('2.34.0')).toBe(false);
		expect(n8nSavesResolvedRecord('2.38.7')).toBe(false);
		expect(n8nSavesResolvedRecord(undefined)).toBe(false);
	});

	it('outside n8n (no n8n package, jest as the entry point) the version is unknown and fields pass through unchanged', async () => {
		expect(runningN8nVersion()).toBeUndefined();
		const fields = { cacheMarker: '', tokenCache: '{"format":"x"}' };
		await expect(fieldsForN8n(fields, { viaOurNode: false, failing: true })).resolves.toBe(fields);
	});
});
