import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { InvalidInputError } from '../core/errors';
import { assertWithinBoundary } from '../core/resourceBoundary';
import type { NodeTokenRequest } from '../core/signIn';
import { cloudOf, resourceBoundaryOf } from './credentialFields';

/**
 * What a credential record allows a node's token request, checked on the record the token would
 * be minted from, before any request to the identity provider: resources within the credential's
 * boundary, and the raw token in node output only when the owner allows it.
 */

export const ALLOW_TOKEN_OUTPUT_FIELD = 'Allow Token Output';

/** The credential's owner keeps its raw tokens out of node output; nothing was requested. */
export class TokenOutputRefusedError extends InvalidInputError {
	constructor() {
		super(
			`This credential does not allow its access tokens in node output (the credential's ${ALLOW_TOKEN_OUTPUT_FIELD} is off).`,
			`Call the API with the Call API node or n8n's HTTP Request node, which send the token without showing it; or ask the credential's owner to turn ${ALLOW_TOKEN_OUTPUT_FIELD} on.`,
			ALLOW_TOKEN_OUTPUT_FIELD,
		);
	}
}

/** False only when the owner turned Allow Token Output off (records without the field allow it). */
export function tokenOutputAllowed(data: ICredentialDataDecryptedObject): boolean {
	return data.allowTokenOutput !== false;
}

/** Throws when the credential does not allow this request. */
export function checkTokenRequest(data: ICredentialDataDecryptedObject, request: NodeTokenRequest): void {
	if (request.outputsToken && !tokenOutputAllowed(data)) throw new TokenOutputRefusedError();
	assertWithinBoundary(request.scopes, resourceBoundaryOf(data), cloudOf(data), request.scopeOrigin);
}
