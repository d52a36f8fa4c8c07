/** Data files of the workspace (JSON lines, CSV, TSV) and what their columns suggest, for the fine-tune and eval pickers. */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';
import { countRows, orderDataFiles } from './dataFileOrder.js';

const CONFIG_JSON = /^(package(-lock)?|[tj]sconfig.*|.*\.config|config|settings|launch|tasks|extensions|manifest|tokenizer.*|special_tokens_map|trainer_state|run|summary|verdict|audit|imported|language-id)\.json$/;

export async function pickDataFile(title: string): Promise<string | undefined> {
  // .json for SQuAD question-answering files; a project's configuration files are not data.
  const files = (await vscode.workspace.findFiles('**/*.{jsonl,csv,tsv,json}', '**/{node_modules,.git,runs,.vscode}/**', 200)).filter((f) => !CONFIG_JSON.test(path.basename(f.fsPath)));
  if (!files.length) {
    void vscode.window.showInformationMessage('XLM Lab: no .jsonl, .csv, .tsv or .json files in this workspace. A training file has a text column and a label column (or, for question answering, SQuAD JSON).');
    return undefined;
  }
  // Training files before test and dev files, each with its row count (or size, for big and JSON files).
  const byPath = new Map(files.map((f) => [vscode.workspace.asRelativePath(f), f.fsPath]));
  const items = await Promise.all(orderDataFiles([...byPath.keys()]).map(async (label) => ({ label, file: byPath.get(label)!, description: await describeSize(byPath.get(label)!) })));
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'Data file (JSON lines, CSV, TSV, or SQuAD JSON for question answering); training files first', matchOnDescription: true });
  return pick?.file;
}

/** Up to this size a file's rows are counted for the picker; above it, its size is shown. */
const COUNT_LIMIT_BYTES = 50e6;

async function describeSize(file: string): Promise<string | undefined> {
  try {
    const { size } = await stat(file);
    const rows = size <= COUNT_LIMIT_BYTES ? countRows(file, await readFile(file, 'utf8')) : undefined;
    if (rows !== undefined) return `${rows.toLocaleString('en-US')} row${rows === 1 ? '' : 's'}`;
    return size >= 1e6 ? `${(size / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(size / 1e3))} KB`;
  } catch {
    return undefined;
  }
}

/** The engine's data/inspect: rows, columns, the suggested task and the file's problems (the engine reads the file, so a broken row is named by line). */
export async function inspectData(ctx: Ctx, file: string): Promise<p.DataInspectResult> {
  return ctx.request(p.dataInspect, { file });
}
