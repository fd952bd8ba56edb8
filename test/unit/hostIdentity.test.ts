/** The administrator's settings for what the n8n host lends: read as n8n reads its own variables. */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
	allowedAmbientResources,
	ambientIdentityEnabled,
	assertAmbientIdentityEnabled,
	assertAmbientResourceAllowed,
	tokenFileFolders,
} from '../../nodes/core/hostIdentity';
import { InvalidInputError } from '../../nodes/core/errors';

const NAMES = ['N8N_MSAL_AMBIENT_IDENTITY_ENABLED', 'N8N_MSAL_AMBIENT_IDENTITY_RESOURCES', 'N8N_MSAL_TOKEN_FILE_PATHS'];
const saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));

afterEach(() => {
	for (const name of NAMES) {
		if (saved[name] === undefined) delete process.env[name];
		else process.env[name] = saved[name];
	}
});

describe('N8N_MSAL_AMBIENT_IDENTITY_ENABLED', () => {
	it('is off unless "true" or "1" (any case), as n8n reads a boolean variable', () => {
		for (const [value, enabled] of [
			[undefined, false],
			['', false],
			['false', false],
			['yes', false],
			['0', false],
			['true', true],
			['TRUE', true],
			[' true ', true],
			['1', true],
		] as const) {
			if (value === undefined) delete process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED;
			else process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED = value;
			expect(ambientIdentityEnabled()).toBe(enabled);
		}
	});

	it('off: the error names what is off, why, the variable and the field', () => {
		delete process.env.N8N_MSAL_AMBIENT_IDENTITY_ENABLED;
		let error: InvalidInputError | undefined;
		try {
			assertAmbientIdentityEnabled({ what: 'Managed identity', field: 'Identity Type' });
		} catch (e) {
			error = e as InvalidInputError;
		}
		expect(error).toBeInstanceOf(InvalidInputError);
		expect(error?.message).toBe(
			"Managed identity is off on this n8n: it lends the n8n host's own Azure identity to anyone who may create a credential, so it is off until an administrator sets N8N_MSAL_AMBIENT_IDENTITY_ENABLED=true.",
		);
		expect(error?.fix).toContain('N8N_MSAL_AMBIENT_IDENTITY_RESOURCES');
		expect(error?.field).toBe('Identity Type');
	});
});

describe('N8N_MSAL_AMBIENT_IDENTITY_RESOURCES', () => {
	it('empty: any resource', () => {
		delete process.env.N8N_MSAL_AMBIENT_IDENTITY_RESOURCES;
		expect(allowedAmbientResources()).toEqual([]);
		expect(() => assertAmbientResourceAllowed(['https://vault.azure.net/.default'], 'Scopes')).not.toThrow();
	});

	it('matches the resource of a scope, whatever its case, trailing slash or /.default', () => {
		process.env.N8N_MSAL_AMBIENT_IDENTITY_RESOURCES =
			'https://graph.microsoft.com, https://Vault.Azure.Net/ https://management.core.windows.net/,api://1111/.default';
		expect(allowedAmbientResources()).toEqual([
			'https://graph.microsoft.com',
			'https://vault.azure.net',
			'https://management.core.windows.net',
			'api://1111',
		]);
		for (const scope of [
			'https://graph.microsoft.com/.default',
			'https://vault.azure.net/.default',
			'https://management.core.windows.net//.default',
			'api://1111/.default',
		])
			expect(() => assertAmbientResourceAllowed([scope], 'Scopes')).not.toThrow();
	});

	it('refuses another resource, a look-alike host or a path below an allowed one, naming the field and the variable', () => {
		process.env.N8N_MSAL_AMBIENT_IDENTITY_RESOURCES = 'https://graph.microsoft.com';
		for (const scope of [
			'https://management.azure.com/.default',
			'https://graph.microsoft.com.evil.example/.default',
			'https://graph.microsoft.com/beta/.default',
		]) {
			expect(() => assertAmbientResourceAllowed([scope], 'Scopes (credential)')).toThrow(
				expect.objectContaining({
					field: 'Scopes (credential)',
					message: expect.stringContaining(
						'the administrator allows only https://graph.microsoft.com (N8N_MSAL_AMBIENT_IDENTITY_RESOURCES). No token was requested.',
					),
				}),
			);
		}
	});
});

describe('N8N_MSAL_TOKEN_FILE_PATHS', () => {
	it("is `;`-separated, like n8n's N8N_RESTRICT_FILE_ACCESS_TO", () => {
		process.env.N8N_MSAL_TOKEN_FILE_PATHS = ' /var/run/secrets/azure/tokens ;; /data/tokens ';
		expect(tokenFileFolders()).toEqual(['/var/run/secrets/azure/tokens', '/data/tokens']);
		delete process.env.N8N_MSAL_TOKEN_FILE_PATHS;
		expect(tokenFileFolders()).toEqual([]);
	});
});
