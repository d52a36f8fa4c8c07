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

/** The engine's data/inspect; when this engine build lacks it, the task guessed from the first row's columns. */
export async function inspectData(ctx: Ctx, file: string): Promise<p.DataInspectResult> {
  try {
    return await ctx.request(p.dataInspect, { file });
  } catch (e) {
    ctx.output.info(`data/inspect unavailable (${e instanceof Error ? e.message : String(e)}); guessing the task from the columns.`);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(file)));
    const first = text.split('\n').find((l) => l.trim()) ?? '';
    let columns: string[] = [];
    if (file.endsWith('.jsonl')) {
      try {
        columns = Object.keys(JSON.parse(first) as object);
      } catch {
        columns = [];
      }
    } else columns = first.split(file.endsWith('.tsv') ? '\t' : ',').map((c) => c.trim());
    return { format: file.split('.').pop() ?? '', rows: text.split('\n').filter((l) => l.trim()).length, columns, suggestedTask: suggestTask(columns), problems: [] };
  }
}

export function suggestTask(columns: string[]): p.TrainTask {
  const has = (...names: string[]) => names.some((n) => columns.includes(n));
  if (has('premise') && has('hypothesis')) return 'pair-classification';
  if (has('text_pair', 'sentence2', 'text2')) return 'pair-classification';
  if (has('tokens') && has('tags', 'ner_tags', 'labels')) return 'token-classification';
  if (has('label', 'labels', 'category')) return 'sequence-classification';
  return 'masked-lm';
}
