// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import { AuthError, type AuthenticationResult, type PublicClientApplication } from '@azure/msal-node';
import { translateDeviceCodeError } from './flowErrors';
import type { DeviceCodeNetwork } from './network';
import type { DeviceCodeResponse } from './pendingSignIn';

export type PollOutcome =
	| { kind: 'token'; result: AuthenticationResult }
	| { kind: 'pending'; cause: 'stopped' | 'timeout' | 'cancelled' };

export interface PollOptions {
	scopes: string[];
	claims?: string;
	/** Stop as soon as the code is known, before any poll. */
	stopAfterCode?: boolean;
	/** Stop when this many polls answered "pending". */
	maxPolls?: number;
	timeoutSeconds?: number;
	signal?: AbortSignal;
	onCode: (response: DeviceCodeResponse) => void;
}

/**
 * MSAL's acquireTokenByDeviceCode, stopped by our rules. MSAL checks its `cancel` flag and
 * timeout only between polls (after sleeping the interval), so when we stop we set `cancel`
 * (no further poll is sent) and return at once instead of waiting for MSAL to notice.
 */
export async function runDeviceCode(
	app: PublicClientApplication,
	network: DeviceCodeNetwork,
	options: PollOptions,
): Promise<PollOutcome> {
	const { signal } = options;
	if (signal?.aborted) return { kind: 'pending', cause: 'cancelled' };
	let settle: (outcome: PollOutcome) => void = () => undefined;
	const stopped = new Promise<PollOutcome>((resolve) => (settle = resolve));
	const request = {
		scopes: options.scopes,
		claims: options.claims,
		timeout: options.timeoutSeconds && options.timeoutSeconds > 0 ? Math.ceil(options.timeoutSeconds) : undefined,
		cancel: false,
		deviceCodeCallback: (response: DeviceCodeResponse) => {
			options.onCode(response);
			if (options.stopAfterCode) request.cancel = true;
		},
	};
	const stop = (cause: 'stopped' | 'cancelled') => {
		request.cancel = true;
		settle({ kind: 'pending', cause });
	};
	const onAbort = () => stop('cancelled');
	signal?.addEventListener('abort', onAbort, { once: true });
	network.lastPollError = undefined;
	network.onPending = (polls) => {
		if (options.maxPolls !== undefined && polls >= options.maxPolls) stop('stopped');
	};
	const polling = app.acquireTokenByDeviceCode(request).then(
		(result): PollOutcome => {
			if (!result) throw new Error('MSAL returned no result for the device code flow');
			return { kind: 'token', result };
		},
		(error: unknown): PollOutcome => {
			if (error instanceof AuthError) {
				if (error.errorCode === 'device_code_polling_cancelled')
					return { kind: 'pending', cause: signal?.aborted ? 'cancelled' : 'stopped' };
				if (error.errorCode === 'user_timeout_reached') return { kind: 'pending', cause: 'timeout' };
			}
			throw translateDeviceCodeError(error, network.lastPollError);
		},
	);
	try {
		return await Promise.race([polling, stopped]);
	} finally {
		signal?.removeEventListener('abort', onAbort);
		network.onPending = undefined;
		polling.catch(() => undefined); // MSAL settles after its next interval; nothing to do then
	}
}
