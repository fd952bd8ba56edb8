import { describe, expect, it } from '@jest/globals';
import { hostsDerivingScope } from '../../../nodes/core/http/knownApis';
import { chooseScopes } from '../../../nodes/core/http/scopeForUrl';

const graphCredential = 'https://graph.microsoft.com/.default';
const u = (url: string) => new URL(url);

describe('choosing the scope of a request', () => {
	it("uses the node's Scope when given", () => {
		expect(
			chooseScopes({
				override: 'api://my-api/.default',
				credentialScopes: graphCredential,
				url: u('https://api.contoso.com/x'),
				cloud: 'global',
				kind: 'app',
			}),
		).toEqual({
			scopes: ['api://my-api/.default'],
			source: 'parameter',
		});
	});

	it("uses the credential's scope when the URL is on its API", () => {
		expect(
			chooseScopes({
				credentialScopes: graphCredential,
				url: u('https://graph.microsoft.com/v1.0/users'),
				cloud: 'global',
				kind: 'app',
			}),
		).toEqual({
			scopes: [graphCredential],
			source: 'credential',
		});
	});

	it('derives <resource>/.default from the URL for known Microsoft APIs when the credential scope is for another API', () => {
		const derive = (url: string, cloud = 'global') =>
			chooseScopes({ credentialScopes: graphCredential, url: u(url), cloud, kind: 'app' });
		expect(derive('https://management.azure.com/subscriptions')).toEqual({
			scopes: ['https://management.azure.com/.default'],
			source: 'url',
		});
		expect(derive('https://myvault.vault.azure.net/secrets/x').scopes).toEqual(['https://vault.azure.net/.default']);
		expect(derive('https://acct.blob.core.windows.net/c/b').scopes).toEqual(['https://storage.azure.com/.default']);
		expect(derive('https://contoso.sharepoint.com/_api/web').scopes).toEqual([
			'https://contoso.sharepoint.com/.default',
		]);
		expect(derive('https://org.crm4.dynamics.com/api/data/v9.2/accounts').scopes).toEqual([
			'https://org.crm4.dynamics.com/.default',
		]);
		expect(derive('https://graph.microsoft.us/v1.0/users', 'usGovernment').scopes).toEqual([
			'https://graph.microsoft.us/.default',
		]);
		expect(derive('https://management.chinacloudapi.cn/subscriptions', 'china').scopes).toEqual([
			'https://management.chinacloudapi.cn/.default',
		]);
	});

	it('derives no scope on hosts where customers run their own code (Azure Relay on *.servicebus.windows.net)', () => {
		const choose = (credentialScopes?: string) => () =>
			chooseScopes({
				credentialScopes,
				url: u('https://contoso-relay.servicebus.windows.net/my-hybrid-connection'),
				cloud: 'global',
				kind: 'app',
			});
		// No Service Bus token by itself: the credential's scope (which the guard then refuses there)…
		expect(choose(graphCredential)()).toEqual({ scopes: [graphCredential], source: 'credential' });
		// …or a request for an explicit scope.
		expect(choose()).toThrow(/is not a known Microsoft API/);
		expect(hostsDerivingScope('global')).not.toContain('*.servicebus.windows.net');
		expect(hostsDerivingScope('global')).toContain('graph.microsoft.com');
	});

	it('derives the scope when the credential has none', () => {
		expect(
			chooseScopes({
				credentialScopes: '',
				url: u('https://graph.microsoft.com/v1.0/me'),
				cloud: 'global',
				kind: 'app',
			}).scopes,
		).toEqual([graphCredential]);
	});

	it('keeps the credential scope for an unknown host (the token guard decides)', () => {
		expect(
			chooseScopes({
				credentialScopes: 'api://rig/.default',
				url: u('https://127.0.0.1:8443/me'),
				cloud: 'global',
				kind: 'app',
			}),
		).toEqual({
			scopes: ['api://rig/.default'],
			source: 'credential',
		});
	});

	it('refuses an invalid Scope, naming the field', () => {
		expect(() =>
			chooseScopes({
				override: 'User.Read',
				url: u('https://graph.microsoft.com/v1.0/me'),
				cloud: 'global',
				kind: 'app',
			}),
		).toThrow(expect.objectContaining({ field: 'Scope' }));
		expect(() =>
			chooseScopes({
				override: 'a/.default b/.default',
				url: u('https://graph.microsoft.com/v1.0/me'),
				cloud: 'global',
				kind: 'app',
			}),
		).toThrow(expect.objectContaining({ field: 'Scope' }));
	});

	it('explains when no scope can be found', () => {
		expect(() => chooseScopes({ url: u('https://api.contoso.com/x'), cloud: 'global', kind: 'app' })).toThrow(
			/not a known Microsoft API/,
		);
	});

	it('accepts a list of permissions for delegated tokens', () => {
		expect(
			chooseScopes({
				override: 'User.Read Mail.Read',
				url: u('https://graph.microsoft.com/v1.0/me'),
				cloud: 'global',
				kind: 'delegated',
			}).scopes,
		).toEqual(['User.Read', 'Mail.Read']);
	});
});
