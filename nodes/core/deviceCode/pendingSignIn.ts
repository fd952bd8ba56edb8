// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import type { DeviceCodeRequest } from '@azure/msal-node';
import type { SignInReason } from '../delegated';

export type DeviceCodeResponse = Parameters<DeviceCodeRequest['deviceCodeCallback']>[0];

/** The pending sign-in saved (encrypted) in the credential between runs. Holds the device code: never log it. */
export interface PendingSignIn {
	format: 'n8n-nodes-msal/pending-device-code@1';
	owner: string;
	scopes: string[];
	account?: string;
	reason: SignInReason;
	deviceCode: string;
	userCode: string;
	verificationUri: string;
	message: string;
	interval: number;
	/** Epoch seconds. */
	expiresAt: number;
}

const PENDING_FORMAT = 'n8n-nodes-msal/pending-device-code@1';
/** A code with less left than this is treated as expired (the person could not make it). */
export const MIN_REMAINING_SECONDS = 10;

export function toPending(
	response: DeviceCodeResponse,
	owner: string,
	scopes: string[],
	account: string | undefined,
	reason: SignInReason,
): PendingSignIn {
	return {
		format: PENDING_FORMAT,
		owner,
		scopes,
		account,
		reason,
		deviceCode: response.deviceCode,
		userCode: response.userCode,
		verificationUri: response.verificationUri,
		message: response.message,
		interval: Number(response.interval) > 0 ? Number(response.interval) : 5,
		expiresAt: Math.floor(Date.now() / 1000) + Number(response.expiresIn),
	};
}

export function serializePending(pending: PendingSignIn): string {
	return JSON.stringify(pending);
}

/** The saved pending sign-in, if it belongs to this app and has not expired. */
export function parsePending(stored: string | undefined, owner: string): PendingSignIn | undefined {
	if (!stored) return undefined;
	try {
		const value = JSON.parse(stored) as PendingSignIn;
		if (
			value?.format !== PENDING_FORMAT ||
			value.owner !== owner ||
			typeof value.deviceCode !== 'string' ||
			!Array.isArray(value.scopes)
		)
			return undefined;
		if (value.expiresAt - Date.now() / 1000 < MIN_REMAINING_SECONDS) return undefined;
		return value;
	} catch {
		return undefined;
	}
}

export function sameScopes(a: string[], b: string[]): boolean {
	const norm = (s: string[]) => [...new Set(s.map((x) => x.toLowerCase()))].sort().join(' ');
	return norm(a) === norm(b);
}
