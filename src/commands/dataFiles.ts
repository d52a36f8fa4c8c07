/** Data files of the workspace (JSON lines, CSV, TSV) and what their columns suggest, for the fine-tune and eval pickers. */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';

export async function pickDataFile(title: string): Promise<string | undefined> {
  const files = await vscode.workspace.findFiles('**/*.{jsonl,csv,tsv}', '**/{node_modules,.git,runs}/**', 200);
  if (!files.length) {
    void vscode.window.showInformationMessage('XLM Lab: no .jsonl, .csv or .tsv files in this workspace. A training file has a text column and a label column.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    files.map((f) => ({ label: vscode.workspace.asRelativePath(f), file: f.fsPath })),
    { title, placeHolder: 'Data file (JSON lines, CSV or TSV)' },
  );
  return pick?.file;
}

/** The engine's data/inspect: rows, columns, the suggested task and the file's problems (the engine reads the file, so a broken row is named by line). */
export async function inspectData(ctx: Ctx, file: string): Promise<p.DataInspectResult> {
  return ctx.request(p.dataInspect, { file });
}
