/**
 * After tsc copied the codex files (nodes/*\/*.node.json) into dist: their README anchors and guide
 * paths become links to the repository named by package.json, the one place that holds its address.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readmeUrl, resolveDocumentationUrls, type PackageJson } from './packageMetadata';

const repository = readmeUrl(JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson);
const codexFiles = readdirSync('dist/nodes', { recursive: true, encoding: 'utf8' }).filter((file) =>
	file.endsWith('.node.json'),
);
if (codexFiles.length === 0) throw new Error('No codex file in dist/nodes: run tsc first (npm run build).');
for (const file of codexFiles) {
	const path = join('dist/nodes', file);
	writeFileSync(
		path,
		`${JSON.stringify(resolveDocumentationUrls(JSON.parse(readFileSync(path, 'utf8')), repository), null, '\t')}\n`,
	);
}
