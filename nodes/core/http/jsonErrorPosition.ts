/**
 * Where a text stops being JSON (RFC 8259), as an offset, so a parse failure can be described
 * by its position alone: V8's own message quotes the text around the error ("Unexpected token
 * '<', "<html>…" is not valid JSON"), and an answer must not be echoed into an error. Iterative,
 * so deeply nested input cannot overflow the stack.
 */
export function jsonErrorPosition(text: string): number | undefined {
	const length = text.length;
	const closers: string[] = [];
	let i = 0;
	let expect: 'value' | 'key' | 'after' = 'value';
	const skipWhiteSpace = () => {
		while (i < length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
	};
	for (;;) {
		skipWhiteSpace();
		if (expect === 'after') {
			const closer = closers[closers.length - 1];
			if (closer === undefined) return i < length ? i : undefined;
			if (text[i] === ',') {
				i++;
				expect = closer === '}' ? 'key' : 'value';
			} else if (text[i] === closer) {
				i++;
				closers.pop();
			} else {
				return i;
			}
			continue;
		}
		if (expect === 'key') {
			const end = text[i] === '"' ? stringEnd(text, i) : -i - 1;
			if (end < 0) return -end - 1;
			i = end;
			skipWhiteSpace();
			if (text[i] !== ':') return i;
			i++;
			expect = 'value';
			continue;
		}
		const char = text[i];
		if (char === '{' || char === '[') {
			i++;
			skipWhiteSpace();
			const closer = char === '{' ? '}' : ']';
			if (text[i] === closer) {
				i++;
				expect = 'after';
			} else {
				closers.push(closer);
				expect = char === '{' ? 'key' : 'value';
			}
			continue;
		}
		const end = scalarEnd(text, i);
		if (end < 0) return -end - 1;
		i = end;
		expect = 'after';
	}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS = ['true', 'false', 'null'];

/** The offset after a number, string or literal at `start`, or -(error offset) - 1. */
function scalarEnd(text: string, start: number): number {
	if (text[start] === '"') return stringEnd(text, start);
	for (const literal of LITERALS) if (text.startsWith(literal, start)) return start + literal.length;
	NUMBER.lastIndex = start;
	return NUMBER.test(text) ? NUMBER.lastIndex : -start - 1;
}

/** The offset after the string opening at `start`, or -(error offset) - 1. */
function stringEnd(text: string, start: number): number {
	for (let i = start + 1; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code === 0x22) return i + 1;
		if (code < 0x20) return -i - 1;
		if (code === 0x5c) {
			const next = text[i + 1];
			if (next === 'u') {
				if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return -(i + 1) - 1;
				i += 5;
			} else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
				i++;
			} else {
				return -(i + 1) - 1;
			}
		}
	}
	return -text.length - 1;
}

/** Line and column (both from 1) of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
	let line = 1;
	let lineStart = 0;
	for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
		line++;
		lineStart = i + 1;
	}
	return { line, column: offset - lineStart + 1 };
}
