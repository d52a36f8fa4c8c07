/**
 * The masked-word panel: for the sentence at the cursor, the top-k candidates of every `<mask>` with probability
 * bars; clicking one writes it into the editor in place of that mask.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { setting } from '../client/config.js';
import { affectsSlots } from '../client/slots.js';
import * as p from '../engine/rpc/protocol.js';
import { sentenceAt } from '../features/sentence.js';
import { panelHtml, webviewOptions } from './html.js';
import { registerPanelSerializer } from './outbox.js';
import { ToMaskPanel, parseFromMaskPanel } from './messages.js';

const MASK = p.MASK_TOKEN;

export class MaskPanel {
  static readonly viewType = 'xlm.maskPanel';
  static current: MaskPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private target: { uri: vscode.Uri; range: vscode.Range; text: string } | undefined;
  private cancel: vscode.CancellationTokenSource | undefined;
  private debounce: NodeJS.Timeout | undefined;
  /** The panel says the default model is being prepared, and asks again when it is ready. */
  private preparing = false;
  /** The last result shown (the extension-host tests read it). */
  lastResult: p.FillMaskResult | undefined;

  static createOrShow(ctx: Ctx): MaskPanel {
    if (MaskPanel.current) {
      MaskPanel.current.panel.reveal(vscode.ViewColumn.Beside, true);
    } else {
      const panel = vscode.window.createWebviewPanel(MaskPanel.viewType, 'Masked words', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(ctx.extension.extensionUri));
      MaskPanel.current = new MaskPanel(panel, ctx);
    }
    return MaskPanel.current;
  }

  /** After a window reload: the panel comes back empty and fills itself from the editor (or its inputs). */
  static revive(panel: vscode.WebviewPanel, ctx: Ctx): MaskPanel {
    panel.webview.options = webviewOptions(ctx.extension.extensionUri);
    MaskPanel.current = new MaskPanel(panel, ctx);
    return MaskPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
  ) {
    panel.webview.html = panelHtml(panel.webview, ctx.extension.extensionUri, {
      title: 'Masked words',
      script: 'mask',
      withCss: ['mask.css'],
      body: '<main id="app" aria-live="polite"><p class="empty">Put the cursor in a sentence with &lt;mask&gt;.</p></main>',
    });
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      // Debounced: an edit made of several steps (ghost text accepted, then its <mask> removed) settles first.
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.uri.scheme === 'output') return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.update(e.textEditor), 300);
      }),
      { dispose: () => clearTimeout(this.debounce) },
      // While the default model is prepared the panel shows how far it is; when it is ready (or the fill-mask
      // model changes) the panel asks again.
      ctx.onDefaultBuild((build) => {
        if (!this.preparing) return;
        if (build) return this.post(preparingMessage(build));
        this.preparing = false;
        void this.update();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSlots(e)) {
          this.target = undefined;
          void this.update();
        }
      }),
    );
  }

  /** Predicts the masks of the sentence at the editor's cursor (debounced by the caller's events). */
  async update(editor: vscode.TextEditor | undefined = vscode.window.activeTextEditor): Promise<p.FillMaskResult | undefined> {
    if (!editor) return undefined;
    const sentence = sentenceAt(editor.document, editor.selection.active);
    if (!sentence || !sentence.text.includes(MASK)) {
      if (this.target) this.post({ type: 'message', text: 'Put the cursor in a sentence with <mask> to see the words that fit.' });
      this.target = undefined;
      this.lastResult = undefined;
      return undefined;
    }
    if (this.target?.text === sentence.text && this.target.uri.toString() === editor.document.uri.toString()) return this.lastResult;
    this.target = { uri: editor.document.uri, range: sentence.range, text: sentence.text };
    this.cancel?.cancel();
    const cancel = (this.cancel = new vscode.CancellationTokenSource());
    this.post({ type: 'loading', sentence: sentence.text });
    try {
      const { dir: model } = await this.ctx.ensureModel('fillMask', cancel.token);
      const [result] = await this.ctx.request(p.fillMask, { texts: [sentence.text], topK: setting('topK', 5), model }, cancel.token);
      if (cancel.token.isCancellationRequested || !result) return undefined;
      this.lastResult = result;
      // The line above the bars is the sentence inline fill-in would make, not the engine's top-1 pieces.
      this.post({ type: 'result', sentence: sentence.text, result });
      return result;
    } catch (e) {
      // Overtaken by a newer sentence (its request cancelled this one): the newer one owns the panel.
      if (cancel.token.isCancellationRequested) return undefined;
      this.target = undefined;
      const build = this.ctx.defaultBuild;
      // No fill-mask model yet because the default model is being prepared: say so, and fill in when it is ready.
      this.preparing = Boolean(build && e instanceof Error && e.name === 'NoModelError');
      this.post(build && this.preparing ? preparingMessage(build) : messageFor(e));
      return undefined;
    }
  }

  private receive(raw: unknown): void {
    const m = parseFromMaskPanel(raw);
    if (!m) return this.ctx.output.warn(`Masked-word panel sent a message the extension does not accept: ${JSON.stringify(raw)?.slice(0, 200)}`);
    if (m.type === 'ready') void this.update();
    if (m.type === 'runCommand') void vscode.commands.executeCommand(m.command);
    if (m.type === 'insert') void this.insert(m.maskIndex, m.text);
  }

  private async insert(maskIndex: number, text: string): Promise<void> {
    const target = this.target;
    if (!target) return;
    const doc = await vscode.workspace.openTextDocument(target.uri);
    const start = doc.offsetAt(target.range.start);
    const sentence = doc.getText(target.range);
    let at = -1;
    for (let i = 0; i <= maskIndex; i++) at = sentence.indexOf(MASK, at + 1);
    if (at < 0) return;
    const range = new vscode.Range(doc.positionAt(start + at), doc.positionAt(start + at + MASK.length));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(target.uri, range, text);
    await vscode.workspace.applyEdit(edit);
    this.target = undefined;
  }

  private post(message: ToMaskPanel): void {
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    MaskPanel.current = undefined;
    this.cancel?.cancel();
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}

function preparingMessage(build: p.ModelDefaultProgressParams): ToMaskPanel {
  return { type: 'message', text: `Preparing the default model (${Math.round(100 * build.fraction)}%: ${build.message}). The words that fit appear here when it is ready.`, action: { label: 'Show log', command: 'xlm.showLog' } };
}

function messageFor(e: unknown): ToMaskPanel {
  const text = e instanceof Error ? e.message : String(e);
  if (e instanceof Error && e.name === 'NoModelError') return { type: 'message', text, action: { label: 'Select a model', command: 'xlm.selectModel' } };
  if (e instanceof Error && e.name === 'EngineUnavailableError') return { type: 'message', text, action: { label: 'Restart engine', command: 'xlm.restartEngine' } };
  return { type: 'message', text, action: { label: 'Show log', command: 'xlm.showLog' } };
}

export function registerMaskPanelSerializer(ctx: Ctx): vscode.Disposable {
  return registerPanelSerializer(MaskPanel.viewType, (panel) => MaskPanel.revive(panel, ctx));
}
