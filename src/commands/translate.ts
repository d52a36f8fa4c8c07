/** Translate selection with the configured translation model; offers to replace the selection or copy. */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';

export function registerTranslate(ctx: Ctx): void {
  ctx.command('xlm.translateSelection', 'Translate selection', async (): Promise<string | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) return void vscode.window.showInformationMessage('XLM Lab: select a text to translate.');
    const { dir: model } = await ctx.slotModel('translation');
    if (!model) {
      const pick = await vscode.window.showWarningMessage('XLM Lab: no translation model is set. Pick one (a translation model exported to ONNX, a folder or a Hub id such as Xenova/opus-mt-en-de).', 'Select a translation model');
      if (pick) await vscode.commands.executeCommand('xlm.selectModel', undefined, 'translation');
      return undefined;
    }
    const target = await vscode.window.showInputBox({ title: 'Translate selection', prompt: 'Target language code', value: vscode.env.language.split('-')[0] ?? 'en' });
    if (!target) return undefined;
    try {
      const text = editor.document.getText(editor.selection);
      const { translations } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'XLM: translating', cancellable: true }, (_progress, token) =>
        ctx.request(p.translate, { texts: [text], targetLang: target, model }, token),
      );
      const translation = translations[0] ?? '';
      const pick = await vscode.window.showInformationMessage(`XLM (${target}): ${translation}`, 'Replace selection', 'Copy');
      if (pick === 'Replace selection') await editor.edit((e) => e.replace(editor.selection, translation));
      if (pick === 'Copy') await vscode.env.clipboard.writeText(translation);
      return translation;
    } catch (e) {
      await ctx.showError('Translate selection', e);
      return undefined;
    }
  });
}
