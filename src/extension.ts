/**
 * Activation and the command table. Activation starts no engine: the engine process is forked by the first
 * request (src/client/ctx.ts), so a window that never uses XLM Lab pays nothing for it.
 */
import * as vscode from 'vscode';
import { Ctx } from './client/ctx.js';
import type { Health } from './client/health.js';
import type { EngineProcessState } from './client/engineProcess.js';
import { registerClassify } from './commands/classify.js';
import { registerAskQuestion } from './commands/askQuestion.js';
import { registerListEntities } from './commands/listEntities.js';
import { registerSampleData } from './commands/sampleData.js';
import { registerEngineCommands } from './commands/engine.js';
import { registerEntailment } from './commands/entailment.js';
import { registerAuditLabels } from './commands/auditLabels.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerClusterJob } from './commands/clusterJob.js';
import { registerOpenRunFolder } from './commands/openRunFolder.js';
import { registerFillMask } from './commands/fillMask.js';
import { registerFineTune } from './commands/fineTune.js';
import { registerSelectModel } from './commands/selectModel.js';
import { hubToken, registerHubTokenCommands } from './client/hubToken.js';
import { registerTraining } from './commands/training.js';
import { registerTranslate } from './commands/translate.js';
import { AuditDiagnostics } from './features/auditDiagnostics.js';
import { SentenceHover } from './features/hover.js';
import { EntityHighlighter } from './features/entities.js';
import { MaskFill, registerRemoveMaskCommand } from './features/inlineFill.js';
import { DashboardPanel, registerDashboardSerializer } from './panels/dashboard.js';
import { MaskPanel, registerMaskPanelSerializer } from './panels/maskPanel.js';
import { NliPanel, registerNliPanelSerializer } from './panels/nliPanel.js';
import { AnswersPanel, registerAnswersPanelSerializer } from './panels/answersPanel.js';
import type { RunData, RunSummary, ToAnswersPanel, ToNliPanel } from './panels/messages.js';

/** What the extension exports: the engine's state and panel internals, for tests and for other extensions. */
export interface XlmLabApi {
  engineState(): { state: EngineProcessState; pid: number | undefined; health: Health };
  /** Protocol methods sent so far, oldest first. */
  requestLog(): readonly string[];
  /** How many requests were sent since activation: `requestLog().slice(-(requestCount() - before))` are those since `before`. */
  requestCount(): number;
  /** Message types the open dashboard was sent, oldest first; undefined when no dashboard is open. */
  dashboardMessages(): readonly string[] | undefined;
  /**
   * The run list and the shown runs' records the open dashboard was last sent, the types of the messages its page
   * sent, and `send`, which handles a message as if the page had sent it (its 'ready'); undefined when none is open.
   */
  dashboardView(): { runs: readonly RunSummary[]; shown: readonly RunData[]; received: readonly string[]; send(message: unknown): void } | undefined;
  maskPanelOpen(): boolean;
  /** Messages the open NLI panel's page received, oldest first; undefined when no NLI panel is open. */
  nliPanelMessages(): readonly ToNliPanel[] | undefined;
  /**
   * The open answers panel (Ask a question about this file): the messages its page received, the rows it drew, and
   * `send`, which handles a message as if the page had sent it (a click on a row); undefined when none is open.
   */
  answersPanel(): { messages: readonly ToAnswersPanel[]; rows: readonly string[]; send(message: unknown): Promise<void> } | undefined;
  /** The context keys the extension set for `when` clauses (xlm.training, xlm.engineRunning), as last set. */
  contextKeys(): Record<string, boolean>;
  /** Which model serves which feature (by name) and where that came from, as the status item shows it. */
  slotModels(): Promise<Record<string, { name: string; source: string }>>;
  /** The notices shown when training runs finished: the message and the buttons offered ("Use for …"), oldest first. */
  finishNotices(): readonly { runId: string; message: string; actions: string[] }[];
  /** Why features could not run, as the status item's Why action says it. */
  problems(): string[];
  /** The entity highlights last applied to a document (type, palette colour, ranges as [line, character, line, character]). */
  entityHighlights(uri: string): { type: string; colour: number; ranges: [number, number, number, number][] }[] | undefined;
  /** Whether a Hugging Face token is in SecretStorage (never the token itself: other extensions see this API). */
  hubTokenSaved(): Promise<boolean>;
}

export function activate(context: vscode.ExtensionContext): XlmLabApi {
  const ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  for (const register of [registerEngineCommands, registerSelectModel, registerFillMask, registerClassify, registerAskQuestion, registerEntailment, registerTranslate, registerFineTune, registerTraining, registerEvaluate, registerClusterJob, registerSampleData, registerOpenRunFolder]) {
    register(ctx);
  }
  registerHubTokenCommands(context);
  openWalkthroughOnFirstInstall(context);
  const audit = new AuditDiagnostics(context.workspaceState);
  registerAuditLabels(ctx, audit);
  const fill = new MaskFill(ctx);
  const entities = new EntityHighlighter(ctx);
  const hover = new SentenceHover(ctx);
  registerListEntities(ctx, entities);
  context.subscriptions.push(
    audit,
    entities,
    hover,
    registerDashboardSerializer(ctx),
    registerMaskPanelSerializer(ctx),
    registerNliPanelSerializer(ctx),
    registerAnswersPanelSerializer(ctx),
    registerRemoveMaskCommand(),
    vscode.languages.registerHoverProvider([{ scheme: 'file' }, { scheme: 'untitled' }], hover),
    vscode.languages.registerHoverProvider([{ scheme: 'file' }, { scheme: 'untitled' }], entities),
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, fill),
    vscode.languages.registerCompletionItemProvider({ pattern: '**' }, fill, '>'),
  );
  return {
    engineState: () => ({ state: ctx.engine.state, pid: ctx.engine.pid, health: ctx.health }),
    requestLog: () => [...ctx.requestLog],
    requestCount: () => ctx.requestCount,
    finishNotices: () => [...ctx.finishNotices],
    dashboardMessages: () => DashboardPanel.current?.posted.slice(),
    dashboardView: () => {
      const panel = DashboardPanel.current;
      return panel && { runs: panel.lastRuns, shown: panel.lastData, received: panel.received.slice(), send: (message) => panel.receive(message) };
    },
    maskPanelOpen: () => Boolean(MaskPanel.current),
    nliPanelMessages: () => NliPanel.current?.delivered.slice(),
    answersPanel: () => {
      const panel = AnswersPanel.current;
      return panel && { messages: panel.delivered.slice(), rows: panel.shownRows.slice(), send: (message) => panel.receive(message) };
    },
    contextKeys: () => Object.fromEntries(ctx.contextKeys),
    slotModels: async () => {
      await ctx.refreshSlots();
      return Object.fromEntries([...ctx.slotModels].map(([id, m]) => [id, { name: m.name, source: m.source }]));
    },
    problems: () => [...ctx.problems.values()],
    entityHighlights: (uri) =>
      entities.applied.get(uri)?.map((t) => ({ type: t.type, colour: t.colour, ranges: t.ranges.map((r): [number, number, number, number] => [r.start.line, r.start.character, r.end.line, r.end.character]) })),
    hubTokenSaved: async () => (await hubToken(context.secrets)) !== undefined,
  };
}

/** The walkthrough opens once, on the first activation after install (its state is kept in globalState). */
function openWalkthroughOnFirstInstall(context: vscode.ExtensionContext): void {
  const key = 'xlm.walkthroughOpened';
  if (context.globalState.get<boolean>(key)) return;
  void context.globalState.update(key, true);
  void vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#xlm.gettingStarted`, false);
}

export function deactivate(): void {
  // ctx is in context.subscriptions: VS Code disposes it, which stops the engine.
}
