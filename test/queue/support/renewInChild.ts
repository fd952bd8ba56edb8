/**
 * One process that renews like an n8n worker and then simply ends: its queue Redis comes from
 * the environment (EXECUTIONS_MODE, QUEUE_BULL_REDIS_*), as in n8n. It takes RENEWALS permits at
 * once, writes and releases them, prints its log lines and `done <ms>`, and returns from main
 * without closing anything: whether the process then exits is what the parent measures (no
 * socket or timer of the client may keep it alive), and whether it crashed (a reply that broke
 * the client must not reach the process).
 */
import { setLogSink } from '../../../nodes/core/logging';
import { renewalCoordinator } from '../../../nodes/core/renewalLease';

setLogSink((level, message) => process.stdout.write(`${level} ${message}\n`));

async function main(): Promise<void> {
	const t0 = Date.now();
	const coordinator = await renewalCoordinator();
	if (!coordinator) throw new Error('no coordinator: EXECUTIONS_MODE=queue missing');
	const count = Number(process.env.RENEWALS ?? 1);
	const permits = await Promise.all(
		Array.from({ length: count }, async (_, i) => await coordinator.permit(`child-${i}`, undefined, `write-${i}`)),
	);
	for (const permit of permits) {
		await permit.written();
		await permit.release();
	}
	process.stdout.write(`done ${Date.now() - t0}\n`);
}

void main().catch((error: Error) => {
	process.stdout.write(`failed ${error.message}\n`);
	process.exitCode = 2;
});
