/**
 * One instance per process of something the whole package shares: the cache sessions, the
 * pending-acquisition context, the log sink.
 *
 * n8n requires credential and node files through one module cache (pinned by
 * test/e2e/moduleLoading.test.ts), so module state alone would do there. The instance lives on
 * globalThis anyway because a process can hold two copies of this code: jest gives each test
 * file its own module registry, and a package can be installed twice (custom extensions folder
 * and community packages). STATE_VERSION changes whenever the shape of shared state does, so
 * copies of different versions never share it.
 */
const STATE_VERSION = 1;

export function processWide<T>(name: string, create: () => T): T {
	const key = Symbol.for(`n8n-nodes-msal/v${STATE_VERSION}/${name}`);
	// eslint-disable-next-line @n8n/community-nodes/no-restricted-globals -- one instance per process across copies of the package (see the comment above)
	const globals = globalThis as Record<symbol, unknown>;
	if (!(key in globals)) globals[key] = create();
	return globals[key] as T;
}
