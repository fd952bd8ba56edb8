import { describe, expect, it } from '@jest/globals';
import {
	assertWithinBoundary,
	resourceBoundary,
	resourcesOutside,
	ResourceNotAllowedError,
} from '../../nodes/core/resourceBoundary';

const GUID = '6a1f3a52-1c4b-4d1e-9a3e-0c2b1d4e5f60';

describe("a credential's resource boundary", () => {
	const outside = (credentialScopes: string, allowed: string, scopes: string, cloud = 'global') =>
		resourcesOutside(scopes, resourceBoundary(credentialScopes, allowed, cloud), cloud);

	it("the default is the resources of the credential's own Scopes, whatever permission or .default names them", () => {
		const graph = 'https://graph.microsoft.com/.default';
		expect(outside(graph, '', 'https://graph.microsoft.com/User.Read Mail.Send')).toEqual([]);
		expect(outside('User.Read', '', 'https://graph.microsoft.com/.default')).toEqual([]);
		expect(outside('User.Read', '', 'https://GRAPH.microsoft.com//.default')).toEqual([]);
		expect(outside(graph, '', 'https://vault.azure.net/.default')).toEqual(['https://vault.azure.net']);
		expect(outside(graph, '', 'https://contoso.vault.azure.net/.default')).toEqual(['https://contoso.vault.azure.net']);
		expect(outside(graph, '', 'https://management.azure.com/user_impersonation')).toEqual([
			'https://management.azure.com',
		]);
	});

	it('OpenID Connect scopes name no resource and are never refused', () => {
		expect(outside('api://my-api/Data.Read', '', 'openid profile offline_access email api://my-api/Data.Read')).toEqual(
			[],
		);
	});

	it('api://<id>/<permission>, GUID resources and App ID URIs with a path keep their whole resource', () => {
		expect(outside(`api://${GUID}/access_as_user`, '', `${GUID}/.default`)).toEqual([]);
		expect(outside(`${GUID}/.default`, '', `api://${GUID}/Data.Read`)).toEqual([]);
		expect(outside('api://my-api/Data.Read', '', 'api://my-api/.default')).toEqual([]);
		expect(outside('api://my-api/Data.Read', '', 'api://my-api-2/.default')).toEqual(['api://my-api-2']);
		expect(outside('https://contoso.com/api1/read', '', 'https://contoso.com/api2/read')).toEqual([
			'https://contoso.com/api2',
		]);
	});

	it("one API's spellings are one resource (ARM's classic URI); a bare permission is the cloud's Graph", () => {
		expect(
			outside('https://management.core.windows.net//.default', '', 'https://management.azure.com/.default'),
		).toEqual([]);
		expect(outside('User.Read', '', 'https://graph.microsoft.us/.default', 'usGovernment')).toEqual([]);
		expect(outside('User.Read', '', 'https://graph.microsoft.com/.default', 'usGovernment')).toEqual([
			'https://graph.microsoft.com',
		]);
	});

	it('Allowed Resources adds resources (or their /.default scope); * allows any', () => {
		const graph = 'https://graph.microsoft.com/.default';
		expect(outside(graph, 'https://vault.azure.net', 'https://vault.azure.net/.default')).toEqual([]);
		expect(outside(graph, 'https://vault.azure.net/.default, api://x', 'api://x/read')).toEqual([]);
		expect(outside(graph, 'https://vault.azure.net', 'https://storage.azure.com/.default')).toEqual([
			'https://storage.azure.com',
		]);
		expect(outside(graph, '*', 'https://storage.azure.com/.default api://anything/x')).toEqual([]);
	});

	it('a scope that names no usable resource is refused rather than guessed', () => {
		expect(outside('https://graph.microsoft.com/.default', '', '/.default')).toEqual(['/.default']);
	});

	it('the error names Allowed Resources, the refused resource, where the scope came from and what is allowed', () => {
		let error: unknown;
		try {
			assertWithinBoundary(
				'https://vault.azure.net/.default',
				resourceBoundary('https://graph.microsoft.com/.default', 'api://x', 'global'),
				'global',
				"derived from the URL's host contoso.vault.azure.net",
			);
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(ResourceNotAllowedError);
		expect(error).toMatchObject({
			field: 'Allowed Resources',
			message:
				"Refused to request a token for https://vault.azure.net (derived from the URL's host contoso.vault.azure.net): this credential is limited to https://graph.microsoft.com, api://x (its Scopes and Allowed Resources).",
			fix: "If this credential may be used for https://vault.azure.net, add it to the credential's Allowed Resources (or * for any API); otherwise use a credential made for that API.",
		});
	});
});
