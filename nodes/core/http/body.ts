import { InvalidInputError } from '../errors';
import { jsonErrorPosition, lineAndColumn } from './jsonErrorPosition';

export interface NameValue {
	name: string;
	value: string;
}

export type MultipartPart =
	| { name: string; value: string }
	| { name: string; data: Buffer; fileName?: string; mimeType?: string };

/** What the user asked to send. Binary data is already read (from the item's binary property). */
export type RequestBodySpec =
	| { type: 'none' }
	| { type: 'json'; value: unknown }
	| { type: 'form'; fields: NameValue[] }
	| { type: 'multipart'; parts: MultipartPart[] }
	| { type: 'text'; text: string; contentType?: string }
	| { type: 'binary'; data: Buffer; contentType?: string };

export interface BuiltBody {
	/** Re-sendable as is (retries, redirects): a string, bytes, URLSearchParams or FormData. */
	body?: string | Uint8Array | URLSearchParams | FormData;
	/** Content-Type to send unless the user set one; undefined for multipart (fetch adds the boundary). */
	contentType?: string;
	/** Multipart: fetch must choose the Content-Type (with its boundary); a user header would break it. */
	contentTypeFixed: boolean;
}

/** Builds the fetch body for a request. `field` names the node parameter in errors. */
export function buildBody(spec: RequestBodySpec, field = 'Body'): BuiltBody {
	switch (spec.type) {
		case 'none':
			return { contentTypeFixed: false };
		case 'json':
			return { body: jsonText(spec.value, field), contentType: 'application/json', contentTypeFixed: false };
		case 'form': {
			const params = new URLSearchParams();
			for (const { name, value } of spec.fields) {
				if (!name) throw new InvalidInputError('A form field has no name.', 'Give every form field a name.', field);
				params.append(name, value);
			}
			return { body: params, contentType: 'application/x-www-form-urlencoded', contentTypeFixed: false };
		}
		case 'multipart': {
			const form = new FormData();
			for (const part of spec.parts) {
				if (!part.name) throw new InvalidInputError('A multipart part has no name.', 'Give every part a name.', field);
				if ('data' in part) {
					const blob = new Blob([new Uint8Array(part.data)], { type: part.mimeType || 'application/octet-stream' });
					form.append(part.name, blob, part.fileName || part.name);
				} else {
					form.append(part.name, part.value);
				}
			}
			return { body: form, contentTypeFixed: true };
		}
		case 'text':
			return { body: spec.text, contentType: spec.contentType || 'text/plain; charset=utf-8', contentTypeFixed: false };
		case 'binary':
			return { body: spec.data, contentType: spec.contentType || 'application/octet-stream', contentTypeFixed: false };
	}
}

/** JSON text of a body typed as text (validated) or given as a value (an expression's object). */
function jsonText(value: unknown, field: string): string {
	if (typeof value !== 'string') {
		if (value === undefined) return 'null';
		return JSON.stringify(value);
	}
	const text = value.trim();
	if (text === '') {
		throw new InvalidInputError(
			'The JSON body is empty.',
			'Enter a JSON value, e.g. {"displayName": "New group"}, or choose no body.',
			field,
		);
	}
	try {
		JSON.parse(text);
	} catch {
		// Where, not what: V8's message quotes the body, which may hold secrets from expressions.
		const position = jsonErrorPosition(text) ?? 0;
		const { line, column } = lineAndColumn(text, position);
		throw new InvalidInputError(
			`The JSON body is not valid JSON: parsing failed at position ${position} (line ${line}, column ${column}).`,
			'Fix the JSON, e.g. {"displayName": "New group"} (double quotes, no trailing commas).',
			field,
		);
	}
	return text;
}
