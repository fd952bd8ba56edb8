import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../../nodes/core/errors';
import { normalizeAppScopes, parseScopes, resourceOfScope } from '../../nodes/core/scopes';

describe('scopes', () => {
	it('splits on spaces, commas and new lines and drops duplicates', () => {
		expect(parseScopes(' User.Read,Mail.Read\nUser.Read  offline_access ')).toEqual([
			'User.Read',
			'Mail.Read',
			'offline_access',
		]);
	});

	it('accepts one <resource>/.default scope for app tokens', () => {
		expect(normalizeAppScopes('https://graph.microsoft.com/.default')).toEqual([
			'https://graph.microsoft.com/.default',
		]);
		expect(normalizeAppScopes('api://my-api/.default')).toEqual(['api://my-api/.default']);
	});

	it('turns a resource ending in "/" into the double-slash .default scope Entra expects', () => {
		expect(normalizeAppScopes('https://management.core.windows.net/')).toEqual([
			'https://management.core.windows.net//.default',
		]);
	});

	it('refuses a delegated scope for an app token and suggests the .default form', () => {
		expect.assertions(3);
		try {
			normalizeAppScopes('https://graph.microsoft.com/User.Read');
		} catch (error) {
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).fix).toBe('Use "https://graph.microsoft.com/.default".');
			expect((error as InvalidInputError).field).toBe('Scopes');
		}
	});

	it.each([
		['User.Read', 'https://graph.microsoft.com/.default'],
		['api://11111111-2222-3333-4444-555555555555/Data.Read', 'api://11111111-2222-3333-4444-555555555555/.default'],
		['11111111-2222-3333-4444-555555555555/Data.Read', '11111111-2222-3333-4444-555555555555/.default'],
	])('suggests the resource of %s for an app token', (scope, suggested) => {
		const error = (() => {
			try {
				normalizeAppScopes(scope);
			} catch (thrown) {
				return thrown as InvalidInputError;
			}
			return undefined;
		})();
		expect(error?.fix).toBe(`Use "${suggested}".`);
	});

	it('refuses empty and multiple scopes', () => {
		expect(() => normalizeAppScopes('')).toThrow('No scope given');
		expect(() => normalizeAppScopes('https://a.example/.default https://b.example/.default')).toThrow(
			'one API at a time',
		);
	});

	it('finds the resource of a scope', () => {
		expect(resourceOfScope('https://graph.microsoft.com/.default')).toBe('https://graph.microsoft.com');
		expect(resourceOfScope('https://management.core.windows.net//.default')).toBe(
			'https://management.core.windows.net',
		);
		expect(resourceOfScope('https://127.0.0.1:9443/Data.Read')).toBe('https://127.0.0.1:9443');
		expect(resourceOfScope('User.Read')).toBeUndefined();
	});
});
