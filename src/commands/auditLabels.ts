/**
 * Audit labels of this file: the engine's data/audit on the active editor's data file (or the one picked) with the
 * active model, under a cancellable progress notification fed by data/auditProgress; the flags become diagnostics
 * with quick fixes (features/auditDiagnostics.ts). The report, audit.json, goes to a run folder under xlm.runFolder.
 */
import { join, parse } from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { runFolder } from '../client/config.js';
import * as p from '../engine/rpc/protocol.js';
import type { AuditDiagnostics } from '../features/auditDiagnostics.js';
import { pickDataFile } from './dataFiles.js';

/** What a caller (a test, another extension) may set; the palette command asks for nothing. */
export interface AuditLabelsOptions {
  model?: string;
  folds?: number;
  noFolds?: boolean;
}

export function registerAuditLabels(ctx: Ctx, diagnostics: AuditDiagnostics): void {
  ctx.command('xlm.auditLabels', 'Audit labels of this file', async (uri?: vscode.Uri, options: AuditLabelsOptions = {}): Promise<p.DataAuditResult | undefined> => {
    if (!vscode.workspace.isTrusted) {
      // An audit fine-tunes models on the file, and training is off in an untrusted workspace.
      const pick = await vscode.window.showWarningMessage('XLM Lab: auditing labels trains models, and training is off in an untrusted workspace.', 'Manage Workspace Trust');
      if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    const file = uri?.fsPath ?? dataFileOfEditor() ?? (await pickDataFile('Audit labels of a data file'));
    if (!file) return undefined;
    const name = vscode.workspace.asRelativePath(file);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `XLM: auditing the labels of ${name}`, cancellable: true }, async (progress, token) => {
        let done = 0;
        const sub = ctx.notify(p.dataAuditProgress, (n) => {
          if (n.file !== file) return;
          progress.report({ message: n.message, increment: Math.max(0, n.fraction * 100 - done) });
          done = Math.max(done, n.fraction * 100);
        });
        try {
          // The audit reads the file with the fill-mask feature's model (the shipped default unless one is set): any encoder will do.
          const model = options.model ?? (await ctx.ensureModel('fillMask', token)).dir;
          return await ctx.request(p.dataAudit, { file, model, folds: options.noFolds ? undefined : options.folds, noFolds: options.noFolds, out: join(runFolder(), `audit-${parse(file).name}-${stamp}`) }, token);
        } finally {
          sub.dispose();
        }
      });
      const shown = await diagnostics.show(vscode.Uri.file(file), result.flags, result.labels);
      const hidden = result.flags.length - shown;
      ctx.output.info(`Audit of ${file}: ${result.flags.length} flag${result.flags.length === 1 ? '' : 's'} over ${result.rows} rows${hidden ? ` (${shown} shown; ${hidden} not: ignored earlier, or past the end of the file)` : ''}; report ${result.report}`);
      if (result.caution) ctx.output.warn(`Audit of ${file}: ${result.caution}`);
      const message = shown ? `XLM audit: ${shown} row${shown === 1 ? '' : 's'} of ${name} flagged; see the Problems panel.` : `XLM audit: nothing flagged in ${name}.`;
      // A model that does not know the task flags many right labels: the notice says so, as a warning.
      const notice = result.caution ? vscode.window.showWarningMessage(`${message} Caution: ${result.caution}.`, ...(shown ? ['Show problems'] : [])) : vscode.window.showInformationMessage(message, ...(shown ? ['Show problems'] : []));
      void notice.then((pick) => pick && vscode.commands.executeCommand('workbench.actions.view.problems'));
      return result;
    } catch (e) {
      await ctx.showError('Audit labels', e);
      return undefined;
    }
  });
}

function dataFileOfEditor(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && doc.uri.scheme === 'file' && /\.(jsonl|csv|tsv|conll|txt|iob2?|bio)$/i.test(doc.fileName) ? doc.fileName : undefined;
}
