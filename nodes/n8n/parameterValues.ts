/** A parameter's value as text, whether a plain value (older workflows) or a resource locator. */
export function locatorValue(value: unknown): string {
	const raw =
		typeof value === 'object' && value !== null && 'value' in value ? (value as { value: unknown }).value : value;
	return typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim() : '';
}
