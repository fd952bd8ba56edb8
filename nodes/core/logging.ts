// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- MSAL Node is what this self-hosted-only package is built on (README: n8n Cloud)
import { LogLevel, type Configuration } from '@azure/msal-node';
import { processWide } from './processWide';
import { excerpt } from './quote';

type LoggerOptions = NonNullable<NonNullable<Configuration['system']>['loggerOptions']>;

export type LogSink = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void;

// Process-wide: whichever file n8n loads first (a credential alone, for n8n's HTTP Request
// node, or a node) installs n8n's logger for all of them.
const sinkHolder = processWide('logSink', (): { sink: LogSink } => ({ sink: () => undefined }));

const LOG_LINE_MAX = 2000;

/** The n8n layer routes core and MSAL logs to n8n's logger; tests may capture them. */
export function setLogSink(next: LogSink): void {
	sinkHolder.sink = next;
}

export function log(level: Parameters<LogSink>[0], message: string): void {
	sinkHolder.sink(level, `[n8n-nodes-msal] ${escapeForLog(message)}`);
}

/**
 * One log line stays one line: messages can carry text from the network (an identity
 * provider's error description, a URL, a header), and a CR/LF or another control character in
 * it could forge log lines or terminal escapes. They are written as visible escapes, bounded.
 */
export function escapeForLog(text: string): string {
	return excerpt(text, LOG_LINE_MAX);
}

/** MSAL's logs, without personal data (piiLoggingEnabled stays false). */
export const msalLoggerOptions: LoggerOptions = {
	piiLoggingEnabled: false,
	logLevel: LogLevel.Warning,
	loggerCallback: (level: LogLevel, message: string, containsPii: boolean) => {
		if (containsPii) return;
		const mapped =
			level === LogLevel.Error
				? 'error'
				: level === LogLevel.Warning
					? 'warn'
					: level === LogLevel.Info
						? 'info'
						: 'debug';
		sinkHolder.sink(mapped, `[msal] ${escapeForLog(message)}`);
	},
};
