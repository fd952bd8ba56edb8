// Small HTTP helpers shared by the rig's servers.

export async function readBodyBuffer(req) {
	const chunks = [];
	for await (const chunk of req) chunks.push(chunk);
	return Buffer.concat(chunks);
}

export async function readBody(req) {
	return (await readBodyBuffer(req)).toString('utf8');
}

export async function readJson(req) {
	const text = await readBody(req);
	return text ? JSON.parse(text) : {};
}

export function sendJson(res, { status = 200, body, headers = {} }) {
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'cache-control': 'no-store',
		...headers,
	});
	res.end(JSON.stringify(body));
}

// Streams a JSON answer of `bytes` bytes (a long string value), chunk by chunk with backpressure,
// so the rig itself never holds it. `record` learns how much the socket took (`bytesWritten`) and
// whether the answer went out whole (`completed`) or the client closed it first.
export function streamLargeJson(res, { bytes, status = 200 }, record = {}) {
	const head = Buffer.from('{"padding":"');
	const tail = Buffer.from('"}');
	const fill = Buffer.alloc(64 * 1024, 0x61);
	const total = Math.max(bytes, head.length + tail.length);
	Object.assign(record, { bytes: total, bytesWritten: 0, completed: false });
	res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
	let closed = false;
	res.on('close', () => (closed = true));
	const send = (chunk) => {
		record.bytesWritten += chunk.length;
		return res.write(chunk);
	};
	send(head);
	let left = total - head.length - tail.length;
	const pump = () => {
		while (left > 0 && !closed) {
			const n = Math.min(fill.length, left);
			left -= n;
			if (!send(n === fill.length ? fill : fill.subarray(0, n))) return void res.once('drain', pump);
		}
		if (closed) return;
		send(tail);
		res.end(() => (record.completed = true));
	};
	pump();
	return record;
}
