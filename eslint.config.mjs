import js from '@eslint/js';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import { globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * @n8n/node-cli's lint configuration (`n8n-node lint`, 0.48.3: dist/configs/eslint.js), written
 * out with the same plugins because the CLI itself does not install with npm. Plus the layering
 * rule: nodes/core knows nothing of n8n, so it stays testable alone and nodes/n8n stays the only
 * place that speaks n8n's types.
 */
const community = n8nCommunityNodesPlugin.configs.recommended;

export default tseslint.config(
	globalIgnores(['dist', 'node_modules', 'coverage']),
	{
		files: ['**/*.ts'],
		extends: [js.configs.recommended, tseslint.configs.recommended, community, importX.configs['flat/recommended']],
		rules: {
			'prefer-spread': 'off',
			'no-console': 'error',
		},
	},
	{
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
	},
	{
		files: ['package.json'],
		extends: [community],
		rules: { ...n8nNodesBase.configs.community.rules },
		languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
	},
	{
		files: ['./credentials/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
		},
	},
	{
		files: ['./nodes/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
			'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
		},
	},
	{
		files: ['**/*.ts'],
		rules: {
			// A leading underscore names what is left out on purpose (rest destructuring, unused parameters).
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
			],
		},
	},
	{
		files: ['package.json'],
		rules: {
			// The package is self-hosted only: MSAL Node, undici, jose, ioredis (n8n's own Redis client, for queue mode) and proxy-from-env (n8n's proxy rules) are what it is built on (README, n8n Cloud).
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			// A real range (README "Supported n8n versions") instead of "*": n8n before 1.83 cannot load the nodes.
			'@n8n/community-nodes/valid-peer-dependencies': 'off',
			// Only for the package's own dev install on Node 20 (isolated-vm builds on Node 24 only); no effect on users.
			'@n8n/community-nodes/no-overrides-field': 'off',
		},
	},
	{
		// Never shipped: tests, the rig, benchmarks and the build's scripts run servers, child processes and
		// timers, read files, and print.
		files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
		rules: {
			'@n8n/community-nodes/no-restricted-imports': 'off',
			'@n8n/community-nodes/no-restricted-globals': 'off',
			'@n8n/community-nodes/no-dangerous-functions': 'off',
			'@n8n/community-nodes/require-node-api-error': 'off',
			'@n8n/community-nodes/no-hardcoded-secrets': 'off',
			'no-console': 'off',
			// Parsed n8n CLI output and rig JSON: shapes owned by other programs, checked by the assertions.
			'@typescript-eslint/no-explicit-any': 'off',
		},
	},
	{
		// The core is free of n8n by design: its errors (MsalNodeError and kin) become NodeOperationError
		// or NodeApiError in nodes/n8n/itemErrors.ts, the one place that speaks n8n's error types.
		files: ['nodes/core/**/*.ts'],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
	{
		files: ['nodes/core/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{ group: ['n8n-*', '@n8n/*'], message: 'nodes/core is free of n8n: map n8n data in nodes/n8n.' },
						{
							group: ['**/n8n/*', '../n8n', '../../n8n', '**/Msal*/**', '**/credentials/**'],
							message: 'nodes/core must not import the n8n layer, the nodes or the credentials.',
						},
					],
				},
			],
		},
	},
);
