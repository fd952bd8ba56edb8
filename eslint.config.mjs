import tseslint from 'typescript-eslint';

/**
 * The layering rule: the core (nodes/core) knows nothing of n8n, so it stays testable alone and
 * the n8n layer stays the only place that speaks n8n's types.
 */
export default tseslint.config(
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
	{
		files: ['**/*.ts'],
		languageOptions: { parser: tseslint.parser },
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
