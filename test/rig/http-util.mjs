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
