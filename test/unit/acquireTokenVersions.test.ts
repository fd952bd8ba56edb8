/**
 * Acquire Token's versions (n8n's versioned-node convention: one description, properties shown per
 * `@version`): v1 keeps Validate Token so saved workflows keep running, v2 leaves it to the
 * Microsoft Entra ID Token Validation node, which has the same parameters.
 */
import { describe, expect, it } from '@jest/globals';
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { description } from '../../nodes/MsalAcquireToken/description';
import { MsalValidateToken } from '../../nodes/MsalValidateToken/MsalValidateToken.node';

const shownOn = (property: INodeProperties, version: number) => {
	const versions = property.displayOptions?.show?.['@version'];
	return versions === undefined || versions.includes(version);
};
const operationsOf = (version: number) =>
	description.properties
		.filter((property) => property.name === 'operation' && shownOn(property, version))
		.flatMap((property) => (property.options as INodePropertyOptions[]).map((option) => option.value));

describe('Acquire Token versions', () => {
	it('are 1 and 2, new nodes get 2', () => {
		expect(description.version).toEqual([1, 2]);
		expect(description.defaultVersion).toBe(2);
	});

	it('v1 offers Validate Token, v2 does not', () => {
		expect(operationsOf(1)).toEqual(['getToken', 'listAccounts', 'validateToken', 'signOut']);
		expect(operationsOf(2)).toEqual(['getToken', 'listAccounts', 'signOut']);
	});

	it("v1's Validate Token has the Token Validation node's parameters, and only on v1", () => {
		const validationNames = new MsalValidateToken().description.properties
			.filter((property) => property.type !== 'notice')
			.map((property) => property.name);
		const v1Only = description.properties.filter((property) => validationNames.includes(property.name));
		expect(v1Only.map((property) => property.name)).toEqual(validationNames);
		for (const property of v1Only) {
			expect(shownOn(property, 1)).toBe(true);
			expect(shownOn(property, 2)).toBe(false);
		}
	});
});
