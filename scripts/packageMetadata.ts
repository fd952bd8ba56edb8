/**
 * The package's public metadata and the rules a publishable package meets. The one place that
 * holds it is package.json: `repository` (npm derives `bugs` from it when it publishes, npmjs.com
 * resolves the README's relative images and links against it, provenance requires it to name the
 * repository whose workflow built the release, and the build derives the nodes' documentation
 * links from it), `author`, and `homepage` (n8n's lint requires it), which must be the repository's
 * README. Nothing else repeats the repository's address.
 */

export interface PackageJson {
	name: string;
	version: string;
	repository?: string | { type?: string; url?: string };
	homepage?: unknown;
	bugs?: unknown;
	author?: string | { name?: string; email?: string; url?: string };
}

export interface Problem {
	/** Where: a package.json field, or CHANGELOG.md, or the release's git ref. */
	field: string;
	message: string;
	fix: string;
	/** A placeholder value: tolerated by `npm run lint` under MSAL_ALLOW_PLACEHOLDER_METADATA=1, never by a release. */
	placeholder?: true;
}

/** What stands in for the real values until the package has a home (its GitHub owner, its maintainers). */
export const PLACEHOLDERS: readonly { text: string; what: string }[] = [
	{ text: 'github.com/n8n-nodes-msal/', what: 'the placeholder GitHub owner "n8n-nodes-msal"' },
	{ text: 'n8n-nodes-msal.dev', what: 'the placeholder domain n8n-nodes-msal.dev' },
	{ text: 'n8n-nodes-msal contributors', what: 'the placeholder author "n8n-nodes-msal contributors"' },
];

const GITHUB_URL = /^(?:git\+)?https:\/\/github\.com\/([A-Za-z0-9-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/;
const REPOSITORY_FIX =
	'Set "repository": { "type": "git", "url": "git+https://github.com/OWNER/REPO.git" } to the repository the release workflow runs in.';

function repositoryUrl(pkg: PackageJson): string | undefined {
	return typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
}

/** OWNER/REPO of a GitHub `repository.url`; undefined for anything else. */
export function githubRepository(pkg: PackageJson): string | undefined {
	const match = GITHUB_URL.exec(repositoryUrl(pkg) ?? '');
	return match ? `${match[1]}/${match[2]}` : undefined;
}

/** The README's address on the web (GitHub renders it on the repository's page). */
export function readmeUrl(pkg: PackageJson): string {
	const repository = githubRepository(pkg);
	if (!repository) throw new Error(`package.json repository.url is not a GitHub URL. ${REPOSITORY_FIX}`);
	return `https://github.com/${repository}`;
}

/** The metadata npm and n8n show: present, a GitHub repository, and no placeholder. */
export function metadataProblems(pkg: PackageJson): Problem[] {
	const problems: Problem[] = [];
	if (!githubRepository(pkg)) {
		problems.push({
			field: 'repository.url',
			message: `is ${JSON.stringify(repositoryUrl(pkg) ?? null)}, not a GitHub repository URL (npmjs.com resolves the README's images against it; provenance checks it).`,
			fix: REPOSITORY_FIX,
		});
	}
	const repository = githubRepository(pkg);
	if (repository && pkg.homepage !== `https://github.com/${repository}#readme`) {
		problems.push({
			field: 'homepage',
			message: `is ${JSON.stringify(pkg.homepage ?? null)}, not the README of repository.url.`,
			fix: `Set "homepage": "https://github.com/${repository}#readme".`,
		});
	}
	const author = typeof pkg.author === 'string' ? { name: pkg.author } : pkg.author;
	if (!author?.name) {
		problems.push({
			field: 'author.name',
			message: 'is missing.',
			fix: 'Set "author": { "name": ... } to the maintainers.',
		});
	}
	const fields: [string, unknown][] = [
		['repository.url', repositoryUrl(pkg)],
		['homepage', pkg.homepage],
		['bugs', pkg.bugs],
		['author.name', author?.name],
		['author.email', author?.email],
		['author.url', author?.url],
	];
	for (const [field, value] of fields) {
		const text = JSON.stringify(value ?? '');
		for (const placeholder of PLACEHOLDERS.filter((p) => text.includes(p.text))) {
			problems.push({
				field,
				message: `is ${text}: ${placeholder.what}.`,
				fix:
					field === 'bugs'
						? 'Remove "bugs": npm derives it from "repository" when it publishes.'
						: field === 'repository.url' || field === 'homepage'
							? `${REPOSITORY_FIX} "homepage" is its README: https://github.com/OWNER/REPO#readme.`
							: `Set "author" to the maintainers' real name and address.`,
				placeholder: true,
			});
		}
	}
	return problems;
}

function changelogHeading(version: string): string {
	return `## [${version}] - YYYY-MM-DD`;
}

function section(changelog: string, heading: RegExp): string | undefined {
	const lines = changelog.split('\n');
	const start = lines.findIndex((line) => heading.test(line));
	if (start < 0) return undefined;
	const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
	return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * package.json's version has its section in CHANGELOG.md, so the version a tarball carries always
 * says which changes it holds. Before publishing, also: nothing left under Unreleased (the
 * tarball would hold changes its version's section does not list).
 */
export function changelogProblems(pkg: PackageJson, changelog: string, options: { publish?: boolean } = {}): Problem[] {
	const versionHeading = new RegExp(`^## \\[${escapeRegExp(pkg.version)}\\] - \\d{4}-\\d{2}-\\d{2}$`);
	if (section(changelog, versionHeading) === undefined) {
		return [
			{
				field: 'CHANGELOG.md',
				message: `has no "${changelogHeading(pkg.version)}" heading for package.json's version ${pkg.version}.`,
				fix: `When the version changes, rename "## [Unreleased]" to "${changelogHeading(pkg.version)}" (the release date) and start an empty "## [Unreleased]" above it; or set package.json's "version" to the latest released heading.`,
			},
		];
	}
	const unreleased = section(changelog, /^## \[Unreleased\]\s*$/);
	if (options.publish && unreleased !== undefined && unreleased.trim() !== '') {
		return [
			{
				field: 'CHANGELOG.md',
				message: `lists changes under "## [Unreleased]"; the tarball of ${pkg.version} would hold them.`,
				fix: `Move them under "## [${pkg.version}]", or release them as a new version.`,
			},
		];
	}
	return [];
}

/** What the release workflow knows: the git ref it runs for and the repository it runs in. */
export function releaseProblems(pkg: PackageJson, release: { ref?: string; repository?: string }): Problem[] {
	const problems: Problem[] = [];
	const expectedRef = `refs/tags/v${pkg.version}`;
	if (release.ref !== undefined && release.ref !== expectedRef) {
		problems.push({
			field: 'git ref',
			message: `is ${JSON.stringify(release.ref)}; package.json's version ${pkg.version} is released from ${expectedRef}.`,
			fix: `Push the tag v${pkg.version} (or run the workflow on it), or set package.json's "version" to the tag's.`,
		});
	}
	const own = githubRepository(pkg);
	if (release.repository !== undefined && own && own.toLowerCase() !== release.repository.toLowerCase()) {
		problems.push({
			field: 'repository.url',
			message: `names ${own}, but the release runs in ${release.repository} (npm refuses provenance that does not match).`,
			fix: REPOSITORY_FIX,
		});
	}
	return problems;
}

/**
 * The codex's documentation links are written as README anchors ("#troubleshooting") or as paths
 * of the repository's guides ("docs/nodes/call-api.md#options"); the build turns them into
 * addresses on the repository's page, so the repository's address stays in package.json alone.
 */
export function resolveDocumentationUrls(codex: unknown, repository: string): unknown {
	if (Array.isArray(codex)) return codex.map((item) => resolveDocumentationUrls(item, repository));
	if (codex === null || typeof codex !== 'object') return codex;
	return Object.fromEntries(
		Object.entries(codex).map(([key, value]) => [
			key,
			key === 'url' && typeof value === 'string' && !/^[a-z]+:/i.test(value)
				? value.startsWith('#')
					? `${repository}${value}`
					: `${repository}/blob/main/${value}`
				: resolveDocumentationUrls(value, repository),
		]),
	);
}
