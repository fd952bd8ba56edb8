import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '../../..');
let tarball: string | undefined;

/**
 * The package as users get it: built and packed with npm. test/run-all.sh packs once and
 * passes MSAL_PACKAGE_TARBALL; a test run on its own builds and packs here.
 */
export function packagedBuild(): string {
	if (process.env.MSAL_PACKAGE_TARBALL) return process.env.MSAL_PACKAGE_TARBALL;
	if (tarball) return tarball;
	execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
	const dir = mkdtempSync(join(tmpdir(), 'msal-pack-'));
	execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: repoRoot, stdio: 'ignore' });
	tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')) as string);
	return tarball;
}
