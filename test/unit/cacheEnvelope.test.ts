import { describe, expect, it } from '@jest/globals';
import { cacheOwner, readEnvelope, writeEnvelope, type CacheEnvelope } from '../../nodes/core/cacheEnvelope';

const clientId = '00000000-0000-0000-0000-0000000000aa';
const owner = cacheOwner('https://login.example.com/tenant1', clientId);

function envelope(overrides: Partial<CacheEnvelope> = {}): CacheEnvelope {
	return {
		format: 'n8n-nodes-msal/token-cache@1',
		owner,
		lineage: 'l1',
		revision: 3,
		msal: { AccessToken: { k: { client_id: clientId, secret: 'token' } }, AppMetadata: {} },
		...overrides,
	};
}

describe('token cache envelope', () => {
	it('round-trips what it writes', () => {
		const written = writeEnvelope(envelope());
		const read = readEnvelope(written, owner, clientId);
		expect(read).toEqual({ kind: 'ok', envelope: envelope(), msalText: JSON.stringify(envelope().msal) });
	});

	it('hands MSAL its part as text cut from the stored string, or re-serialised when it is not last', () => {
		const { msal, ...rest } = envelope();
		const handEdited = JSON.stringify({ msal, ...rest, authorityMetadata: '{"issuer":"\\"msal\\":"}' });
		const read = readEnvelope(handEdited, owner, clientId);
		expect(read.kind === 'ok' && JSON.parse(read.msalText)).toEqual(envelope().msal);
		const duplicated = writeEnvelope(envelope()).replace(/}$/, ',"msal":{"AccessToken":{}}}');
		const duplicatedRead = readEnvelope(duplicated, owner, clientId);
		expect(duplicatedRead.kind === 'ok' && JSON.parse(duplicatedRead.msalText)).toEqual({ AccessToken: {} });
		const pretty = JSON.stringify(JSON.parse(writeEnvelope(envelope())), null, 2);
		const prettyRead = readEnvelope(pretty, owner, clientId);
		expect(prettyRead.kind === 'ok' && JSON.parse(prettyRead.msalText)).toEqual(envelope().msal);
	});

	it('treats an empty field as empty, not as an error', () => {
		expect(readEnvelope('', owner, clientId)).toEqual({ kind: 'empty' });
		expect(readEnvelope(undefined, owner, clientId)).toEqual({ kind: 'empty' });
	});

	it.each([
		['not JSON', '{"format":', 'not valid JSON'],
		['raw MSAL cache', JSON.stringify({ AccessToken: {} }), 'not in the format'],
		['unknown section', writeEnvelope(envelope({ msal: { Evil: {} } })), 'unknown section'],
		[
			'section not an object',
			writeEnvelope(envelope({ msal: { AccessToken: [] as unknown as Record<string, unknown> } })),
			'malformed',
		],
		['no revision', JSON.stringify({ ...envelope(), revision: 'x' }), 'no valid revision'],
	])('discards a corrupt cache (%s) with the reason', (_name, stored, reason) => {
		const read = readEnvelope(stored, owner, clientId);
		expect(read.kind).toBe('discarded');
		expect(read.kind === 'discarded' && read.reason).toContain(reason);
	});

	it('discards a cache of another client ID or authority', () => {
		const foreignOwner = readEnvelope(
			writeEnvelope(envelope({ owner: cacheOwner('https://other/t', clientId) })),
			owner,
			clientId,
		);
		expect(foreignOwner.kind === 'discarded' && foreignOwner.reason).toContain('another client ID or authority');
		const foreignEntries = readEnvelope(
			writeEnvelope(envelope({ msal: { AccessToken: { k: { client_id: 'someone-else' } } } })),
			owner,
			clientId,
		);
		expect(foreignEntries.kind === 'discarded' && foreignEntries.reason).toContain('another client ID');
	});

	it('ties the owner to authority and client ID, not to letter case', () => {
		expect(cacheOwner('https://LOGIN.example.com/Tenant1', clientId.toUpperCase())).toBe(owner);
		expect(cacheOwner('https://login.example.com/tenant2', clientId)).not.toBe(owner);
	});
});
