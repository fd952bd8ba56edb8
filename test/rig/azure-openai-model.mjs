// The emulator's "model": deterministic answers for chat completions and embeddings, cheap to
// compute, so a test can predict them and a benchmark measures the client, not the model.
//
// Chat (chatTurn):
//   - tools given (tool_choice not "none") and fewer tool results since the last user message than
//     the user asked for ("call the tool 4 times" → 4; default 1): one tool call to the tool
//     tool_choice names, else the first tool the user message names, else the first. Arguments follow the tool's JSON schema: string properties get
//     the first "quoted" text of the last user message, or the whole message; numbers 1, booleans
//     true, arrays [], objects {}, enums their first value.
//   - otherwise, after tool results: "Tool <name> answered: <last tool result>" (so a test can see
//     the agent used the tool), prefixed with how many tool calls the conversation made.
//   - no tools: "echo: <last user message>"; response_format json_object → {"echo": "..."};
//     json_schema → an object built from the schema like tool arguments.
//   max_tokens / max_completion_tokens cut the text to that many tokens (finish_reason "length").
// Tokens are counted as words and punctuation marks: crude, but stable.
//
// Embeddings (embed): a hashed bag of words (lower case, a trailing "s" dropped), signed,
// L2-normalised: texts sharing words are near, unrelated texts are near-orthogonal.
import { createHash } from 'node:crypto';

export const DEFAULT_EMBEDDING_DIMENSIONS = 1536;
const TOOL_CALLS_ASKED = /call (?:the|a|your)?\s*tools?\s+(\d{1,2})\s+times/i;

export function countTokens(text) {
	return String(text ?? '').match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu)?.length ?? 0;
}

export function textOf(content) {
	if (typeof content === 'string') return content;
	if (Array.isArray(content))
		return content
			.map((part) => (typeof part === 'string' ? part : part?.type === 'text' ? String(part.text ?? '') : ''))
			.join('');
	return content == null ? '' : JSON.stringify(content);
}

/** @returns {{ content: string|null, toolCalls?: object[], finishReason: string, promptTokens: number, completionTokens: number }} */
export function chatTurn(body, { idSeed }) {
	const messages = body.messages;
	const promptTokens = messages.reduce((sum, m) => sum + 4 + countTokens(textOf(m.content)), 0);
	const lastUserIndex = findLastIndex(messages, (m) => m.role === 'user');
	const lastUser = lastUserIndex >= 0 ? textOf(messages[lastUserIndex].content) : '';
	const since = messages.slice(lastUserIndex + 1);
	const toolResults = since.filter((m) => m.role === 'tool');
	const tools = Array.isArray(body.tools) ? body.tools.filter((t) => t?.type === 'function' && t.function?.name) : [];
	const asked = Number(TOOL_CALLS_ASKED.exec(lastUser)?.[1] ?? 1);

	if (tools.length > 0 && body.tool_choice !== 'none' && toolResults.length < asked) {
		const named = body.tool_choice?.function?.name;
		const mentioned = lastUser.toLowerCase();
		const tool =
			tools.find((t) => t.function.name === named) ??
			tools.find((t) => mentioned.includes(t.function.name.toLowerCase())) ??
			tools[0];
		const args = JSON.stringify(valueForSchema(tool.function.parameters, quotedOrWhole(lastUser)));
		const id = `call_${createHash('sha256').update(`${idSeed}:${toolResults.length}`).digest('hex').slice(0, 24)}`;
		return {
			content: null,
			toolCalls: [{ id, type: 'function', function: { name: tool.function.name, arguments: args } }],
			finishReason: 'tool_calls',
			promptTokens,
			completionTokens: countTokens(args) + 3,
		};
	}

	let text;
	if (toolResults.length > 0) {
		const last = toolResults[toolResults.length - 1];
		const name = toolName(since, last.tool_call_id) ?? 'tool';
		text = `After ${toolResults.length} tool call(s): Tool ${name} answered: ${textOf(last.content)}`;
	} else {
		text = `echo: ${lastUser}`;
	}
	const format = body.response_format?.type;
	if (format === 'json_object') text = JSON.stringify({ echo: text });
	else if (format === 'json_schema')
		text = JSON.stringify(valueForSchema(body.response_format.json_schema?.schema, text));

	const limit = body.max_completion_tokens ?? body.max_tokens;
	const words = text.match(/\s*(?:[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_])/gu) ?? [];
	if (Number.isInteger(limit) && limit > 0 && words.length > limit) {
		return { content: words.slice(0, limit).join(''), finishReason: 'length', promptTokens, completionTokens: limit };
	}
	return { content: text, finishReason: 'stop', promptTokens, completionTokens: countTokens(text) };
}

function findLastIndex(items, predicate) {
	for (let i = items.length - 1; i >= 0; i -= 1) if (predicate(items[i])) return i;
	return -1;
}

function quotedOrWhole(text) {
	return /"([^"]+)"/.exec(text)?.[1] ?? text;
}

function toolName(messages, toolCallId) {
	for (const m of messages)
		for (const call of m.tool_calls ?? []) if (call.id === toolCallId) return call.function?.name;
	return undefined;
}

/** A value matching a simple JSON schema; `text` fills strings. */
export function valueForSchema(schema, text, depth = 0) {
	if (!schema || typeof schema !== 'object' || depth > 4) return text;
	if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
	const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
	switch (type) {
		case 'object': {
			const properties = schema.properties ?? {};
			const out = {};
			for (const [name, child] of Object.entries(properties)) out[name] = valueForSchema(child, text, depth + 1);
			return out;
		}
		case 'array':
			return [];
		case 'number':
		case 'integer':
			return 1;
		case 'boolean':
			return true;
		case 'string':
			return text;
		default:
			return schema.properties ? valueForSchema({ ...schema, type: 'object' }, text, depth) : text;
	}
}

/** A deterministic unit vector of `dimensions` numbers for `text`. */
export function embed(text, dimensions = DEFAULT_EMBEDDING_DIMENSIONS) {
	const vector = new Float32Array(dimensions);
	const words =
		String(text)
			.toLowerCase()
			.match(/[\p{L}\p{N}]+/gu) ?? [];
	for (const raw of words) {
		const word = raw.length > 3 ? raw.replace(/s$/, '') : raw;
		const h = fnv1a(word);
		vector[h % dimensions] += h & 0x80000000 ? -1 : 1;
	}
	let norm = 0;
	for (const v of vector) norm += v * v;
	if (norm === 0) {
		vector[0] = 1;
		return vector;
	}
	norm = Math.sqrt(norm);
	for (let i = 0; i < dimensions; i += 1) vector[i] /= norm;
	return vector;
}

function fnv1a(text) {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i += 1) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193) >>> 0;
	}
	return h;
}
