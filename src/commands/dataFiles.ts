/** Data files of the workspace (JSON lines, CSV, TSV) and what their columns suggest, for the fine-tune and eval pickers. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';

const CONFIG_JSON = /^(package(-lock)?|[tj]sconfig.*|.*\.config|config|settings|launch|tasks|extensions|manifest|tokenizer.*|special_tokens_map|trainer_state|run|summary|verdict|audit|imported|language-id)\.json$/;

export async function pickDataFile(title: string): Promise<string | undefined> {
  // .json for SQuAD question-answering files; a project's configuration files are not data.
  const files = (await vscode.workspace.findFiles('**/*.{jsonl,csv,tsv,json}', '**/{node_modules,.git,runs,.vscode}/**', 200)).filter((f) => !CONFIG_JSON.test(path.basename(f.fsPath)));
  if (!files.length) {
    void vscode.window.showInformationMessage('XLM Lab: no .jsonl, .csv, .tsv or .json files in this workspace. A training file has a text column and a label column (or, for question answering, SQuAD JSON).');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    files.map((f) => ({ label: vscode.workspace.asRelativePath(f), file: f.fsPath })),
    { title, placeHolder: 'Data file (JSON lines, CSV, TSV, or SQuAD JSON for question answering)' },
  );
  return pick?.file;
}

/** The engine's data/inspect: rows, columns, the suggested task and the file's problems (the engine reads the file, so a broken row is named by line). */
export async function inspectData(ctx: Ctx, file: string): Promise<p.DataInspectResult> {
  return ctx.request(p.dataInspect, { file });
}
