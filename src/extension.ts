/**
 * Activation and the command table. Activation starts no engine: the engine process is forked by the first
 * request (src/client/ctx.ts), so a window that never uses XLM Lab pays nothing for it.
 */
import * as vscode from 'vscode';
import { Ctx } from './client/ctx.js';
import type { Health } from './client/health.js';
import type { EngineProcessState } from './client/engineProcess.js';
import { registerEngineCommands } from './commands/engine.js';

/** What the extension exports: the engine's state for tests and for other extensions. */
export interface XlmLabApi {
  engineState(): { state: EngineProcessState; pid: number | undefined; health: Health };
  /** Protocol methods sent so far, oldest first. */
  requestLog(): readonly string[];
}

export function activate(context: vscode.ExtensionContext): XlmLabApi {
  const ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  registerEngineCommands(ctx);
  return {
    engineState: () => ({ state: ctx.engine.state, pid: ctx.engine.pid, health: ctx.health }),
    requestLog: () => [...ctx.requestLog],
  };
}

export function deactivate(): void {
  // ctx is in context.subscriptions: VS Code disposes it, which stops the engine.
}
