import { LogLevel, type Configuration } from '@azure/msal-node';
import { processWide } from './processWide';

type LoggerOptions = NonNullable<NonNullable<Configuration['system']>['loggerOptions']>;

export type LogSink = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void;

// Process-wide: whichever file n8n loads first (a credential alone, for n8n's HTTP Request
// node, or a node) installs n8n's logger for all of them.
const sinkHolder = processWide('logSink', (): { sink: LogSink } => ({ sink: () => undefined }));

/** The n8n layer routes core and MSAL logs to n8n's logger; tests may capture them. */
export function setLogSink(next: LogSink): void {
	sinkHolder.sink = next;
}

export function log(level: Parameters<LogSink>[0], message: string): void {
	sinkHolder.sink(level, `[n8n-nodes-msal] ${message}`);
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
		sinkHolder.sink(mapped, `[msal] ${message}`);
	},
};
