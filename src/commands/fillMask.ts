/** Fill mask: at the cursor's `<mask>` (or with the selected word masked), pick a candidate to write in. */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { setting } from '../client/config.js';
import * as p from '../engine/rpc/protocol.js';
import { sentenceAt } from '../features/sentence.js';
import { MaskPanel } from '../panels/maskPanel.js';

const MASK = p.MASK_TOKEN;

export function registerFillMask(ctx: Ctx): void {
  ctx.command('xlm.fillMask', 'Fill mask', async (): Promise<p.FillMaskResult | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return void vscode.window.showInformationMessage('XLM Lab: open a text with <mask> (or select a word) to fill a mask.');
    const doc = editor.document;
    let sentence = sentenceAt(doc, editor.selection.active);
    let text = sentence?.text ?? '';
    let masked: vscode.Range | undefined;
    if (!editor.selection.isEmpty) {
      // Mask the selected word inside its sentence.
      masked = editor.selection;
      sentence = sentenceAt(doc, editor.selection.start);
      if (!sentence) return undefined;
      const s = doc.offsetAt(sentence.range.start);
      text = sentence.text.slice(0, doc.offsetAt(masked.start) - s) + MASK + sentence.text.slice(doc.offsetAt(masked.end) - s);
    }
    if (!sentence || !text.includes(MASK)) {
      return void vscode.window.showInformationMessage('XLM Lab: no <mask> in the sentence at the cursor. Write <mask> where a word is missing, or select a word to mask it.');
    }
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'XLM: filling mask' }, async () => {
        const { dir: model } = await ctx.ensureModel('fillMask');
        return (await ctx.request(p.fillMask, { texts: [text], topK: setting('topK', 5), model }))[0];
      });
      if (!result) return undefined;
      const first = result.masks[0];
      // The offer the title's sentence writes comes first (Enter takes it), then the rest in the order the completion
      // list shows them (between spaces: words in the text's scripts, other words, pieces and marks).
      const offered = first ? [first.offer, ...first.listed.map((j) => first.candidates[j]!)] : [];
      const pick = await vscode.window.showQuickPick(
        offered.map((c) => ({ label: c.text, description: `${(100 * c.score).toFixed(1)}%` })),
        { title: `Fill mask: ${result.filledWords}`, placeHolder: 'Pick a word to write in place of <mask>' },
      );
      if (pick) {
        const target = masked ?? firstMaskRange(doc, sentence.range);
        if (target) await editor.edit((e) => e.replace(target, pick.label));
      }
      return result;
    } catch (e) {
      await ctx.showError('Fill mask', e);
      return undefined;
    }
  });

  ctx.command('xlm.openMaskPanel', 'Open masked-word panel', async () => {
    const panel = MaskPanel.createOrShow(ctx);
    return panel.update();
  }, false);
}

function firstMaskRange(doc: vscode.TextDocument, within: vscode.Range): vscode.Range | undefined {
  const at = doc.getText(within).indexOf(MASK);
  if (at < 0) return undefined;
  const start = doc.positionAt(doc.offsetAt(within.start) + at);
  return new vscode.Range(start, start.translate(0, MASK.length));
}
