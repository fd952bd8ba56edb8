/**
 * The documentation holds together: every relative link of the README, CONTRIBUTING.md and the
 * guides in docs/ names a file of the repository, and its anchor one of that file's headings; the
 * table of Entra error codes in docs/errors.md says what the nodes say.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { explainAadsts } from '../../nodes/core/aadsts';

const root = resolve(__dirname, '../..');

/** GitHub's heading ids: lower case, punctuation dropped, each space a hyphen. */
const headingAnchors = (markdown: string): string[] =>
	markdown
		.replace(/```[\s\S]*?```/g, '')
		.split('\n')
		.filter((line) => /^#{1,6} /.test(line))
		.map((line) =>
			line
				.replace(/^#+ /, '')
				.toLowerCase()
				.replace(/[^\p{L}\p{N} _-]/gu, '')
				.replace(/ /g, '-'),
		);

const documents = [
	'README.md',
	'CONTRIBUTING.md',
	...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
		.filter((file) => file.endsWith('.md'))
		.map((file) => join('docs', file)),
];

describe('the documentation', () => {
	it.each(documents)('%s: every relative link names a file, and its anchor a heading there', (document) => {
		const text = readFileSync(join(root, document), 'utf8');
		const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]);
		for (const target of targets.filter((candidate) => !/^[a-z]+:/i.test(candidate))) {
			const [file, anchor] = target.split('#');
			const path = file ? resolve(root, dirname(document), file) : join(root, document);
			expect({ target, exists: existsSync(path), inRepository: !relative(root, path).startsWith('..') }).toEqual({
				target,
				exists: true,
				inRepository: true,
			});
			if (anchor && path.endsWith('.md')) {
				expect({ target, anchors: headingAnchors(readFileSync(path, 'utf8')) }).toEqual({
					target,
					anchors: expect.arrayContaining([anchor]),
				});
			}
		}
	});

	it('docs/errors.md lists every Entra error code the nodes explain, as they explain it', () => {
		const source = readFileSync(join(root, 'nodes/core/aadsts.ts'), 'utf8');
		const codes = [...source.matchAll(/^\t'(\d+)': \{$/gm)].map((match) => match[1]);
		const rows = new Map(
			[...readFileSync(join(root, 'docs/errors.md'), 'utf8').matchAll(/^\| AADSTS(\d+) \| (.*?) \| /gm)].map(
				(match) => [match[1], match[2]],
			),
		);
		expect(codes.length).toBeGreaterThan(20);
		expect([...rows.keys()].sort()).toEqual([...codes].sort());
		for (const code of codes) expect(rows.get(code)).toBe(explainAadsts(code)?.explanation);
	});
});
