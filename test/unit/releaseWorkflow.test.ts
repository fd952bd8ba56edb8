/**
 * The release workflow (.github/workflows/release.yml) cannot run here; this reads it as GitHub
 * would (YAML, parsed by the `yaml` package) and checks what makes a release safe: it publishes
 * with provenance and the OIDC permission provenance needs, only after the package-metadata check
 * (the one `npm run lint` runs) and after the documented test command, read from the README's "Developer quick start" section (CONTRIBUTING.md's quick start gives the same).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';

const root = resolve(__dirname, '../..');

interface Step {
	name?: string;
	uses?: string;
	run?: string;
	with?: Record<string, unknown>;
	env?: Record<string, string>;
}
interface Job {
	'runs-on': string;
	permissions?: Record<string, string>;
	steps: Step[];
}
interface Workflow {
	on: { push?: { tags?: string[] }; workflow_dispatch?: unknown };
	permissions?: Record<string, string>;
	jobs: Record<string, Job>;
}

/** The command a document's section gives for the whole suite. */
function documentedTestCommand(file: string, heading: string): string {
	const text = readFileSync(join(root, file), 'utf8');
	const section = text.split(/^## /m).find((candidate) => candidate.startsWith(heading));
	const block = section?.match(/```bash\n([\s\S]*?)```/)?.[1] ?? '';
	const line = block.split('\n').find((candidate) => /#\s*the whole suite/.test(candidate));
	if (!line) throw new Error(`${file}: no "# the whole suite" command in the ${heading} code block.`);
	return line.replace(/#.*$/, '').trim();
}

const runs = (step: Step, command: string): boolean =>
	(step.run ?? '').split('\n').some((line) => line.trim() === command || line.trim().startsWith(`${command} `));

describe('release workflow', () => {
	const document = parseDocument(readFileSync(join(root, '.github/workflows/release.yml'), 'utf8'));
	const workflow = document.toJS() as Workflow;
	const [jobName, job] = Object.entries(workflow.jobs).find(([, candidate]) =>
		candidate.steps.some((step) => runs(step, 'npm publish')),
	) ?? ['', undefined];
	const steps = job?.steps ?? [];
	const publish = steps.findIndex((step) => runs(step, 'npm publish'));

	it('is valid YAML, each job with a runner and each step either a `uses` or a `run`', () => {
		expect(document.errors).toEqual([]);
		expect(job).toBeDefined();
		for (const candidate of Object.values(workflow.jobs)) {
			expect(typeof candidate['runs-on']).toBe('string');
			for (const step of candidate.steps) expect([step.uses, step.run].filter(Boolean)).toHaveLength(1);
		}
	});

	it('runs for v* tags and by hand', () => {
		expect(workflow.on.push?.tags).toEqual(['v*']);
		expect(Object.keys(workflow.on)).toContain('workflow_dispatch');
	});

	it('publishes with provenance, publicly, with the OIDC token provenance is signed with', () => {
		expect(steps[publish].run).toMatch(/^npm publish --provenance --access public$/m);
		expect(job?.permissions?.['id-token'] ?? workflow.permissions?.['id-token']).toBe('write');
		expect(steps[publish].env?.NODE_AUTH_TOKEN).toMatch(/^\$\{\{\s*secrets\.[A-Z_]+\s*\}\}$/);
		// Nothing else in the workflow gets the token.
		expect(JSON.stringify(workflow).match(/secrets\./g)).toHaveLength(1);
	});

	it('runs the documented test command before it publishes', () => {
		const command = documentedTestCommand('README.md', 'Developer quick start');
		expect(documentedTestCommand('CONTRIBUTING.md', 'Quick start')).toBe(command);
		expect(command).toBe(readFileSync(join(root, '.ci/run'), 'utf8').trim().split('\n').pop());
		const test = steps.findIndex((step) => runs(step, command));
		expect(test).toBeGreaterThanOrEqual(0);
		expect(test).toBeLessThan(publish);
	});

	it("refuses placeholders, another tag or repository, before anything else, with lint's own check", () => {
		const lint = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { lint: string } }).scripts
			.lint;
		const checkCommand = lint.split('&&').pop()?.trim() ?? '';
		expect(checkCommand).toBe('tsx scripts/checkPackageMetadata.ts');
		const check = steps.findIndex((step) => runs(step, `npx ${checkCommand}`));
		expect(steps[check].run).toBe(
			'npx tsx scripts/checkPackageMetadata.ts --publish --ref "$GITHUB_REF" --repository "$GITHUB_REPOSITORY"',
		);
		expect(check).toBeLessThan(
			steps.findIndex((step) => runs(step, documentedTestCommand('README.md', 'Developer quick start'))),
		);
		expect(check).toBeLessThan(publish);
		expect(jobName).not.toBe('');
	});
});
