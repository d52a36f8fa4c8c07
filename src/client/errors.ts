/**
 * How a failed request reaches the user: one message that says what went wrong and a button for the fix
 * (open the file at the line, select a model, restart the engine, show the log). Cancellations stay silent.
 */
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-jsonrpc';
import { EngineUnavailableError } from './engineProcess.js';
import { EngineErrorCodes, EngineErrorData } from '../engine/rpc/protocol.js';

/** Shows `e` as the failure of `what`; `output` is the XLM Lab log it is written to. */
export async function showEngineError(output: vscode.LogOutputChannel, what: string, e: unknown): Promise<void> {
  if (e instanceof vscode.CancellationError) return;
  if (e instanceof ResponseError && e.code === EngineErrorCodes.requestCancelled) return;
  if (e instanceof Error && e.name === 'NoModelError') {
    // The model choice for the feature that failed (NoModelError and UnfitModelError carry it). Where the message
    // already names the command ("No model for Ask a question about this file: ..."), its title is not said twice.
    const said = e.message.toLowerCase().includes(what.toLowerCase()) ? e.message : `${what}: ${e.message}`;
    const pick = await vscode.window.showWarningMessage(`XLM Lab: ${said}`, 'Select model');
    if (pick) await vscode.commands.executeCommand('xlm.selectModel', undefined, (e as { slotId?: string }).slotId);
    return;
  }
  if (e instanceof EngineUnavailableError) {
    output.error(`${what}: ${e.message}`);
    const pick = await vscode.window.showErrorMessage(`XLM Lab: ${what}: ${e.message}`, 'Restart engine', 'Show log');
    if (pick === 'Restart engine') await vscode.commands.executeCommand('xlm.restartEngine');
    if (pick === 'Show log') output.show();
    return;
  }
  if (e instanceof ResponseError) {
    const data = e.data as EngineErrorData | undefined;
    output.warn(`${what}: ${e.message}`);
    const actions = data?.file ? ['Open file', 'Show log'] : ['Show log'];
    const pick = await (e.code === EngineErrorCodes.userError ? vscode.window.showWarningMessage : vscode.window.showErrorMessage)(`XLM Lab: ${what}: ${e.message}`, ...actions);
    if (pick === 'Open file' && data?.file) await openAt(data.file, data.line, data.column);
    if (pick === 'Show log') output.show();
    return;
  }
  const message = e instanceof Error ? e.message : String(e);
  output.error(`${what}: ${e instanceof Error ? (e.stack ?? message) : message}`);
  const pick = await vscode.window.showErrorMessage(`XLM Lab: ${what}: ${message}`, 'Show log');
  if (pick) output.show();
}

async function openAt(file: string, line?: number, column?: number): Promise<void> {
  const position = new vscode.Position(Math.max(0, (line ?? 1) - 1), Math.max(0, (column ?? 1) - 1));
  await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(position, position) });
}
