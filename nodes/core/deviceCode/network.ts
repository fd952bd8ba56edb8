// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { MsalNetworkClient } from '../networkClient';
import type { PollErrorBody } from './flowErrors';
import type { PendingSignIn } from './pendingSignIn';

/**
 * The network client of a device-code sign-in. It delegates to the session's client and:
 * - answers MSAL's device-code request from a saved code when resuming (`replay`), so MSAL
 *   polls for the code an earlier run showed instead of asking for a new one;
 * - counts polls answered "pending" (`onPending`), so a run can stop after one;
 * - keeps the last poll's error body: MSAL reports only the error name, not Entra's AADSTS code.
 */
export class DeviceCodeNetwork implements INetworkModule {
	replay: PendingSignIn | undefined;
	onPending: ((polls: number) => void) | undefined;
	lastPollError: PollErrorBody | undefined;
	private polls = 0;

	constructor(private readonly shared: MsalNetworkClient) {}

	sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
		return this.shared.sendGetRequestAsync<T>(url, options, timeout);
	}

	async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
		const path = safePath(url);
		if (this.replay && /\/devicecode$/i.test(path)) {
			const pending = this.replay;
			const body = {
				device_code: pending.deviceCode,
				user_code: pending.userCode,
				verification_uri: pending.verificationUri,
				expires_in: Math.max(0, Math.floor(pending.expiresAt - Date.now() / 1000)),
				interval: pending.interval,
				message: pending.message,
			};
			return { status: 200, headers: {}, body: body as T };
		}
		const response = await this.shared.sendPostRequestAsync<T>(url, options);
		if (/\/token$/i.test(path) && String(options?.body ?? '').includes('grant_type=device_code')) {
			const body = response.body as unknown as PollErrorBody | undefined;
			if (body && typeof body === 'object' && typeof body.error === 'string') {
				if (body.error === 'authorization_pending') {
					this.polls += 1;
					this.onPending?.(this.polls);
				} else {
					this.lastPollError = body;
				}
			}
		}
		return response;
	}
}

function safePath(url: string): string {
	try {
		return new URL(url).pathname;
	} catch {
		return url;
	}
}
