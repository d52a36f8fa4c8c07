/**
 * The NLI panel: a premise and a hypothesis with entailment / neutral / contradiction bars, and a zero-shot
 * section that ranks free-form labels for a text with the same NLI model.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';
import { panelHtml, webviewOptions } from './html.js';
import { registerPanelSerializer, WebviewOutbox } from './outbox.js';
import { ToNliPanel, parseFromNliPanel } from './messages.js';

export class NliPanel {
  static readonly viewType = 'xlm.nliPanel';
  static current: NliPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly outbox: WebviewOutbox<ToNliPanel>;

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
    this.outbox = new WebviewOutbox<ToNliPanel>(panel);
    this.disposables.push(
      this.outbox,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
    );
  }

  /** Whether an NLI model is there to check with; when not, the panel says why and offers the picker. */
  async hasModel(): Promise<boolean> {
    try {
      await this.ctx.ensureModel('nli');
      return true;
    } catch (e) {
      this.post(failure(e));
      return false;
    }
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
      this.post(failure(e));
      return undefined;
    }
  }

  private async zeroShot(text: string, labels: string[]): Promise<void> {
    try {
      const { dir: model } = await this.ctx.ensureModel('nli');
      this.post({ type: 'zeroShot', text, labels: await this.ctx.request(p.zeroShot, { text, labels, model }) });
    } catch (e) {
      this.post(failure(e));
    }
  }

  private receive(raw: unknown): void {
    const m = parseFromNliPanel(raw);
    if (!m) return this.ctx.output.warn(`NLI panel sent a message the extension does not accept: ${JSON.stringify(raw)?.slice(0, 200)}`);
    if (m.type === 'ready') this.outbox.ready();
    if (m.type === 'checkEntailment') void this.check(m.premise, m.hypothesis);
    if (m.type === 'zeroShot') void this.zeroShot(m.text, m.labels);
    if (m.type === 'selectModel') void vscode.commands.executeCommand('xlm.selectModel', undefined, 'nli');
  }

  private post(message: ToNliPanel): void {
    this.outbox.post(message);
  }

  /** Messages that reached a loaded page, oldest first (for tests, through the extension's API). */
  get delivered(): readonly ToNliPanel[] {
    return this.outbox.delivered;
  }

  dispose(): void {
    NliPanel.current = undefined;
    this.ctx.clearProblem('nli');
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}

/** A failed request in words; with no NLI model, the panel offers the picker for that feature. */
function failure(e: unknown): ToNliPanel {
  const text = e instanceof Error ? e.message : String(e);
  return e instanceof Error && e.name === 'NoModelError' ? { type: 'message', text, selectModel: true } : { type: 'message', text };
}

export function registerNliPanelSerializer(ctx: Ctx): vscode.Disposable {
  return registerPanelSerializer(NliPanel.viewType, (panel) => NliPanel.revive(panel, ctx));
}
