/**
 * Fill-in for `<mask>`: the best word as ghost text right after the mask at the cursor (accepting it writes the
 * word in place of the mask), and the top-k with their probabilities in the completion list. Both ask the engine
 * once per sentence and share the answer.
 *
 * Ghost text can only show text inserted at the cursor (VS Code hides inline items whose range holds text that is
 * not a prefix of the item), so the item inserts the word after `<mask>` and its command then removes the mask.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { activeModel, setting } from '../client/config.js';
import * as p from '../engine/rpc/protocol.js';
import { sentenceAt } from './sentence.js';

const MASK = p.MASK_TOKEN;
/** Internal (not in the palette): removes the `<mask>` an accepted ghost-text word was written after. */
export const REMOVE_MASK_COMMAND = 'xlm.internal.removeMaskAfterFill';

export function registerRemoveMaskCommand(): vscode.Disposable {
  return vscode.commands.registerCommand(REMOVE_MASK_COMMAND, async (uri: vscode.Uri, range: vscode.Range) => {
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.getText(range) !== MASK) return;
    const edit = new vscode.WorkspaceEdit();
    edit.delete(uri, range);
    await vscode.workspace.applyEdit(edit);
  });
}

export class MaskFill implements vscode.InlineCompletionItemProvider, vscode.CompletionItemProvider {
  private last: { key: string; result: Promise<p.FillMaskResult | undefined>; token: vscode.CancellationToken } | undefined;

  constructor(private readonly ctx: Ctx) {}

  /** The `<mask>` that touches the cursor, its index among the sentence's masks, and the sentence. */
  private maskAt(document: vscode.TextDocument, position: vscode.Position) {
    const line = document.lineAt(position.line).text;
    for (let at = line.indexOf(MASK); at >= 0; at = line.indexOf(MASK, at + 1)) {
      if (position.character >= at && position.character <= at + MASK.length) {
        const sentence = sentenceAt(document, new vscode.Position(position.line, at));
        if (!sentence) return undefined;
        const before = line.slice(sentence.range.start.character, at);
        const index = before.split(MASK).length - 1;
        return { range: new vscode.Range(position.line, at, position.line, at + MASK.length), index, sentence };
      }
    }
    return undefined;
  }

  /**
   * The fill-mask result for `text`, shared by the requests VS Code makes for the same mask (it asks again as the
   * user pauses): a request already made is reused unless its own token was cancelled. A caller whose shared request
   * was cancelled by the caller that made it (VS Code cancels an inline-completion request as the user types on)
   * asks again with its own token.
   */
  private async predict(text: string, token: vscode.CancellationToken): Promise<p.FillMaskResult | undefined> {
    const key = `${setting('models.fillMask', '')}\0${activeModel()}\0${text}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.last?.key !== key || this.last.token.isCancellationRequested) {
        const result = (async () => {
          const { dir: model } = await this.ctx.ensureModel('fillMask', token);
          const [r] = await this.ctx.request(p.fillMask, { texts: [text], topK: setting('topK', 5), model }, token);
          return r;
        })();
        result.catch((e: unknown) => {
          if (!token.isCancellationRequested) this.ctx.output.info(`Fill-in: ${e instanceof Error ? e.message : String(e)}`);
          if (this.last?.result === result) this.last = undefined;
        });
        this.last = { key, result, token };
      }
      const shared = this.last;
      try {
        return await shared.result;
      } catch {
        if (token.isCancellationRequested || !shared.token.isCancellationRequested) return undefined;
      }
    }
    return undefined;
  }

  private enabled(): boolean {
    return setting('inlineFill.enabled', true) && Boolean(activeModel());
  }

  async provideInlineCompletionItems(document: vscode.TextDocument, position: vscode.Position, _context: vscode.InlineCompletionContext, token: vscode.CancellationToken) {
    if (!this.enabled()) return undefined;
    const mask = this.maskAt(document, position);
    if (!mask || !position.isEqual(mask.range.end)) return undefined;
    const result = await this.predict(mask.sentence.text, token);
    // The engine's offer: between spaces the most probable whole word in the text's scripts, else the most probable piece.
    const best = result?.masks[mask.index]?.offer;
    if (!best || token.isCancellationRequested) return undefined;
    const item = new vscode.InlineCompletionItem(best.text, new vscode.Range(position, position));
    item.command = { command: REMOVE_MASK_COMMAND, title: 'Remove <mask>', arguments: [document.uri, mask.range] };
    return [item];
  }

  async provideCompletionItems(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken) {
    if (!this.enabled()) return undefined;
    const mask = this.maskAt(document, position);
    if (!mask) return undefined;
    const result = await this.predict(mask.sentence.text, token);
    const offered = result?.masks[mask.index];
    if (!offered) return undefined;
    // The list's first and preselected item is the ghost text's word, so the two agree instead of fighting (a word
    // offered from below the top k joins the list); then the others in the engine's order: between spaces, whole
    // words in the text's scripts before other words, pieces and marks.
    const { offer } = offered;
    const listed = [offer, ...offered.listed.map((j) => offered.candidates[j]!)];
    return listed.map((c, i) => {
      const best = i === 0;
      const item = new vscode.CompletionItem({ label: c.text, description: `${(100 * c.score).toFixed(1)}%` }, vscode.CompletionItemKind.Text);
      item.range = mask.range;
      item.filterText = MASK;
      item.preselect = best;
      item.sortText = String(i).padStart(3, '0');
      item.detail = `XLM fill-in · p = ${c.score.toFixed(3)}`;
      return item;
    });
  }
}

