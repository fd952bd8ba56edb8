import type { CloudName } from '../clouds';

/**
 * Microsoft APIs the Call API node knows: the resource URI a token is requested for, and the
 * hosts that serve that API, per cloud. Used to derive a scope from a URL and to decide which
 * hosts may receive a token for a resource.
 *
 * A host pattern is an exact host name or `*.suffix` (any subdomain of suffix, not suffix itself).
 */
export interface KnownApi {
	name: string;
	/** Resource URI, without "/.default" and without a trailing slash. */
	resource: string;
	/** Other spellings of the same resource (e.g. ARM's classic https://management.core.windows.net/). */
	aliases?: string[];
	hosts: string[];
	/**
	 * False when customers run their own code behind these hosts (Azure Relay hybrid connections
	 * answer on *.servicebus.windows.net): a URL there never picks this API's token by itself; the
	 * node's Scope must name it.
	 */
	derivedFromUrl?: false;
}

type SovereignCloud = Exclude<CloudName, 'custom'>;

export const KNOWN_APIS: Record<SovereignCloud, KnownApi[]> = {
	global: [
		{ name: 'Microsoft Graph', resource: 'https://graph.microsoft.com', hosts: ['graph.microsoft.com'] },
		{
			name: 'Azure Resource Manager',
			resource: 'https://management.azure.com',
			aliases: ['https://management.core.windows.net'],
			hosts: ['management.azure.com'],
		},
		{ name: 'Azure Key Vault', resource: 'https://vault.azure.net', hosts: ['*.vault.azure.net'] },
		{
			name: 'Azure Storage',
			resource: 'https://storage.azure.com',
			hosts: [
				'*.blob.core.windows.net',
				'*.queue.core.windows.net',
				'*.table.core.windows.net',
				'*.file.core.windows.net',
				'*.dfs.core.windows.net',
			],
		},
		{ name: 'Azure SQL Database', resource: 'https://database.windows.net', hosts: ['*.database.windows.net'] },
		{
			name: 'Azure Service Bus',
			resource: 'https://servicebus.azure.net',
			hosts: ['*.servicebus.windows.net'],
			derivedFromUrl: false,
		},
		{
			name: 'Azure Event Hubs',
			resource: 'https://eventhubs.azure.net',
			hosts: ['*.servicebus.windows.net'],
			derivedFromUrl: false,
		},
		{
			name: 'Azure OpenAI (Azure AI services)',
			resource: 'https://cognitiveservices.azure.com',
			hosts: ['*.openai.azure.com', '*.cognitiveservices.azure.com', '*.services.ai.azure.com'],
		},
		{
			name: 'Log Analytics',
			resource: 'https://api.loganalytics.io',
			hosts: ['api.loganalytics.io', 'api.loganalytics.azure.com'],
		},
	],
	usGovernment: [
		{ name: 'Microsoft Graph (US Government)', resource: 'https://graph.microsoft.us', hosts: ['graph.microsoft.us'] },
		{
			name: 'Microsoft Graph (US Government DoD)',
			resource: 'https://dod-graph.microsoft.us',
			hosts: ['dod-graph.microsoft.us'],
		},
		{
			name: 'Azure Resource Manager (US Government)',
			resource: 'https://management.usgovcloudapi.net',
			aliases: ['https://management.core.usgovcloudapi.net'],
			hosts: ['management.usgovcloudapi.net'],
		},
		{
			name: 'Azure Key Vault (US Government)',
			resource: 'https://vault.usgovcloudapi.net',
			hosts: ['*.vault.usgovcloudapi.net'],
		},
		{
			name: 'Azure Storage (US Government)',
			resource: 'https://storage.azure.com',
			hosts: [
				'*.blob.core.usgovcloudapi.net',
				'*.queue.core.usgovcloudapi.net',
				'*.table.core.usgovcloudapi.net',
				'*.file.core.usgovcloudapi.net',
				'*.dfs.core.usgovcloudapi.net',
			],
		},
		{
			name: 'Azure SQL Database (US Government)',
			resource: 'https://database.usgovcloudapi.net',
			hosts: ['*.database.usgovcloudapi.net'],
		},
	],
	china: [
		{
			name: 'Microsoft Graph (China)',
			resource: 'https://microsoftgraph.chinacloudapi.cn',
			hosts: ['microsoftgraph.chinacloudapi.cn'],
		},
		{
			name: 'Azure Resource Manager (China)',
			resource: 'https://management.chinacloudapi.cn',
			aliases: ['https://management.core.chinacloudapi.cn'],
			hosts: ['management.chinacloudapi.cn'],
		},
		{ name: 'Azure Key Vault (China)', resource: 'https://vault.azure.cn', hosts: ['*.vault.azure.cn'] },
		{
			name: 'Azure Storage (China)',
			resource: 'https://storage.azure.com',
			hosts: [
				'*.blob.core.chinacloudapi.cn',
				'*.queue.core.chinacloudapi.cn',
				'*.table.core.chinacloudapi.cn',
				'*.file.core.chinacloudapi.cn',
				'*.dfs.core.chinacloudapi.cn',
			],
		},
		{
			name: 'Azure SQL Database (China)',
			resource: 'https://database.chinacloudapi.cn',
			hosts: ['*.database.chinacloudapi.cn'],
		},
	],
};

/**
 * Microsoft APIs whose resource URI is the site's own origin (one resource per tenant or
 * environment): SharePoint Online and Dataverse / Dynamics 365.
 */
const ORIGIN_IS_RESOURCE: Record<SovereignCloud, string[]> = {
	global: [
		'*.sharepoint.com',
		'*.crm.dynamics.com',
		'*.crm2.dynamics.com',
		'*.crm3.dynamics.com',
		'*.crm4.dynamics.com',
		'*.crm5.dynamics.com',
		'*.crm6.dynamics.com',
		'*.crm7.dynamics.com',
		'*.crm8.dynamics.com',
		'*.crm9.dynamics.com',
		'*.crm11.dynamics.com',
		'*.crm12.dynamics.com',
		'*.crm14.dynamics.com',
		'*.crm15.dynamics.com',
		'*.crm16.dynamics.com',
		'*.crm17.dynamics.com',
		'*.crm19.dynamics.com',
		'*.crm20.dynamics.com',
		'*.crm21.dynamics.com',
	],
	usGovernment: ['*.sharepoint.us', '*.crm9.dynamics.com', '*.crm.microsoftdynamics.us', '*.crm.appsplatform.us'],
	china: ['*.sharepoint.cn', '*.crm.dynamics.cn'],
};

/** The cloud whose known APIs apply: a custom authority (B2C, CIAM, ADFS) uses the global ones. */
export function knownApiCloud(cloud: CloudName | string | undefined): SovereignCloud {
	return cloud === 'usGovernment' || cloud === 'china' ? cloud : 'global';
}

/** `host` matches `pattern` (exact, or `*.suffix` for any subdomain of suffix). Case-insensitive. */
export function hostMatches(host: string, pattern: string): boolean {
	const h = host.toLowerCase();
	const p = pattern.toLowerCase();
	if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
	return h === p;
}

function normalizeResource(resource: string): string {
	return resource.replace(/\/+$/, '').toLowerCase();
}

/** The known API a resource URI names in this cloud (its hosts), if any. */
export function knownApiByResource(resource: string, cloud: CloudName | string | undefined): KnownApi | undefined {
	const wanted = normalizeResource(resource);
	return KNOWN_APIS[knownApiCloud(cloud)].find(
		(api) =>
			normalizeResource(api.resource) === wanted ||
			(api.aliases ?? []).some((alias) => normalizeResource(alias) === wanted),
	);
}

/**
 * The resource URI of the Microsoft API that serves `url`'s host, in this cloud; undefined for
 * a host that is not a known Microsoft API (a custom API needs an explicit scope). Only hosts
 * Microsoft itself operates, where no customer code receives the request, derive a scope.
 */
export function resourceForUrl(url: URL, cloud: CloudName | string | undefined): string | undefined {
	if (url.protocol !== 'https:') return undefined;
	const sovereign = knownApiCloud(cloud);
	const host = url.hostname;
	if (ORIGIN_IS_RESOURCE[sovereign].some((pattern) => hostMatches(host, pattern))) return url.origin.toLowerCase();
	const api = KNOWN_APIS[sovereign].find(
		(candidate) => candidate.derivedFromUrl !== false && candidate.hosts.some((pattern) => hostMatches(host, pattern)),
	);
	return api?.resource;
}

/** The host patterns from which a URL derives its scope, per cloud (listed in docs/security.md). */
export function hostsDerivingScope(cloud: CloudName | string | undefined): string[] {
	const sovereign = knownApiCloud(cloud);
	return [
		...KNOWN_APIS[sovereign].filter((api) => api.derivedFromUrl !== false).flatMap((api) => api.hosts),
		...ORIGIN_IS_RESOURCE[sovereign],
	];
}
