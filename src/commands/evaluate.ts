/** Evaluate model on a file: metrics (and per-language metrics) of the active model on a labelled data file. */
import * as vscode from 'vscode';
import { NoModelError, type Ctx } from '../client/ctx.js';
import { activeModel } from '../client/config.js';
import * as p from '../engine/rpc/protocol.js';
import { pickDataFile } from './dataFiles.js';

export function registerEvaluate(ctx: Ctx): void {
  ctx.command('xlm.evaluate', 'Evaluate model on a file', async (uri?: vscode.Uri): Promise<p.EvalRunResult | undefined> => {
    const file = uri?.fsPath ?? (await pickDataFile('Evaluate model on a file'));
    if (!file) return undefined;
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `XLM: evaluating on ${vscode.workspace.asRelativePath(file)}`, cancellable: true }, async (_p, token) => {
        // xlm.model, else the shipped default model: the engine loads it for the evaluation.
        const model = activeModel();
        if (!model) throw new NoModelError('fillMask');
        return ctx.request(p.evalRun, { data: file, model }, token);
      });
      const summary = Object.entries(result.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
      ctx.output.info(`Evaluation on ${file} (${result.examples} examples): ${summary}`);
      for (const [lang, m] of Object.entries(result.perLanguage ?? {})) ctx.output.info(`  ${lang}: ${Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
      void vscode.window.showInformationMessage(`XLM evaluation (${result.examples} examples): ${summary}`, 'Show details').then((pick) => pick && ctx.output.show());
      return result;
    } catch (e) {
      await ctx.showError('Evaluate model', e);
      return undefined;
    }
  });
}
