// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, allowed for self-hosted n8n
import * as fs from 'node:fs';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- a Node built-in, allowed for self-hosted n8n
import * as path from 'node:path';
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';
import { MsalNodeError } from '../core/errors';

/**
 * How the token cache is written on n8n versions before 2.34.
 *
 * What n8n does with the fields `preAuthentication` returns (read in n8n's built code,
 * `n8n/dist/credentials-helper.js`, CredentialsHelper.preAuthentication):
 * - n8n 1.123.81 and 2.33.7 (and, by the same code, every version before 2.34):
 *   `updateCredentials(…, Object.assign(credentials, output))`: `credentials` is the record
 *   as the node got it, with defaults applied and every expression already resolved, so the
 *   whole resolved record replaces the stored one. The first cache write would freeze every
 *   expression-valued field (`{{ $secrets… }}`, an expression that reads a fresh client
 *   assertion) to its current value.
 * - n8n 2.34.0 and later (read in 2.34.0 and 2.38.7): reads the stored record, copies each returned key
 *   into it unless the stored value of that key is an expression, and saves that.
 *
 * `preAuthentication` only receives the resolved record, so it cannot see which fields are
 * expressions. Our nodes can: the stored, unresolved record is what n8n's own
 * `credentialsHelper.getDecrypted(…, raw = true)` returns (same signature in 1.123.81, 2.33.7
 * and 2.38.7, reached through the execution context's `additionalData`, which is not a public
 * API; only used on n8n before 2.34). So on older n8n:
 * - when a node (Acquire Token, Call API, the sign-in webhook) writes, the stored expressions
 *   are returned with the cache: n8n then saves them unchanged;
 * - n8n's HTTP Request node (no node of ours involved) writes nothing: its request uses the
 *   token, and the cache is saved by the next run of one of our nodes. A sign-in started
 *   there (device code) cannot be kept, so that case fails with an error naming the fix.
 */
export const FIRST_N8N_KEEPING_EXPRESSIONS = '2.34.0';

/** Lazily reads the stored (unresolved) fields of the credential that hold expressions. */
export type StoredExpressionsReader = () => Promise<IDataObject>;

/** The parts of an n8n execution context (node or webhook) the stored-record read needs. */
interface ContextInternals {
	additionalData?: {
		credentialsHelper?: {
			getDecrypted?: (...args: unknown[]) => Promise<ICredentialDataDecryptedObject>;
		};
	};
	getNode?: () => { credentials?: Record<string, { id: string | null; name: string }> };
	getMode?: () => string;
	getExecuteData?: () => unknown;
}

let detectedVersion: string | null | undefined;

/** Version of the n8n running this code, or undefined when it cannot be told. */
export function runningN8nVersion(): string | undefined {
	if (detectedVersion === undefined) detectedVersion = findRunningN8nVersion() ?? null;
	return detectedVersion ?? undefined;
}

function findRunningN8nVersion(): string | undefined {
	// The process's entry script is n8n's bin/n8n (main process and queue-mode workers alike).
	const main = require.main?.filename;
	if (main) {
		let dir = path.dirname(main);
		for (let depth = 0; depth < 4; depth++, dir = path.dirname(dir)) {
			const version = n8nVersionIn(path.join(dir, 'package.json'));
			if (version) return version;
		}
	}
	// n8n puts its own module paths on NODE_PATH before it loads community packages
	// (load-nodes-and-credentials.js), so 'n8n' resolves to the running n8n.
	try {
		// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- reads the running n8n's version, not a dependency
		return n8nVersionIn(require.resolve('n8n/package.json'));
	} catch {
		return undefined;
	}
}

function n8nVersionIn(packageJsonPath: string): string | undefined {
	try {
		const pkg = JSON.parse(fs.readFileSync(packageJsonPath, 'utf8')) as { name?: unknown; version?: unknown };
		return pkg.name === 'n8n' && typeof pkg.version === 'string' ? pkg.version : undefined;
	} catch {
		return undefined;
	}
}

/** True when `version` is older than `than` (x.y.z, numeric; pre-release tags ignored). */
export function versionOlderThan(version: string, than: string): boolean {
	const parts = (v: string) =>
		v
			.split(/[.+-]/)
			.slice(0, 3)
			.map((p) => Number.parseInt(p, 10) || 0);
	const [a, b] = [parts(version), parts(than)];
	for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
	return false;
}

/**
 * True when n8n saves the whole resolved record after preAuthentication. An unknown version
 * (n8n run from an unusual entry point) counts as current: that is the supported main line.
 */
export function n8nSavesResolvedRecord(version = runningN8nVersion()): boolean {
	return version !== undefined && versionOlderThan(version, FIRST_N8N_KEEPING_EXPRESSIONS);
}

/** n8n's own test for an expression (n8n-workflow isExpression): a string starting with '='. */
const isExpression = (value: unknown): value is string => typeof value === 'string' && value.startsWith('=');

/**
 * On n8n before 2.34: a reader of the credential's stored expression fields for the write
 * `context` is about to make; undefined on later n8n (nothing to do there).
 */
export function storedExpressionsReader(context: object, credentialType: string): StoredExpressionsReader | undefined {
	if (!n8nSavesResolvedRecord()) return undefined;
	return async () => {
		const internals = context as ContextInternals;
		const getDecrypted = internals.additionalData?.credentialsHelper?.getDecrypted;
		const nodeCredentials = internals.getNode?.().credentials?.[credentialType];
		if (!getDecrypted || !nodeCredentials)
			throw cannotKeepExpressionsError('this n8n does not let the node read the stored credential');
		const stored = await getDecrypted.call(
			internals.additionalData!.credentialsHelper,
			internals.additionalData,
			nodeCredentials,
			credentialType,
			internals.getMode?.() ?? 'internal',
			internals.getExecuteData?.(),
			true, // raw: the record as stored, expressions unresolved
		);
		const expressions: IDataObject = {};
		for (const [key, value] of Object.entries(stored)) if (isExpression(value)) expressions[key] = value;
		return expressions;
	};
}

/**
 * Adapts the fields `preAuthentication` is about to return to the n8n that will save them.
 * `reader` is set when one of our nodes drives the write, absent on n8n's HTTP Request node;
 * `failing` when the acquisition failed but wants its fields kept (a sign-in to finish later).
 */
export async function fieldsForN8n(
	fields: IDataObject,
	write: { viaOurNode: boolean; reader?: StoredExpressionsReader; failing: boolean },
): Promise<IDataObject> {
	if (Object.keys(fields).length === 0 || !n8nSavesResolvedRecord()) return fields;
	if (write.viaOurNode) {
		if (!write.reader) throw cannotKeepExpressionsError('the write did not come from a node execution');
		// Returned values replace the resolved ones in the record n8n saves; ours come last.
		return { ...(await write.reader()), ...fields };
	}
	// n8n's HTTP Request node: the expressions are out of reach, so save nothing. A renewed
	// token cache can wait for the next run of Acquire Token or Call API; a sign-in that has to
	// be finished later cannot, so say what to do instead.
	if (write.failing) {
		// The fix goes in the message too: n8n's HTTP Request node shows only the message.
		const fix = `Sign in once with the Acquire Token node (the HTTP Request node then works silently), or upgrade n8n to ${FIRST_N8N_KEEPING_EXPRESSIONS} or later.`;
		throw new MsalNodeError(
			`n8n ${runningN8nVersion() ?? ''} cannot keep a sign-in that starts in n8n's HTTP Request node: before n8n ${FIRST_N8N_KEEPING_EXPRESSIONS}, saving it would overwrite the credential's expressions with their current values. ${fix}`,
			fix,
		);
	}
	return {};
}

function cannotKeepExpressionsError(why: string): MsalNodeError {
	return new MsalNodeError(
		`The token cache was not saved: n8n ${runningN8nVersion() ?? ''} saves the whole credential with its expressions resolved, and ${why}, so its expressions could not be kept.`,
		`Upgrade n8n to ${FIRST_N8N_KEEPING_EXPRESSIONS} or later.`,
	);
}
