import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { describeError, InvalidInputError } from '../core/errors';
import { escapeForLog } from '../core/logging';
import type { SignInControls, SignInMode, SignInPrompt } from '../core/signIn';
import { locatorValue } from './parameterValues';
import { outsideAcquisition } from './credentialStore';
import { quote } from '../core/quote';

/**
 * What a node does to get a person's sign-in prompt to that person, for every delegated
 * credential: the n8n log, the editor (sendMessageToUI: the browser console of whoever runs the
 * workflow by hand), and an optional "sign-in prompt workflow" run with the prompt as its input
 * item (e.g. to mail or post it). The prompt carries the URL and the user code only; never the
 * device code, tokens or cache.
 */

export interface SignInNodeOptions {
	/** 'credential' (or empty): the credential's setting. */
	signInMode?: 'credential' | SignInMode;
	/** ID of a workflow (starting with an Execute Workflow Trigger) that receives the prompt. */
	signInPromptWorkflowId?: string;
}

/** A node's handling of sign-ins: its options and the controls sent with its token requests. */
export interface NodeSignIn {
	options: SignInNodeOptions;
	/** Absent for app tokens: nobody signs in. */
	controls?: SignInControls;
}

/** The node's Sign-In Options (from the first item) and the controls they give. */
export function nodeSignIn(context: IExecuteFunctions, delegated: boolean): NodeSignIn {
	if (!delegated) return { options: {} };
	hintWhenNobodyWouldHear(context);
	const options = readSignInOptions(context, context.getNodeParameter('signInOptions', 0, {}) as IDataObject);
	return { options, controls: signInControlsFor(context, options) };
}

/** The prompt as the item a prompt workflow (or a "continue on fail" branch) receives. */
export function promptItem(prompt: SignInPrompt, context: IExecuteFunctions): IDataObject {
	return {
		message: prompt.message,
		verificationUri: prompt.verificationUri,
		userCode: prompt.userCode,
		expiresOn: prompt.expiresOn,
		expiresInSeconds: prompt.expiresInSeconds,
		...(prompt.account ? { account: prompt.account } : {}),
		reason: prompt.reason,
		isNewCode: prompt.isNewCode,
		waiting: prompt.mode === 'wait',
		workflow: { id: context.getWorkflow().id ?? null, name: context.getWorkflow().name ?? null },
		node: context.getNode().name,
	};
}

/**
 * Runs the prompt workflow. In wait mode it is not awaited (the node keeps polling meanwhile);
 * when the node is about to stop, it is awaited, because a one-shot process (`n8n execute`)
 * may exit as soon as the node fails.
 */
async function runPromptWorkflow(
	context: IExecuteFunctions,
	workflowId: string,
	prompt: SignInPrompt,
	wait: boolean,
): Promise<void> {
	const items: INodeExecutionData[] = [{ json: promptItem(prompt, context) }];
	// Started outside the node's pending acquisition: the prompt workflow's own nodes must not see it.
	const run = outsideAcquisition(() =>
		context.executeWorkflow({ id: workflowId }, items, undefined, {
			doNotWaitToFinish: !wait,
			parentExecution: { executionId: context.getExecutionId(), workflowId: String(context.getWorkflow().id ?? '') },
		}),
	);
	if (wait) await run;
	else
		void run.catch((error: unknown) =>
			context.logger.warn(escapeForLog(`The sign-in prompt workflow ${workflowId} failed: ${describeError(error)}`)),
		);
}

/** The node's sign-in options (read from the first item). */
function readSignInOptions(context: IExecuteFunctions, options: IDataObject): SignInNodeOptions {
	const mode = String(options.signInMode ?? 'credential');
	if (!['credential', 'stop', 'wait'].includes(mode)) {
		throw new InvalidInputError(
			`When Sign-In Is Needed ${quote(mode)} is not known.`,
			'Choose Credential Setting, Stop and Show the Code, or Wait for Sign-In.',
			'When Sign-In Is Needed',
		);
	}
	const workflowId = locatorValue(options.signInPromptWorkflowId);
	if (workflowId && workflowId === String(context.getWorkflow().id ?? '')) {
		throw new InvalidInputError(
			'The sign-in prompt workflow is this workflow.',
			'Enter the ID of another workflow, one that starts with an Execute Workflow Trigger.',
			'Sign-In Prompt Workflow ID',
		);
	}
	return { signInMode: mode as SignInNodeOptions['signInMode'], signInPromptWorkflowId: workflowId || undefined };
}

/**
 * The sign-in controls for a delegated token request: the node's mode, the execution's cancel
 * signal, and the prompt delivery for a wait (a stop is reported by the node after the error).
 */
function signInControlsFor(context: IExecuteFunctions, options: SignInNodeOptions): SignInControls {
	return {
		mode: options.signInMode === 'stop' || options.signInMode === 'wait' ? options.signInMode : undefined,
		signal: context.getExecutionCancelSignal(),
		onPrompt: async (prompt) => {
			deliverToEditor(context, prompt);
			if (options.signInPromptWorkflowId && prompt.isNewCode)
				await runPromptWorkflow(context, options.signInPromptWorkflowId, prompt, false);
		},
	};
}

/** Shows the prompt in the n8n log and the editor's browser console. */
function deliverToEditor(context: IExecuteFunctions, prompt: SignInPrompt): void {
	context.logger.warn(escapeForLog(`[${context.getNode().name}] ${prompt.message}`));
	try {
		context.sendMessageToUI(prompt.message);
	} catch {
		// Not available outside the editor (CLI, queue workers).
	}
}

/** After a stop with a new code: run the prompt workflow (awaited) so the prompt leaves before the node fails. */
export async function reportStoppedSignIn(
	context: IExecuteFunctions,
	options: SignInNodeOptions,
	prompt: SignInPrompt,
): Promise<void> {
	deliverToEditor(context, prompt);
	if (!options.signInPromptWorkflowId || !prompt.isNewCode) return;
	try {
		await runPromptWorkflow(context, options.signInPromptWorkflowId, prompt, true);
	} catch (error) {
		context.logger.warn(
			escapeForLog(`The sign-in prompt workflow ${options.signInPromptWorkflowId} failed: ${describeError(error)}`),
		);
	}
}

/**
 * A person's sign-in can lapse (refresh token revoked, 90 days unused); a workflow run on a
 * schedule then fails with the sign-in prompt, and without an error workflow nobody sees it.
 * Said when the person runs it in the editor, where they can still set one.
 */
function hintWhenNobodyWouldHear(context: IExecuteFunctions): void {
	const errorWorkflow = context.getWorkflowSettings().errorWorkflow;
	if (context.getMode() !== 'manual' || (errorWorkflow && errorWorkflow !== 'DEFAULT')) return;
	context.addExecutionHints({
		type: 'warning',
		location: 'outputPane',
		message:
			'This node acts for a signed-in person. When the workflow runs unattended and that sign-in needs renewing, the node fails with the sign-in prompt: set an error workflow (Workflow Settings → Error Workflow) so the prompt reaches someone.',
	});
}
