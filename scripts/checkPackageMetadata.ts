/**
 * Refuses a package that is not ready to publish: placeholder metadata, a version CHANGELOG.md
 * does not describe, and (for a release) a tag or repository that does not match package.json.
 *
 *   tsx scripts/checkPackageMetadata.ts
 *     part of `npm run lint`. Placeholders fail, unless MSAL_ALLOW_PLACEHOLDER_METADATA=1, which
 *     prints them as warnings (the test suite sets it while the package has no home yet).
 *   tsx scripts/checkPackageMetadata.ts --publish [--ref refs/tags/vX.Y.Z] [--repository OWNER/REPO]
 *     before publishing (release workflow, prepublishOnly): no exemption, and nothing left under
 *     "## [Unreleased]".
 *
 * Reads package.json and CHANGELOG.md from the current directory.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
	changelogProblems,
	metadataProblems,
	releaseProblems,
	type PackageJson,
	type Problem,
} from './packageMetadata';

const { values } = parseArgs({
	options: { publish: { type: 'boolean', default: false }, ref: { type: 'string' }, repository: { type: 'string' } },
});
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;
const changelog = readFileSync('CHANGELOG.md', 'utf8');

const problems: Problem[] = [
	...metadataProblems(pkg),
	...changelogProblems(pkg, changelog, { publish: values.publish }),
	...releaseProblems(pkg, { ref: values.ref, repository: values.repository }),
];
const tolerated = !values.publish && process.env.MSAL_ALLOW_PLACEHOLDER_METADATA === '1';
const errors = problems.filter((problem) => !(tolerated && problem.placeholder));
const warnings = problems.filter((problem) => tolerated && problem.placeholder);

const line = (problem: Problem): string => `  ${problem.field} ${problem.message} ${problem.fix}`;
if (warnings.length > 0) {
	console.warn(
		`[package metadata] warning: placeholders, allowed by MSAL_ALLOW_PLACEHOLDER_METADATA=1; publishing refuses them:\n${warnings.map(line).join('\n')}`,
	);
}
if (errors.length > 0) {
	const placeholders = errors.some((problem) => problem.placeholder);
	console.error(
		`[package metadata] ${values.publish ? 'not publishable' : 'error'}:\n${errors.map(line).join('\n')}` +
			(placeholders && !values.publish
				? '\n  While the package has no real home, MSAL_ALLOW_PLACEHOLDER_METADATA=1 turns placeholders into warnings (npm test sets it).'
				: ''),
	);
	process.exitCode = 1;
}
