/** Microsoft's national clouds: where to sign in, and where the main APIs live. */
export type CloudName = 'global' | 'usGovernment' | 'china' | 'custom';

export interface MicrosoftCloud {
	authorityHost: string;
	graphBaseUrl: string;
	resourceManagerBaseUrl: string;
}

export const MICROSOFT_CLOUDS: Record<Exclude<CloudName, 'custom'>, MicrosoftCloud> = {
	global: {
		authorityHost: 'https://login.microsoftonline.com',
		graphBaseUrl: 'https://graph.microsoft.com',
		resourceManagerBaseUrl: 'https://management.azure.com',
	},
	usGovernment: {
		authorityHost: 'https://login.microsoftonline.us',
		graphBaseUrl: 'https://graph.microsoft.us',
		resourceManagerBaseUrl: 'https://management.usgovcloudapi.net',
	},
	china: {
		authorityHost: 'https://login.chinacloudapi.cn',
		graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn',
		resourceManagerBaseUrl: 'https://management.chinacloudapi.cn',
	},
};
