import { LoggerProxy } from 'n8n-workflow';
import { setLogSink } from '../core/logging';

/** Routes the core's and MSAL's logs to n8n's logger (which n8n initialises at start-up). */
export function useN8nLogger(): void {
	setLogSink((level, message) => LoggerProxy[level](message));
}
