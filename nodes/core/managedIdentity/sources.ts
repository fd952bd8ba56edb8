/**
 * The managed identity sources MSAL Node 7 detects, in its order of detection
 * (ManagedIdentityClient.getManagedIdentitySource), with what each is recognised by. Used to
 * name the detected source and, when none answers, to say what was looked for.
 */
export interface SourceDescription {
	/** What a person calls it. */
	name: string;
	/** What MSAL recognises it by. */
	detectedBy: string;
}

export const IMDS_DEFAULT_ENDPOINT = 'http://169.254.169.254/metadata/identity/oauth2/token';

const SOURCES: Record<string, SourceDescription> = {
	ServiceFabric: {
		name: 'Service Fabric',
		detectedBy: 'IDENTITY_ENDPOINT, IDENTITY_HEADER and IDENTITY_SERVER_THUMBPRINT',
	},
	AppService: { name: 'App Service / Container Apps', detectedBy: 'IDENTITY_ENDPOINT and IDENTITY_HEADER' },
	MachineLearning: { name: 'Azure Machine Learning', detectedBy: 'MSI_ENDPOINT and MSI_SECRET' },
	CloudShell: { name: 'Cloud Shell', detectedBy: 'MSI_ENDPOINT' },
	AzureArc: {
		name: 'Azure Arc',
		detectedBy: 'IDENTITY_ENDPOINT and IMDS_ENDPOINT, or the Arc agent (himds) installed',
	},
	DefaultToImds: {
		name: 'IMDS (Azure VM, scale set or AKS node)',
		detectedBy: `none of the above; ${IMDS_DEFAULT_ENDPOINT}, or AZURE_POD_IDENTITY_AUTHORITY_HOST when set`,
	},
};

export function describeSource(msalSourceName: string): SourceDescription {
	return SOURCES[msalSourceName] ?? { name: msalSourceName, detectedBy: 'MSAL' };
}

/** The environment variables and endpoint MSAL looks for, one line, for "no managed identity here". */
export function whatWasLookedFor(): string {
	return (
		Object.values(SOURCES)
			.slice(0, -1)
			.map((source) => `${source.detectedBy} (${source.name})`)
			.join('; ') + `; then IMDS at ${IMDS_DEFAULT_ENDPOINT} (or AZURE_POD_IDENTITY_AUTHORITY_HOST)`
	);
}
