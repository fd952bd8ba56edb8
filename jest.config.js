/**
 * jose 6 is ESM-only. Node (≥ 20.19, as n8n) loads it through require(esm); jest 29's own module
 * loader cannot, so its files are compiled to CommonJS here, as the package's TypeScript is.
 */
const project = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	transform: {
		'^.+\\.tsx?$': 'ts-jest',
		'/node_modules/jose/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs' } }],
	},
	transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};

/** @type {import("jest").Config} */
module.exports = {
	projects: [
		{ ...project, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
		{ ...project, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
		{
			...project,
			displayName: 'e2e',
			testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
			setupFilesAfterEnv: ['<rootDir>/test/e2e/jest.setup.ts'],
		},
		{
			...project,
			displayName: 'browser',
			testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
			setupFilesAfterEnv: ['<rootDir>/test/browser/jest.setup.ts'],
		},
		{
			...project,
			displayName: 'queue',
			testMatch: ['<rootDir>/test/queue/**/*.test.ts'],
			setupFilesAfterEnv: ['<rootDir>/test/e2e/jest.setup.ts'],
		},
	],
};
