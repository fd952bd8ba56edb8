/** Real MSAL against the rig's App Service-like managed identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER). */
import { describeManagedIdentitySource } from './support/managedIdentityCases';

describeManagedIdentitySource('appService', 'App Service / Container Apps');
