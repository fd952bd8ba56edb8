/** Real MSAL against the rig's IMDS-like endpoint, selected with AZURE_POD_IDENTITY_AUTHORITY_HOST. */
import { describeManagedIdentitySource } from './support/managedIdentityCases';

describeManagedIdentitySource('imds', 'IMDS (Azure VM, scale set or AKS node)');
