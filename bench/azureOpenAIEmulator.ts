/**
 * What one request to the rig's Azure OpenAI emulator costs, so a benchmark of the chat model
 * nodes can tell the emulator is not its bottleneck: ms per chat completion (API key, Entra
 * bearer, streamed) and per embeddings call, sequential (plain fetch over keep-alive HTTPS).
 * Exported for bench/main.ts; alone: `npx tsx bench/azureOpenAIEmulator.ts` (starts its own rig,
 * no n8n).
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { startRig, type Rig } from '../test/rig/rig';
import { check, fmt, interleavedMicroseconds } from './measure';

export const EMULATOR_CALLS = 200;

export interface AzureOpenAIEmulatorResult {
	keyChatMs: number;
	bearerChatMs: number;
	streamedChatMs: number;
	embeddingsMs: number;
	/** Requests the emulator answered with something else than 200 during the loops. */
	failures: number;
}

export async function benchAzureOpenAIEmulator(rig: Rig): Promise<AzureOpenAIEmulatorResult> {
	const { endpoint, apiVersion, deployments, apiKey, scope } = rig.azureOpenAI;
	const app = new ConfidentialClientApplication({
		auth: {
			authority: rig.authority,
			knownAuthorities: [rig.knownAuthority],
			clientId: rig.clients.secret.clientId,
			clientSecret: rig.clients.secret.clientSecret,
		},
	});
	const token = (await app.acquireTokenByClientCredential({ scopes: [scope] }))!.accessToken;
	const url = (deployment: string, route: string) =>
		`${endpoint}/openai/deployments/${deployment}/${route}?api-version=${apiVersion}`;
	const chatUrl = url(deployments.chat, 'chat/completions');
	const embeddingsUrl = url(deployments.embeddings, 'embeddings');
	const messages = [
		{ role: 'system', content: 'You are a helpful assistant.' },
		{ role: 'user', content: 'Summarise the quarterly report in one sentence.' },
	];
	let failures = 0;
	const call = async (target: string, auth: Record<string, string>, body: unknown) => {
		const response = await fetch(target, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...auth },
			body: JSON.stringify(body),
		});
		await response.arrayBuffer();
		if (response.status !== 200) failures++;
	};
	await rig.resetAzureOpenAI();
	const [keyChatUs, bearerChatUs, streamedChatUs, embeddingsUs] = await interleavedMicroseconds(
		[
			() => call(chatUrl, { 'api-key': apiKey }, { messages }),
			() => call(chatUrl, { authorization: `Bearer ${token}` }, { messages }),
			() =>
				call(
					chatUrl,
					{ authorization: `Bearer ${token}` },
					{ messages, stream: true, stream_options: { include_usage: true } },
				),
			() => call(embeddingsUrl, { authorization: `Bearer ${token}` }, { input: messages[1].content }),
		],
		EMULATOR_CALLS,
		5,
		50,
	);
	return {
		keyChatMs: keyChatUs / 1000,
		bearerChatMs: bearerChatUs / 1000,
		streamedChatMs: streamedChatUs / 1000,
		embeddingsMs: embeddingsUs / 1000,
		failures,
	};
}

if (require.main === module) {
	void (async () => {
		const rig = await startRig({ reuse: false });
		try {
			const result = await benchAzureOpenAIEmulator(rig);
			check(result.failures === 0, `${result.failures} emulator requests failed`);
			console.log(`Azure OpenAI emulator, ${EMULATOR_CALLS} sequential requests × 5 rounds (median):`);
			console.log(`    chat, API key:       ${fmt(result.keyChatMs, 3)} ms/request`);
			console.log(`    chat, Entra bearer:  ${fmt(result.bearerChatMs, 3)} ms/request`);
			console.log(`    chat, streamed:      ${fmt(result.streamedChatMs, 3)} ms/request`);
			console.log(`    embeddings (1536):   ${fmt(result.embeddingsMs, 3)} ms/request`);
		} finally {
			await rig.stop();
		}
	})().catch((error: unknown) => {
		console.error(error);
		process.exitCode = 1;
	});
}
