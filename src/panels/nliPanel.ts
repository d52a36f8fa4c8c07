/**
 * The NLI panel: a premise and a hypothesis with entailment / neutral / contradiction bars, and a zero-shot
 * section that ranks free-form labels for a text with the same NLI model.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';
import { panelHtml, webviewOptions } from './html.js';
import { ToNliPanel, parseFromNliPanel } from './messages.js';

export class NliPanel {
  static readonly viewType = 'xlm.nliPanel';
  static current: NliPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /**
   * Messages wait here until the page says it is ready: a page that is loading, or unloaded while its tab is
   * hidden, would drop them (an error from opening the panel with no usable model was lost that way).
   */
  private queue: ToNliPanel[] = [];
  private ready = false;
  /** Messages that reached a loaded page, oldest first (for tests, through the extension's API). */
  readonly delivered: ToNliPanel[] = [];

  static createOrShow(ctx: Ctx): NliPanel {
    if (NliPanel.current) NliPanel.current.panel.reveal(vscode.ViewColumn.Beside, true);
    else {
      const panel = vscode.window.createWebviewPanel(NliPanel.viewType, 'Entailment', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(ctx.extension.extensionUri));
      NliPanel.current = new NliPanel(panel, ctx);
    }
    return NliPanel.current;
  }

  /** After a window reload: the page restores its inputs and results from its webview state. */
  static revive(panel: vscode.WebviewPanel, ctx: Ctx): NliPanel {
    panel.webview.options = webviewOptions(ctx.extension.extensionUri);
    NliPanel.current = new NliPanel(panel, ctx);
    return NliPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
  ) {
    panel.webview.html = panelHtml(panel.webview, ctx.extension.extensionUri, {
      title: 'Entailment',
      script: 'nli',
      withCss: ['nli.css'],
      body: '<main id="app"></main>',
    });
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      // A hidden tab's page is unloaded; it says 'ready' again when shown, restoring its inputs from its state.
      panel.onDidChangeViewState(({ webviewPanel }) => {
        if (!webviewPanel.visible) this.ready = false;
      }),
    );
  }

  /** Fills the inputs and runs the check; resolves with the scores (undefined when it failed and said why). */
  async check(premise: string, hypothesis: string): Promise<p.NliResult | undefined> {
    this.post({ type: 'inputs', premise, hypothesis });
    try {
      const { dir: model } = await this.ctx.ensureModel('nli');
      const scores = await this.ctx.request(p.nli, { premise, hypothesis, model });
      this.post({ type: 'nli', premise, hypothesis, scores });
      return scores;
    } catch (e) {
      this.post({ type: 'message', text: e instanceof Error ? e.message : String(e) });
      return undefined;
    }
  }

  private async zeroShot(text: string, labels: string[]): Promise<void> {
    try {
      const { dir: model } = await this.ctx.ensureModel('nli');
      this.post({ type: 'zeroShot', text, labels: await this.ctx.request(p.zeroShot, { text, labels, model }) });
    } catch (e) {
      this.post({ type: 'message', text: e instanceof Error ? e.message : String(e) });
    }
  }

  private receive(raw: unknown): void {
    const m = parseFromNliPanel(raw);
    if (!m) return this.ctx.output.warn(`NLI panel sent a message the extension does not accept: ${JSON.stringify(raw)?.slice(0, 200)}`);
    if (m.type === 'ready') {
      this.ready = true;
      const waiting = this.queue;
      this.queue = [];
      for (const message of waiting) this.post(message);
    }
    if (m.type === 'checkEntailment') void this.check(m.premise, m.hypothesis);
    if (m.type === 'zeroShot') void this.zeroShot(m.text, m.labels);
  }

  private post(message: ToNliPanel): void {
    if (!this.ready) {
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(message).then((sent) => {
      if (sent) this.delivered.push(message);
      else this.queue.push(message);
    });
  }

  dispose(): void {
    NliPanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}

export function registerNliPanelSerializer(ctx: Ctx): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(NliPanel.viewType, {
    deserializeWebviewPanel: async (panel) => {
      NliPanel.revive(panel, ctx);
    },
  });
}
