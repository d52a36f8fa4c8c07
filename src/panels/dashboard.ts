/**
 * The training dashboard: one panel, rebuilt from the run folders' metrics.jsonl whenever it opens (also after a
 * window reload, through the serializer) or the user refreshes it, then fed each record the engine's train/metrics
 * notification brings for a shown run (no polling), and the engine's progress.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import type { Ctx } from '../client/ctx.js';
import { runFolder } from '../client/config.js';
import * as p from '../engine/rpc/protocol.js';
import { registerPanelSerializer } from './outbox.js';
import { panelHtml, webviewOptions } from './html.js';
import { offerModel } from '../commands/selectModel.js';
import { DashboardState, FromDashboard, RunData, RunSummary, ToDashboard, parseDashboardState, parseFromDashboard } from './messages.js';
import { ShownRecords, listRuns, readRun } from './runs.js';

/**
 * Notifications come once a step (hundreds a second for a small model) and the panel redraws on each message: what
 * arrives within this many milliseconds of the first goes in one message.
 */
const BATCH_MS = 200;

/** Where the workspace keeps the folders opened with Open a run folder. */
const OPENED_KEY = 'xlm.dashboard.openedFolders';

function openedFolders(ctx: Ctx): string[] {
  const value = ctx.extension.workspaceState.get<unknown>(OPENED_KEY);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export class DashboardPanel {
  static readonly viewType = 'xlm.dashboard';
  static current: DashboardPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private selected: string[];
  /** What the webview has of each shown run, so a record already read from metrics.jsonl is not sent twice. */
  private shown = new ShownRecords([]);
  /** Notified records and the latest progress, not posted yet (see BATCH_MS). */
  private pending = new Map<string, p.MetricsRecord[]>();
  private pendingProgress: p.TrainProgressParams | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  /** Messages posted so far, newest last (the extension-host tests read them). */
  readonly posted: ToDashboard['type'][] = [];
  /** Messages the page sent so far, by type, newest last (the extension-host tests read them). */
  readonly received: FromDashboard['type'][] = [];
  /** The run list and the shown runs' data as last sent (the extension-host tests read them). */
  lastRuns: RunSummary[] = [];
  lastData: RunData[] = [];

  static createOrShow(ctx: Ctx, selectRunDir?: string): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      if (selectRunDir) DashboardPanel.current.select([path.basename(selectRunDir)]);
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'XLM Training', vscode.ViewColumn.Active, webviewOptions(ctx.extension.extensionUri));
    return new DashboardPanel(panel, ctx, { selected: selectRunDir ? [path.basename(selectRunDir)] : [] });
  }

  static revive(panel: vscode.WebviewPanel, ctx: Ctx, state: unknown): DashboardPanel {
    panel.webview.options = webviewOptions(ctx.extension.extensionUri);
    return new DashboardPanel(panel, ctx, parseDashboardState(state));
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
    state: DashboardState,
  ) {
    DashboardPanel.current = this;
    this.selected = state.selected;
    panel.webview.html = panelHtml(panel.webview, ctx.extension.extensionUri, {
      title: 'XLM Training',
      script: 'dashboard',
      withCss: ['dashboard.css'],
      body: '<main id="app" aria-live="polite"><p class="empty">Loading runs…</p></main>',
    });
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      ctx.notify(p.trainMetrics, ({ runId, record }) => {
        if (!this.shown.take(runId, record)) return;
        const records = this.pending.get(runId) ?? [];
        records.push(record);
        this.pending.set(runId, records);
        this.flushSoon();
      }),
      ctx.notify(p.trainProgress, (progress) => {
        this.pendingProgress = progress;
        this.flushSoon();
      }),
      ctx.notify(p.trainEnd, () => {
        this.flush();
        this.post({ type: 'progress', progress: null });
        this.sendAll(); // the run list's live marks and step counts
      }),
    );
  }

  /** The run folder, and the folders opened with Open a run folder (read where they are, kept for the workspace). */
  get runRoots(): string[] {
    return [runFolder(), ...openedFolders(this.ctx)];
  }

  /** Shows the runs of a folder opened from elsewhere beside the local ones, `dir` selected. */
  static async showFolder(ctx: Ctx, dir: string): Promise<DashboardPanel> {
    const opened = openedFolders(ctx);
    if (!opened.includes(dir) && path.dirname(dir) !== runFolder() && dir !== runFolder()) await ctx.extension.workspaceState.update(OPENED_KEY, [...opened, dir]);
    const panel = DashboardPanel.createOrShow(ctx);
    panel.select([...new Set([...panel.selected, panel.idOf(dir) ?? path.basename(dir)])]);
    return panel;
  }

  /** The id the run list gives the run in `dir` (a folder's name, with its parent's when two share it). */
  private idOf(dir: string): string | undefined {
    return listRuns(this.runRoots).find((r) => r.dir === dir)?.id;
  }

  /** Shows these runs (ids: their folder names), overlaid. */
  select(ids: string[]): void {
    this.selected = ids;
    this.sendAll();
  }

  /** A message from the page (the extension-host tests send one as the page would). */
  receive(raw: unknown): void {
    const m: FromDashboard | undefined = parseFromDashboard(raw);
    if (!m) {
      this.ctx.output.warn(`Dashboard sent a message the extension does not accept: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    this.received.push(m.type);
    switch (m.type) {
      case 'ready':
      case 'refresh':
        this.sendAll();
        break;
      case 'selectRuns':
        this.select(m.runIds);
        break;
      case 'stopRun':
        void vscode.commands.executeCommand('xlm.stopTraining', m.runId);
        break;
      case 'resumeRun':
      case 'useModel': {
        const dir = this.lastRuns.find((r) => r.id === m.runId)?.dir;
        if (!dir) break;
        if (m.type === 'resumeRun') void vscode.commands.executeCommand('xlm.resumeTraining', dir);
        else void offerModel(this.ctx, dir, `XLM Lab: the model of ${m.runId} fits these features`);
        break;
      }
      case 'openRunFolder':
        void vscode.commands.executeCommand('xlm.openRunFolder');
        break;
    }
  }

  private sendAll(): void {
    const runs = listRuns(this.runRoots, this.ctx.trainingRuns());
    this.lastRuns = runs;
    const dirs = new Map(runs.map((r) => [r.id, r.dir]));
    this.selected = this.selected.filter((id) => dirs.has(id));
    if (!this.selected.length && runs[0]) this.selected = [runs[0].id];
    this.post({ type: 'runs', runs, selected: this.selected });
    const data = this.selected.map((id) => readRun(dirs.get(id)!, id));
    this.lastData = data;
    this.shown = new ShownRecords(data);
    this.pending.clear(); // the trainer wrote them to metrics.jsonl before notifying: the read above has them
    this.post({ type: 'runData', runs: data });
  }

  private flushSoon(): void {
    this.flushTimer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [runId, records] of this.pending) this.post({ type: 'append', runId, records });
    this.pending.clear();
    if (this.pendingProgress) this.post({ type: 'progress', progress: this.pendingProgress });
    this.pendingProgress = undefined;
  }

  private post(message: ToDashboard): void {
    this.posted.push(message.type);
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    clearTimeout(this.flushTimer);
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}

export function registerDashboardSerializer(ctx: Ctx): vscode.Disposable {
  return registerPanelSerializer(DashboardPanel.viewType, (panel, state) => DashboardPanel.revive(panel, ctx, state));
}
