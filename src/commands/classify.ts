/** Classify selection: the classifier slot's labels for the selected text (or the sentence at the cursor). */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';
import { labelNamer } from '../features/labelNames.js';
import { sentenceAt } from '../features/sentence.js';

export function registerClassify(ctx: Ctx): void {
  ctx.command('xlm.classifySelection', 'Classify selection', async (): Promise<p.LabelScore[] | undefined> => {
    const editor = vscode.window.activeTextEditor;
    const text = editor ? (editor.selection.isEmpty ? sentenceAt(editor.document, editor.selection.active)?.text : editor.document.getText(editor.selection)) : undefined;
    if (!text?.trim()) return void vscode.window.showInformationMessage('XLM Lab: select a text to classify.');
    try {
      const labels = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'XLM: classifying' }, async () => {
        const { dir: model } = await ctx.ensureModel('classifier');
        return (await ctx.request(p.classify, { inputs: [{ text }], model }))[0] ?? [];
      });
      ctx.output.info(`Classify "${text.slice(0, 80)}": ${labels.map((l) => `${l.label} ${(100 * l.score).toFixed(1)}%`).join(', ')}`);
      const best = labels[0];
      const named = labelNamer(labels.map((l) => l.label));
      if (best) void vscode.window.showInformationMessage(`XLM: ${named(best.label)} (${(100 * best.score).toFixed(1)}%)` + (labels[1] ? ` · next: ${named(labels[1].label)} ${(100 * labels[1].score).toFixed(1)}%` : ''));
      return labels;
    } catch (e) {
      await ctx.showError('Classify selection', e);
      return undefined;
    }
  });
}
