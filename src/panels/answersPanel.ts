/**
 * The answers panel of "Ask a question about this file": the top answer spans with their probability and the
 * sentence around each, the span highlighted. Clicking a row selects that answer in its document. The page keeps
 * the list in its webview state, so a hidden tab and a window reload show it again, and a click still works then:
 * the row carries its document's URI and offsets, and the extension checks that the text there is still the answer.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { panelHtml, webviewOptions } from './html.js';
import { registerPanelSerializer, WebviewOutbox } from './outbox.js';
import { parseFromAnswersPanel, type FromAnswersPanel, type PanelAnswers, type ToAnswersPanel } from './messages.js';

export class AnswersPanel {
  static readonly viewType = 'xlm.answersPanel';
  static current: AnswersPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly outbox: WebviewOutbox<ToAnswersPanel>;
  /** The rows as the page last drew them (its 'shown' message), for tests. */
  shownRows: string[] = [];

  /** Opens the panel beside the editor (or brings it forward) without taking the focus from the editor. */
  static createOrShow(ctx: Ctx): AnswersPanel {
    if (AnswersPanel.current) AnswersPanel.current.panel.reveal(vscode.ViewColumn.Beside, true);
    else {
      const panel = vscode.window.createWebviewPanel(AnswersPanel.viewType, 'Answers', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(ctx.extension.extensionUri));
      AnswersPanel.current = new AnswersPanel(panel, ctx);
    }
    return AnswersPanel.current;
  }

  /** After a window reload: the page draws its list again from its webview state. */
  static revive(panel: vscode.WebviewPanel, ctx: Ctx): AnswersPanel {
    panel.webview.options = webviewOptions(ctx.extension.extensionUri);
    AnswersPanel.current = new AnswersPanel(panel, ctx);
    return AnswersPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
  ) {
    panel.webview.html = panelHtml(panel.webview, ctx.extension.extensionUri, { title: 'Answers', script: 'answers', withCss: ['answers.css'], body: '<main id="app"></main>' });
    this.outbox = new WebviewOutbox<ToAnswersPanel>(panel);
    this.disposables.push(
      this.outbox,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
    );
  }

  show(answers: PanelAnswers): void {
    this.panel.title = `Answers: ${answers.question.length > 40 ? answers.question.slice(0, 39) + '…' : answers.question}`;
    this.post({ type: 'answers', answers });
  }

  message(text: string): void {
    this.post({ type: 'message', text });
  }

  /** Handles a message as the page sends it (a click on a row sends 'reveal'). */
  async receive(raw: unknown): Promise<void> {
    const m = parseFromAnswersPanel(raw);
    if (!m) return this.ctx.output.warn(`Answers panel sent a message the extension does not accept: ${JSON.stringify(raw)?.slice(0, 200)}`);
    if (m.type === 'ready') this.outbox.ready(); else if (m.type === 'shown') this.shownRows = m.rows;
    else await this.reveal(m);
  }

  /** Selects a clicked answer in its document, in the editor column that shows it (or the first). */
  private async reveal(m: Extract<FromAnswersPanel, { type: 'reveal' }>): Promise<void> {
    let doc: vscode.TextDocument;
    try {
      doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(m.uri));
    } catch {
      return this.message(`The document of these answers is no longer open or was moved (${m.uri}). Ask the question again.`);
    }
    const range = new vscode.Range(doc.positionAt(m.start), doc.positionAt(m.end));
    if (doc.getText(range) !== m.answer) {
      this.post({ type: 'selected', index: -1 });
      return this.message(`The text at this answer changed since the question was asked; "${m.answer.slice(0, 60)}" is no longer there. Ask the question again.`);
    }
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === doc.uri.toString());
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.post({ type: 'selected', index: m.index });
  }

  private post(message: ToAnswersPanel): void {
    this.outbox.post(message);
  }

  /** Messages that reached a loaded page, oldest first (for tests, through the extension's API). */
  get delivered(): readonly ToAnswersPanel[] {
    return this.outbox.delivered;
  }

  dispose(): void {
    AnswersPanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}

export function registerAnswersPanelSerializer(ctx: Ctx): vscode.Disposable {
  return registerPanelSerializer(AnswersPanel.viewType, (panel) => AnswersPanel.revive(panel, ctx));
}
