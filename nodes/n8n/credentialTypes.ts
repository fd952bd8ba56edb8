/** The n8n credential type names, used by the credential files and everything that asks for them. */
export const CLIENT_CREDENTIALS_CREDENTIAL_TYPE = 'msalClientCredentialsApi';
export const DEVICE_CODE_CREDENTIAL_TYPE = 'msalDeviceCodeApi';
export const PUBLIC_CLIENT_CREDENTIAL_TYPE = 'msalPublicClientApi';
export const MANAGED_IDENTITY_CREDENTIAL_TYPE = 'msalManagedIdentityApi';
