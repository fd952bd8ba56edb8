/**
 * The package's metadata rules (scripts/packageMetadata.ts) and the check that lint, prepublishOnly
 * and the release workflow run (scripts/checkPackageMetadata.ts, run here as a process on fixture
 * packages), plus the repository's own state: its version has a CHANGELOG section and its codex
 * links repeat no repository address.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
	changelogProblems,
	metadataProblems,
	releaseProblems,
	resolveDocumentationUrls,
	type PackageJson,
} from '../../scripts/packageMetadata';

const root = resolve(__dirname, '../..');

/** GitHub's heading ids: lower case, punctuation dropped, each space a hyphen. */
const headingAnchors = (markdown: string): string[] =>
	markdown
		.split('\n')
		.filter((line) => /^#{1,6} /.test(line))
		.map((line) =>
			line
				.replace(/^#+ /, '')
				.toLowerCase()
				.replace(/[^\p{L}\p{N} _-]/gu, '')
				.replace(/ /g, '-'),
		);

const placeholderPackage: PackageJson = {
	name: 'n8n-nodes-msal',
	version: '1.2.3',
	homepage: 'https://github.com/n8n-nodes-msal/n8n-nodes-msal#readme',
	repository: { type: 'git', url: 'git+https://github.com/n8n-nodes-msal/n8n-nodes-msal.git' },
	author: { name: 'n8n-nodes-msal contributors', email: 'maintainers@n8n-nodes-msal.dev' },
};
const realPackage: PackageJson = {
	name: 'n8n-nodes-msal',
	version: '1.2.3',
	homepage: 'https://github.com/contoso/n8n-nodes-msal#readme',
	repository: { type: 'git', url: 'git+https://github.com/contoso/n8n-nodes-msal.git' },
	author: { name: 'Contoso Integrations', email: 'integrations@contoso.com' },
};
const releasedChangelog = '# Changelog\n\n## [Unreleased]\n\n## [1.2.3] - 2026-12-06\n\n### Added\n\n- Something.\n';

describe('package metadata', () => {
	it('names every placeholder field, as a placeholder', () => {
		const problems = metadataProblems(placeholderPackage);
		expect(problems.map((problem) => problem.field)).toEqual([
			'repository.url',
			'homepage',
			'author.name',
			'author.email',
		]);
		expect(problems.every((problem) => problem.placeholder)).toBe(true);
		expect(problems[0].fix).toContain('git+https://github.com/OWNER/REPO.git');
	});

	it('accepts real metadata', () => {
		expect(metadataProblems(realPackage)).toEqual([]);
	});

	it('keeps the repository in one place: homepage is its README, bugs is left to npm', () => {
		expect(
			metadataProblems({ ...realPackage, homepage: 'https://github.com/someone-else/n8n-nodes-msal#readme' }),
		).toEqual([
			expect.objectContaining({ field: 'homepage', fix: expect.stringContaining('contoso/n8n-nodes-msal#readme') }),
		]);
		expect(
			metadataProblems({ ...realPackage, bugs: { url: 'https://github.com/n8n-nodes-msal/n8n-nodes-msal/issues' } }),
		).toEqual([
			expect.objectContaining({ field: 'bugs', fix: expect.stringContaining('Remove "bugs"'), placeholder: true }),
		]);
	});

	it('refuses a repository that is not on GitHub or missing, and a missing author, as errors (not placeholders)', () => {
		const problems = metadataProblems({
			...realPackage,
			repository: 'https://example.com/repo.git',
			author: undefined,
		});
		expect(problems.map((problem) => [problem.field, problem.placeholder])).toEqual([
			['repository.url', undefined],
			['author.name', undefined],
		]);
	});
});

describe('version and CHANGELOG', () => {
	it('asks for the version heading in the exact format when it is missing', () => {
		const [problem] = changelogProblems({ ...realPackage, version: '1.3.0' }, releasedChangelog);
		expect(problem.message).toContain('"## [1.3.0] - YYYY-MM-DD"');
		expect(problem.fix).toContain('rename "## [Unreleased]" to "## [1.3.0] - YYYY-MM-DD"');
		expect(changelogProblems(realPackage, releasedChangelog)).toEqual([]);
		// An undated heading is not a release.
		expect(changelogProblems(realPackage, '## [Unreleased]\n\n## [1.2.3]\n')).toHaveLength(1);
	});

	it('refuses to publish while changes are listed under Unreleased (the tarball would hold them)', () => {
		const pending = releasedChangelog.replace('## [Unreleased]\n', '## [Unreleased]\n\n### Fixed\n\n- Later fix.\n');
		expect(changelogProblems(realPackage, pending)).toEqual([]);
		expect(changelogProblems(realPackage, pending, { publish: true })).toEqual([
			expect.objectContaining({ message: expect.stringContaining('under "## [Unreleased]"') }),
		]);
		expect(changelogProblems(realPackage, releasedChangelog, { publish: true })).toEqual([]);
	});

	it("this repository: package.json's version has its CHANGELOG.md section", () => {
		const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
		expect(changelogProblems(pkg, readFileSync(join(root, 'CHANGELOG.md'), 'utf8'))).toEqual([]);
	});
});

describe('release', () => {
	it('publishes only from the tag of the version, in the repository package.json names', () => {
		expect(releaseProblems(realPackage, { ref: 'refs/tags/v1.2.3', repository: 'Contoso/n8n-nodes-msal' })).toEqual([]);
		expect(releaseProblems(realPackage, { ref: 'refs/tags/v1.2.4' })).toEqual([
			expect.objectContaining({ field: 'git ref', message: expect.stringContaining('refs/tags/v1.2.3') }),
		]);
		expect(releaseProblems(realPackage, { ref: 'refs/heads/main' })).toHaveLength(1);
		expect(releaseProblems(realPackage, { repository: 'fork/n8n-nodes-msal' })).toEqual([
			expect.objectContaining({ field: 'repository.url', message: expect.stringContaining('fork/n8n-nodes-msal') }),
		]);
	});
});

describe('codex documentation links', () => {
	it('turn README anchors and guide paths into links to repository.url, and leave other links alone', () => {
		const codex = {
			node: 'n8n-nodes-msal.msalCallApi',
			resources: {
				primaryDocumentation: [{ url: '#call-api' }, { url: 'docs/nodes/call-api.md#options' }],
				credentialDocumentation: [{ url: 'https://learn.microsoft.com/entra' }],
			},
		};
		expect(resolveDocumentationUrls(codex, 'https://github.com/contoso/n8n-nodes-msal')).toEqual({
			node: 'n8n-nodes-msal.msalCallApi',
			resources: {
				primaryDocumentation: [
					{ url: 'https://github.com/contoso/n8n-nodes-msal#call-api' },
					{ url: 'https://github.com/contoso/n8n-nodes-msal/blob/main/docs/nodes/call-api.md#options' },
				],
				credentialDocumentation: [{ url: 'https://learn.microsoft.com/entra' }],
			},
		});
	});

	it("this repository: every codex link is a file of the repository (README when only an anchor), and its anchor one of that file's headings", () => {
		const urls = readdirSync(join(root, 'nodes'), { recursive: true, encoding: 'utf8' })
			.filter((file) => file.endsWith('.node.json'))
			.flatMap((file) => readFileSync(join(root, 'nodes', file), 'utf8').match(/"url":\s*"[^"]*"/g) ?? [])
			.map((match) => JSON.parse(match.replace(/^"url":\s*/, '')) as string);
		expect(urls.length).toBeGreaterThan(0);
		for (const url of urls) {
			expect(url).not.toMatch(/^[a-z]+:/i);
			const [file, anchor] = url.split('#');
			const path = join(root, file || 'README.md');
			expect(existsSync(path)).toBe(true);
			if (anchor) expect(headingAnchors(readFileSync(path, 'utf8'))).toContain(anchor);
		}
	});
});

describe('the check lint, prepublishOnly and the release workflow run', () => {
	const tsx = join(root, 'node_modules/.bin/tsx');
	const script = join(root, 'scripts/checkPackageMetadata.ts');
	const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

	function check(fixture: PackageJson, args: string[], env: Record<string, string> = {}) {
		const dir = mkdtempSync(join(tmpdir(), 'msal-metadata-'));
		try {
			writeFileSync(join(dir, 'package.json'), JSON.stringify(fixture));
			writeFileSync(join(dir, 'CHANGELOG.md'), releasedChangelog);
			const environment = { ...process.env, ...env };
			if (!('MSAL_ALLOW_PLACEHOLDER_METADATA' in env)) delete environment.MSAL_ALLOW_PLACEHOLDER_METADATA;
			const run = spawnSync(tsx, [script, ...args], { cwd: dir, env: environment, encoding: 'utf8' });
			return { status: run.status, stderr: run.stderr };
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}

	it('is what npm run lint and prepublishOnly run', () => {
		expect(pkg.scripts.lint).toContain('tsx scripts/checkPackageMetadata.ts');
		expect(pkg.scripts.prepublishOnly).toBe('tsx scripts/checkPackageMetadata.ts --publish');
	});

	it('fails lint on placeholders, naming each field; MSAL_ALLOW_PLACEHOLDER_METADATA=1 makes them warnings', () => {
		const failed = check(placeholderPackage, []);
		expect(failed.status).toBe(1);
		for (const field of ['repository.url', 'homepage', 'author.name', 'author.email']) {
			expect(failed.stderr).toContain(`  ${field} is `);
		}
		expect(failed.stderr).toContain('MSAL_ALLOW_PLACEHOLDER_METADATA=1');

		const tolerated = check(placeholderPackage, [], { MSAL_ALLOW_PLACEHOLDER_METADATA: '1' });
		expect(tolerated.status).toBe(0);
		expect(tolerated.stderr).toContain('warning: placeholders');
		expect(tolerated.stderr).toContain('publishing refuses them');
	});

	it('refuses to publish placeholders whatever the environment says', () => {
		const refused = check(placeholderPackage, ['--publish'], { MSAL_ALLOW_PLACEHOLDER_METADATA: '1' });
		expect(refused.status).toBe(1);
		expect(refused.stderr).toContain('not publishable');
		expect(refused.stderr).toContain('  repository.url is ');
	});

	it("publishes real metadata from the version's tag, and nothing from another tag", () => {
		const release = ['--publish', '--repository', 'contoso/n8n-nodes-msal'];
		expect(check(realPackage, [...release, '--ref', 'refs/tags/v1.2.3'])).toEqual({ status: 0, stderr: '' });
		const wrongTag = check(realPackage, [...release, '--ref', 'refs/tags/v1.2.2']);
		expect(wrongTag.status).toBe(1);
		expect(wrongTag.stderr).toContain('git ref is "refs/tags/v1.2.2"');
	});
});
