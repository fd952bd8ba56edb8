import { LogLevel, type Configuration } from '@azure/msal-node';

type LoggerOptions = NonNullable<NonNullable<Configuration['system']>['loggerOptions']>;

export type LogSink = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void;

let sink: LogSink = () => undefined;

/** The n8n glue routes core and MSAL logs to n8n's logger; tests may capture them. */
export function setLogSink(next: LogSink): void {
	sink = next;
}

export function log(level: Parameters<LogSink>[0], message: string): void {
	sink(level, `[n8n-nodes-msal] ${message}`);
}

/** MSAL's logs, without personal data (piiLoggingEnabled stays false). */
export const msalLoggerOptions: LoggerOptions = {
	piiLoggingEnabled: false,
	logLevel: LogLevel.Warning,
	loggerCallback: (level: LogLevel, message: string, containsPii: boolean) => {
		if (containsPii) return;
		const mapped = level === LogLevel.Error ? 'error' : level === LogLevel.Warning ? 'warn' : level === LogLevel.Info ? 'info' : 'debug';
		sink(mapped, `[msal] ${message}`);
	},
};
