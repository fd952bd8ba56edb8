import { explainAadsts, findAadstsCode } from '../aadsts';
import { MsalNodeError } from '../errors';
import { excerpt, quote } from '../quote';

/** An API answered with an error status (after any retries). Never carries the token. */
export class ApiCallError extends MsalNodeError {
	constructor(
		message: string,
		fix: string,
		readonly status: number,
		readonly code: string | undefined,
		readonly apiMessage: string | undefined,
		readonly requestId: string | undefined,
		readonly clientRequestId: string | undefined,
		/**
		 * What the error panel shows of the answer: its documented error fields (code, message,
		 * details), bounded — never the raw body, which could repeat the request, token included.
		 */
		readonly body: unknown,
	) {
		super(message, fix);
	}
}

/** The request could not be completed: DNS, TLS, refused connection, timeout. */
export class ApiUnreachableError extends MsalNodeError {}

export interface ApiErrorDetails {
	code?: string;
	message?: string;
	requestId?: string;
	clientRequestId?: string;
	/** ARM: nested details' codes and messages, one line each. */
	details?: string[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
	typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined =>
	typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

/** How much of an API's documented error message (Graph's error.message, OAuth's error_description) is shown. */
export const API_MESSAGE_MAX = 300;

/**
 * Reads the error of a Graph / ARM / OData / OAuth style body and the request-id headers, each
 * field bounded and escaped; a body that is not JSON gives no message (it is not quoted):
 * Graph `{error:{code,message,innerError:{'request-id','client-request-id'}}}`,
 * ARM `{error:{code,message,details:[…]}}` with `x-ms-request-id`,
 * OData `{'odata.error':{code,message:{value}}}`, OAuth `{error, error_description}`.
 */
export function parseApiErrorBody(body: unknown, headers: Pick<Headers, 'get'>): ApiErrorDetails {
	const result: ApiErrorDetails = {
		requestId: headers.get('request-id') ?? headers.get('x-ms-request-id') ?? undefined,
		clientRequestId:
			headers.get('client-request-id') ??
			headers.get('x-ms-client-request-id') ??
			headers.get('x-ms-correlation-request-id') ??
			undefined,
	};
	if (!isObject(body)) return bounded(result);
	const error = isObject(body.error)
		? body.error
		: isObject(body['odata.error'])
			? body['odata.error']
			: isObject(body.Error)
				? body.Error
				: undefined;
	if (error) {
		result.code = str(error.code) ?? str(error.Code);
		const message = error.message ?? error.Message;
		result.message = isObject(message) ? str(message.value) : str(message);
		const inner = isObject(error.innerError)
			? error.innerError
			: isObject(error.innererror)
				? error.innererror
				: undefined;
		if (inner) {
			result.requestId = str(inner['request-id']) ?? result.requestId;
			result.clientRequestId = str(inner['client-request-id']) ?? result.clientRequestId;
		}
		if (Array.isArray(error.details)) {
			result.details = error.details
				.filter(isObject)
				.slice(0, 5)
				.map((detail) => [str(detail.code), str(detail.message)].filter(Boolean).join(': '))
				.filter(Boolean)
				.map((line) => excerpt(firstLine(line), API_MESSAGE_MAX));
		}
	} else {
		result.code = str(body.error) ?? str(body.code);
		result.message = str(body.error_description) ?? str(body.message) ?? str(body.Message);
	}
	return bounded(result);
}

/** The fields as they may be shown: one line each, control characters escaped, bounded. */
function bounded(result: ApiErrorDetails): ApiErrorDetails {
	const shown = (value: string | undefined, max?: number) =>
		value === undefined ? undefined : excerpt(firstLine(value), max);
	return {
		...result,
		code: shown(result.code),
		message: shown(result.message, API_MESSAGE_MAX),
		requestId: shown(result.requestId),
		clientRequestId: shown(result.clientRequestId),
	};
}

const STATUS_FIX: Record<number, string> = {
	400: "Check the URL, query parameters and body against the API's documentation.",
	401: "The API did not accept the token: check that the Scope names this API's resource and that the app registration is in the tenant the API trusts.",
	403: "The app (or user) lacks a permission: grant the API permission named in the API's documentation to the app registration, and an administrator must grant consent.",
	404: 'Check the URL (API version, IDs) and that the object exists and is visible to the app.',
	409: 'The object was changed or already exists; read it again and retry.',
	412: 'The object changed since it was read (ETag mismatch); read it again and retry.',
	429: "The API is throttling: lower the node's Concurrency, or raise Max Retries / Max Total Wait.",
};

function fixFor(status: number): string {
	if (STATUS_FIX[status]) return STATUS_FIX[status];
	if (status >= 500) return 'The service failed; try again later, or raise Max Retries / Max Total Wait.';
	return "Check the request against the API's documentation.";
}

/** A clear error for an API's error response. `retryNote` says why retrying stopped, when it did. */
export function apiCallErrorFrom(
	status: number,
	statusText: string,
	headers: Pick<Headers, 'get'>,
	body: unknown,
	request: { method: string; url: string },
	retryNote?: string,
): ApiCallError {
	const details = parseApiErrorBody(body, headers);
	const what = details.code
		? `${details.code}${details.message ? `: ${details.message}` : ''}`
		: (details.message ?? (excerpt(statusText) || 'no error details'));
	const unread = typeof body === 'string' && body.trim() !== '' ? notShown(body, headers) : '';
	const aadsts = findAadstsCode(`${details.message ?? ''} ${details.code ?? ''}`);
	const known = aadsts ? explainAadsts(aadsts) : undefined;
	const ids = [
		details.requestId && `request-id ${details.requestId}`,
		details.clientRequestId && `client-request-id ${details.clientRequestId}`,
	]
		.filter(Boolean)
		.join(', ');
	const message = `${request.method} ${request.url} failed with HTTP ${status}: ${what}${ids ? ` (${ids})` : ''}${unread}`;
	const fixParts = [
		known ? `AADSTS${aadsts}: ${known.explanation} ${known.fix}` : fixFor(status),
		details.details?.length ? `Details: ${details.details.join('; ')}.` : undefined,
		retryNote,
		unread ? "To see the API's whole answer, turn on Never Error (and Full Response)." : undefined,
	].filter(Boolean);
	return new ApiCallError(
		message,
		fixParts.join(' '),
		status,
		details.code,
		details.message,
		details.requestId,
		details.clientRequestId,
		details.code || details.message || details.details?.length
			? { code: details.code ?? null, message: details.message ?? null, details: details.details ?? [] }
			: null,
	);
}

/** A text answer, described: it is not quoted. */
function notShown(body: string, headers: Pick<Headers, 'get'>): string {
	const type = headers.get('content-type');
	return `; the answer (${type ? `Content-Type ${quote(type)}, ` : ''}${body.length.toLocaleString('en-US')} characters) is not shown`;
}

function firstLine(text: string): string {
	return /^\s*([^\r\n]*)/.exec(text)?.[1].trimEnd() ?? '';
}
