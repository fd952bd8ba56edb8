/**
 * Reading an answer body with a size cap, chunk by chunk: an identity provider, key set or managed
 * identity endpoint answers a few kilobytes, so anything past the cap is refused without holding
 * it in memory (a hostile or broken server could otherwise send hundreds of megabytes).
 */

/** 1 MiB: Entra's largest answers (key sets, discovery documents, token responses) are under 20 KB. */
export const IDENTITY_ANSWER_LIMIT_BYTES = 1024 * 1024;

/** The body ran past the cap; what was read is dropped and the connection closed. */
export class AnswerTooLargeError extends Error {
	constructor(
		/** Where the answer came from, e.g. "login.example.com answered GET /keys". */
		readonly source: string,
		readonly limitBytes: number,
	) {
		super(
			`${source} with more than ${formatBytes(limitBytes)}; it was not read further. An identity provider answers a few kilobytes: check that the URL points at the identity provider and not at another server.`,
		);
		this.name = 'AnswerTooLargeError';
	}
}

/** What readBoundedText needs of a fetch Response: the global one or undici's (another ReadableStream type). */
export interface StreamedAnswer {
	headers: { get(name: string): string | null };
	body: {
		getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
		cancel(): Promise<void>;
	} | null;
}

/**
 * The body as UTF-8 text, at most `limitBytes`; throws AnswerTooLargeError as soon as the declared
 * length or the bytes received exceed it, and cancels the rest of the stream.
 */
export async function readBoundedText(
	response: StreamedAnswer,
	source: string,
	limitBytes = IDENTITY_ANSWER_LIMIT_BYTES,
): Promise<string> {
	const body = response.body;
	const declared = Number(response.headers.get('content-length') ?? '');
	if (Number.isFinite(declared) && declared > limitBytes) {
		await body?.cancel().catch(() => undefined);
		throw new AnswerTooLargeError(source, limitBytes);
	}
	if (!body) return '';
	const reader = body.getReader();
	const chunks: Uint8Array[] = [];
	let received = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done || !value) break;
		received += value.byteLength;
		if (received > limitBytes) {
			await reader.cancel().catch(() => undefined);
			throw new AnswerTooLargeError(source, limitBytes);
		}
		chunks.push(value);
	}
	return Buffer.concat(chunks, received).toString('utf8');
}

function formatBytes(bytes: number): string {
	return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${bytes} bytes`;
}
