/**
 * One-line explanations of the Entra ID error codes users meet most, with the fix.
 * Keyed by the number after "AADSTS". `field` names the credential field to look at.
 */
export interface AadstsExplanation {
	explanation: string;
	fix: string;
	field?: string;
}

const EXPLANATIONS: Record<string, AadstsExplanation> = {
	'7000215': {
		explanation: 'The client secret is wrong.',
		fix: "Copy the secret's Value (not its Secret ID) from the app registration's Certificates & secrets page into Client Secret.",
		field: 'Client Secret',
	},
	'7000222': {
		explanation: 'The client secret has expired.',
		fix: "Create a new client secret in the app registration's Certificates & secrets page and paste its Value into Client Secret.",
		field: 'Client Secret',
	},
	'700016': {
		explanation: 'No application with this client ID exists in the tenant.',
		fix: "Check Client ID (the app registration's Application (client) ID) and Tenant; a multi-tenant app must be consented in this tenant first.",
		field: 'Client ID',
	},
	'90002': {
		explanation: 'The tenant was not found.',
		fix: 'Check Tenant: use the Directory (tenant) ID GUID or a verified domain such as contoso.onmicrosoft.com, and the right cloud.',
		field: 'Tenant',
	},
	'70011': {
		explanation: 'The requested scope is invalid.',
		fix: 'For app tokens use the API\'s resource followed by "/.default", e.g. https://graph.microsoft.com/.default; check the resource URI is right.',
		field: 'Scopes',
	},
	'1002012': {
		explanation: 'The requested scope is invalid or not allowed for this flow.',
		fix: 'For app tokens use the API\'s resource followed by "/.default", e.g. https://graph.microsoft.com/.default.',
		field: 'Scopes',
	},
	'500011': {
		explanation: 'The resource (API) of the scope was not found in the tenant.',
		fix: 'Check the resource part of the scope, and that the API is registered or consented in this tenant.',
		field: 'Scopes',
	},
	'700027': {
		explanation: 'The client assertion (certificate signature) was not accepted.',
		fix: "Upload this certificate to the app registration's Certificates & secrets page, or check the private key matches it.",
		field: 'Certificate',
	},
	'700024': {
		explanation: 'The client assertion is outside its valid time range (expired or not yet valid).',
		fix: 'Give a fresh federated assertion; check the clock of the machine that issued it.',
		field: 'Client Assertion',
	},
	'700211': {
		explanation: 'No federated identity credential on the app matches the assertion issuer.',
		fix: "Add a federated credential for this issuer and subject to the app registration's Certificates & secrets page.",
		field: 'Client Assertion',
	},
	'700213': {
		explanation: 'No federated identity credential on the app matches the assertion subject.',
		fix: "Check the federated credential's subject in the app registration matches the assertion's sub claim.",
		field: 'Client Assertion',
	},
	'7000229': {
		explanation: 'The app has no service principal in this tenant.',
		fix: 'Grant admin consent to the app in this tenant (Enterprise applications) or create its service principal.',
	},
	'90014': {
		explanation: 'A required field is missing from the request.',
		fix: 'Fill in every required field of the credential (client ID, secret or certificate, scopes).',
	},
	'50034': {
		explanation: 'The user account does not exist in this tenant.',
		fix: 'Check the username, or sign in with an account of this tenant.',
	},
	'50126': {
		explanation: 'Invalid username or password.',
		fix: 'Check the username and password.',
	},
	'50053': {
		explanation: 'The account is locked after too many failed sign-ins.',
		fix: 'Wait, or ask an administrator to unlock the account.',
	},
	'50055': {
		explanation: 'The password has expired.',
		fix: 'Change the password, then sign in again.',
	},
	'50057': {
		explanation: 'The user account is disabled.',
		fix: 'Ask an administrator to enable the account.',
	},
	'50059': {
		explanation: 'No tenant could be determined from the request.',
		fix: 'Set Tenant to the tenant ID or domain instead of common/consumers.',
		field: 'Tenant',
	},
	'50076': {
		explanation: 'Multi-factor authentication is required.',
		fix: 'Sign in interactively (device code or browser) so the person can complete MFA.',
	},
	'50079': {
		explanation: 'The person must register for multi-factor authentication.',
		fix: 'Sign in interactively (device code or browser) and complete the MFA registration.',
	},
	'65001': {
		explanation: 'The person or an administrator has not consented to the requested permissions.',
		fix: 'Sign in interactively to consent, or have an administrator grant consent in the app registration.',
	},
	'70000': {
		explanation: 'The grant is invalid (e.g. the refresh token was revoked or the code was already used).',
		fix: 'Sign in again.',
	},
	'70008': {
		explanation: 'The refresh token or authorization code has expired.',
		fix: 'Sign in again.',
	},
	'700082': {
		explanation: 'The refresh token expired after too long without use.',
		fix: 'Sign in again.',
	},
	'50173': {
		explanation: 'The refresh token was revoked (password change or administrator action).',
		fix: 'Sign in again.',
	},
	'7000218': {
		explanation: 'The app registration does not allow public client flows.',
		fix: 'In the app registration, Authentication, set "Allow public client flows" to Yes.',
	},
	'70016': {
		explanation: 'The sign-in with the device code is still pending.',
		fix: 'Enter the code at the verification URL and sign in, then run the workflow again.',
	},
	'70019': {
		explanation: 'The device code expired before anyone signed in with it.',
		fix: 'Run the workflow again for a new code and enter it within its lifetime (usually 15 minutes).',
	},
	'90133': {
		explanation: 'This flow is not supported on the common endpoint.',
		fix: 'Set Tenant to the tenant ID, a verified domain or organizations.',
		field: 'Tenant',
	},
	'9002331': {
		explanation: 'The app is configured for Microsoft accounts only and must use the consumers endpoint.',
		fix: 'Set Tenant to consumers, or change the supported account types of the app registration.',
		field: 'Tenant',
	},
	'53003': {
		explanation: 'Access was blocked by a Conditional Access policy.',
		fix: 'Ask an administrator which policy applies, or meet its conditions (device, location, MFA).',
	},
	'50105': {
		explanation: 'The signed-in person is not assigned to this application.',
		fix: 'Ask an administrator to assign the person to the app (Enterprise applications, Users and groups).',
	},
	'501051': {
		explanation: 'The application is not assigned a role for the requested API.',
		fix: 'Grant the app permission (API permissions) and admin consent for the API.',
	},
	'50011': {
		explanation: 'The redirect URI of the request is not registered on the app.',
		fix: 'Add the redirect URI shown in the credential to the app registration (Authentication).',
	},
	'900144': {
		explanation: 'A required parameter is missing from the request.',
		fix: 'Fill in every required field of the credential.',
	},
};

// Entra's codes have up to 7 digits; a longer run of digits is not one.
const AADSTS_PATTERN = /AADSTS(\d{1,9})(?!\d)/;

/** The first AADSTS number in a text, if any. */
export function findAadstsCode(text: string | undefined): string | undefined {
	return text ? AADSTS_PATTERN.exec(text)?.[1] : undefined;
}

export function explainAadsts(code: string): AadstsExplanation | undefined {
	return EXPLANATIONS[code];
}
