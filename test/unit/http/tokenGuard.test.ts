import { describe, expect, it } from '@jest/globals';
import {
	assertTokenMayGo,
	domainRestriction,
	hostsOfScope,
	parseAllowedHosts,
	TokenGuardError,
} from '../../../nodes/core/http/tokenGuard';

const graph = ['https://graph.microsoft.com/.default'];
const check =
	(url: string, scopes = graph, allowed = '', cloud = 'global') =>
	() =>
		assertTokenMayGo(new URL(url), scopes, cloud, domainRestriction(allowed ? 'domains' : 'all', allowed));

describe('token guard', () => {
	it("lets a token go to its resource's host and Microsoft's known hosts of that API", () => {
		expect(check('https://graph.microsoft.com/v1.0/me')).not.toThrow();
		expect(check('https://GRAPH.microsoft.com/beta/users')).not.toThrow();
		expect(
			check('https://management.azure.com/subscriptions', ['https://management.core.windows.net//.default']),
		).not.toThrow();
		expect(check('https://vault1.vault.azure.net/secrets', ['https://vault.azure.net/.default'])).not.toThrow();
		expect(check('https://acct.blob.core.windows.net/c', ['https://storage.azure.com/.default'])).not.toThrow();
		expect(
			check('https://graph.microsoft.us/v1.0/me', ['https://graph.microsoft.us/.default'], '', 'usGovernment'),
		).not.toThrow();
	});

	it('refuses any other host, saying why and how to allow it', () => {
		let caught: unknown;
		try {
			check('https://evil.example.com/collect')();
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(TokenGuardError);
		const error = caught as TokenGuardError;
		expect(error.field).toBe('URL');
		expect(error.message).toMatch(/Refused to send the access token .* to evil\.example\.com/);
		expect(error.message).toMatch(/graph\.microsoft\.com/);
		expect(error.fix).toMatch(/Allowed Domains/);
		expect(error.fix).toMatch(/Scope/);
	});

	it('does not accept look-alike hosts', () => {
		expect(check('https://graph.microsoft.com.evil.com/')).toThrow(TokenGuardError);
		expect(check('https://evilgraph.microsoft.com/')).toThrow(TokenGuardError);
		expect(check('https://vault.azure.net.evil.com/', ['https://vault.azure.net/.default'])).toThrow(TokenGuardError);
		// Storage hosts of another cloud are not hosts of this cloud's storage.
		expect(check('https://acct.blob.core.chinacloudapi.cn/', ['https://storage.azure.com/.default'])).toThrow(
			TokenGuardError,
		);
	});

	it("keeps n8n's meaning of Allowed HTTP Request Domains: All = the API's hosts, Specific Domains = only those, None = nothing", () => {
		const graphUrl = new URL('https://graph.microsoft.com/v1.0/me');
		const sharePoint = new URL('https://contoso.sharepoint.com/_api/web');
		const may =
			(url: URL, mode: string, domains = '') =>
			() =>
				assertTokenMayGo(url, graph, 'global', domainRestriction(mode, domains));
		// All: the guard of the token's API.
		expect(may(graphUrl, 'all')).not.toThrow();
		expect(may(sharePoint, 'all')).toThrow(/not on a host of the token's API/);
		// Specific Domains: only the listed ones, even for the token's own API.
		expect(may(sharePoint, 'domains', 'contoso.sharepoint.com')).not.toThrow();
		expect(may(graphUrl, 'domains', 'contoso.sharepoint.com')).toThrow(
			/graph\.microsoft\.com: the URL is not in the credential's Allowed Domains \(contoso\.sharepoint\.com\)/,
		);
		expect(may(graphUrl, 'domains', '')).toThrow(/none listed/);
		// None: nothing at all.
		expect(may(graphUrl, 'none')).toThrow(/"Allowed HTTP Request Domains" is None/);
		expect(may(graphUrl, 'none', 'graph.microsoft.com')).toThrow(TokenGuardError);
		// Records saved before n8n had the fields: All.
		expect(may(graphUrl, undefined as unknown as string)).not.toThrow();
	});

	it("allows the credential's Allowed Domains (exact, *. subdomains, with a port)", () => {
		expect(check('https://contoso.sharepoint.com/_api/web', graph, 'contoso.sharepoint.com')).not.toThrow();
		expect(check('https://org.crm.dynamics.com/api', graph, 'foo.com, *.crm.dynamics.com')).not.toThrow();
		expect(check('https://crm.dynamics.com/api', graph, '*.crm.dynamics.com')).toThrow(TokenGuardError);
		expect(check('https://api.contoso.com:8443/x', graph, 'api.contoso.com:8443')).not.toThrow();
		expect(check('https://api.contoso.com:9443/x', graph, 'api.contoso.com:8443')).toThrow(TokenGuardError);
		expect(check('https://127.0.0.1:8443/me', ['api://rig/.default'], '127.0.0.1')).not.toThrow();
	});

	it('a resource URI with a port is that origin only: another port on the same host is refused', () => {
		const rig = ['https://127.0.0.1:36405/.default'];
		expect(check('https://127.0.0.1:36405/me', rig)).not.toThrow();
		expect(check('https://127.0.0.1:40577/tenant1/oauth2/v2.0/token', rig)).toThrow(
			/to 127\.0\.0\.1: .*it is for 127\.0\.0\.1:36405/,
		);
		expect(check('http://127.0.0.1:36406/x', rig)).toThrow(TokenGuardError);
		expect(check('https://graph.microsoft.com:443/v1.0/me')).not.toThrow();
		expect(check('https://127.0.0.1:40577/x', rig, '127.0.0.1:40577')).not.toThrow();
	});

	it('refuses plain http except on loopback', () => {
		expect(check('http://graph.microsoft.com/v1.0/me')).toThrow(/not HTTPS/);
		expect(check('http://127.0.0.1:3000/x', graph, '127.0.0.1')).not.toThrow();
	});

	it('a resource without a host (api://…) reaches only allowed hosts', () => {
		expect(hostsOfScope('api://my-api/.default', 'global')).toEqual([]);
		expect(check('https://api.contoso.com/x', ['api://my-api/.default'])).toThrow(/no host of its own/);
		expect(check('https://api.contoso.com/x', ['api://my-api/.default'], 'api.contoso.com')).not.toThrow();
	});

	it("treats a bare delegated permission as Microsoft Graph's", () => {
		expect(hostsOfScope('User.Read', 'global')).toEqual(['graph.microsoft.com']);
		expect(hostsOfScope('offline_access', 'global')).toEqual([]);
	});

	it('refuses malformed allowed hosts, naming the credential field', () => {
		for (const bad of ['https://contoso.com', 'contoso.com/path', '*.com', 'a b/c']) {
			expect(() => parseAllowedHosts(bad)).toThrow(expect.objectContaining({ field: 'Allowed Domains (credential)' }));
		}
		expect(parseAllowedHosts(' a.com,*.B.com \n c.com:8443 ')).toEqual([
			{ host: 'a.com' },
			{ host: '*.b.com' },
			{ host: 'c.com', port: '8443' },
		]);
	});
});
