/**
 * Whether a URL's host name (as URL.hostname spells it: lower case, IPv6 in brackets) is this
 * machine. The token guard lets a token go over plain http only to such a host, and the outbound
 * layer sends plain http to it directly, never through a proxy: both rest on the same premise,
 * that the request does not leave the machine.
 */
export function isLoopbackHost(hostname: string): boolean {
	return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
