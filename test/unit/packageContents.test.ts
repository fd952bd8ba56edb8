/**
 * What `npm pack` puts in the tarball (npm's own file list, `npm pack --dry-run`): every file the
 * README links to or shows (the example workflows, the screenshots), so the README works from the
 * package itself (node_modules, unpkg, jsDelivr) as on GitHub and npmjs.com; and no screenshot the
 * README does not show, which would only make every install heavier.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

function packedFiles(): string[] {
	const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
		cwd: root,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'ignore'],
	});
	const [pack] = JSON.parse(output) as { files: { path: string }[] }[];
	return pack.files.map((file) => file.path);
}

/** The README's relative link and image targets (Markdown and HTML), without anchors. */
function readmeTargets(): { links: string[]; images: string[] } {
	const readme = readFileSync(join(root, 'README.md'), 'utf8');
	const relative = (target: string) => !/^([a-z]+:|#|\/\/)/i.test(target);
	const clean = (target: string) => target.split('#')[0].trim();
	const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img[^>]*\ssrc="([^"]+)"/g)]
		.map((match) => match[1] ?? match[2])
		.filter(relative)
		.map(clean);
	const links = [...readme.matchAll(/(?<!!)\[[^\]]*\]\(([^)\s]+)[^)]*\)/g)]
		.map((match) => match[1])
		.filter(relative)
		.map(clean)
		.filter((target) => target !== '');
	return { links: [...new Set(links)], images: [...new Set(images)] };
}

describe('the npm tarball', () => {
	const files = packedFiles();
	const { links, images } = readmeTargets();

	it('holds every file the README links to (the example workflows among them)', () => {
		expect(links.filter((link) => link.startsWith('examples/')).length).toBeGreaterThanOrEqual(10);
		for (const link of links) expect(files).toContain(link);
	});

	it('holds every example workflow', () => {
		const examples = readdirSync(join(root, 'examples')).filter((file) => file.endsWith('.json'));
		expect(examples.length).toBeGreaterThan(0);
		for (const example of examples) expect(files).toContain(`examples/${example}`);
	});

	it("holds the README's images, and no other screenshot", () => {
		expect(images.length).toBeGreaterThanOrEqual(4);
		for (const image of images) expect(files).toContain(image);
		expect(files.filter((file) => file.startsWith('docs/images/')).sort()).toEqual([...images].sort());
	});

	it('holds every guide in docs/, since the README and the nodes link to them', () => {
		const guides = readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
			.filter((file) => file.endsWith('.md'))
			.map((file) => `docs/${file}`);
		expect(guides.length).toBeGreaterThanOrEqual(10);
		for (const guide of guides) expect(files).toContain(guide);
	});
});
