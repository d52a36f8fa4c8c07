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

/** File extensions that are code or data formats, never a language code naming one side of a parallel corpus. */
const NOT_LANGUAGE = new Set(['js', 'ts', 'md', 'py', 'rs', 'go', 'sh', 'cc', 'hh', 'cs', 'fs', 'ml', 'mli', 'rb', 'pl', 'pm', 'kt', 'hs', 'el', 'db', 'gz', 'xz', 'bz2', 'zip', 'tar', 'txt', 'csv', 'tsv', 'jsonl', 'json', 'cpp', 'hpp', 'css', 'map', 'lock', 'log', 'yml', 'xml', 'ini', 'cfg', 'toml', 'vue', 'jsx', 'tsx', 'mjs', 'cjs', 'bin', 'pt', 'png', 'jpg', 'gif', 'svg', 'pdf', 'doc', 'onnx', 'spm', 'bak', 'tmp', 'out', 'dat', 'lua', 'php', 'sql', 'bat', 'ps1', 'swift', 'java', 'scala', 'dart', 'nim', 'zig', 'vim', 'org', 'rst', 'tex', 'bib', 'sty', 'cls', 'mk', 'am', 'in', 'ac', 'so', 'o', 'a', 'h', 'c']);
const LANGUAGE_EXTENSION = /^[a-z]{2,3}(_[A-Z][a-z]{3})?$/;

/** A training data file, or two line-aligned files (`corpus.en` + `corpus.fr`: the source side, then the target). */
export interface TrainingData {
  file: string;
  target?: string;
}

/**
 * Two-file parallel corpora of the workspace: files with one stem and language-code extensions (`corpus.en`,
 * `corpus.fr`), each ordered pair once per direction the user might want (en → fr and fr → en).
 */
async function alignedFilePairs(): Promise<TrainingData[]> {
  const files = await vscode.workspace.findFiles('**/*.{??,???}', '**/{node_modules,.git,runs,.vscode}/**', 1000);
  const byStem = new Map<string, string[]>();
  for (const f of files) {
    const ext = path.extname(f.fsPath).slice(1);
    if (!LANGUAGE_EXTENSION.test(ext) || NOT_LANGUAGE.has(ext)) continue;
    const stem = f.fsPath.slice(0, -ext.length - 1);
    byStem.set(stem, [...(byStem.get(stem) ?? []), f.fsPath]);
  }
  const pairs: TrainingData[] = [];
  for (const sides of byStem.values()) {
    if (sides.length < 2) continue;
    sides.sort();
    for (const file of sides) for (const target of sides) if (file !== target) pairs.push({ file, target });
  }
  return pairs;
}

/** .txt files that are a project's own, not text to adapt a model to. */
const NOT_TEXT_DATA = /^(requirements.*|constraints.*|license.*|licence.*|notice.*|copying.*|cmakelists|robots|third[-_]party.*|authors.*|changelog.*)\.txt$/i;

/**
 * The fine-tune wizard's data pick: data files, plain .txt files (one sentence per line, for masked-LM adaptation:
 * a user found the task offered and no file to give it), and two line-aligned files as one translation corpus.
 */
export async function pickTrainingData(title: string): Promise<TrainingData | undefined> {
  const pairs = await alignedFilePairs();
  const files = (await vscode.workspace.findFiles('**/*.{jsonl,csv,tsv,json,txt}', '**/{node_modules,.git,runs,.vscode}/**', 200)).filter((f) => !CONFIG_JSON.test(path.basename(f.fsPath)) && !NOT_TEXT_DATA.test(path.basename(f.fsPath)));
  if (!files.length && !pairs.length) {
    void vscode.window.showInformationMessage('XLM Lab: no .jsonl, .csv, .tsv, .json or .txt files in this workspace. A training file has a text column and a label column (or, for question answering, SQuAD JSON; for translation, source<TAB>target lines or two line-aligned files such as corpus.en and corpus.fr; for masked-LM adaptation, plain text).');
    return undefined;
  }
  const rel = (f: string) => vscode.workspace.asRelativePath(f);
  // Training files before test and dev files, each with its row count (or size, for big and JSON files).
  const byPath = new Map(files.map((f) => [rel(f.fsPath), f.fsPath]));
  const fileItems = await Promise.all(
    orderDataFiles([...byPath.keys()]).map(async (label) => {
      const size = await describeSize(byPath.get(label)!);
      const plain = label.toLowerCase().endsWith('.txt');
      return { label, description: plain ? `${size ?? ''}${size ? ' · ' : ''}plain text, for masked-LM adaptation` : size, data: { file: byPath.get(label)! } as TrainingData };
    }),
  );
  const pick = await vscode.window.showQuickPick(
    [
      ...fileItems,
      ...pairs.map((d) => ({ label: `${rel(d.file)} → ${path.extname(d.target!).slice(1)}`, description: 'two line-aligned files (translation)', detail: `source ${rel(d.file)}, target ${rel(d.target!)}`, data: d })),
    ],
    { title, ignoreFocusOut: true, placeHolder: 'Data file (JSON lines, CSV, TSV, SQuAD JSON, plain text), or two line-aligned files for translation', matchOnDescription: true },
  );
  return pick?.data;
}

/** The engine's data/inspect: rows, columns, the suggested task and the file's problems (the engine reads the file, so a broken row is named by line). */
export async function inspectData(ctx: Ctx, file: string, target?: string): Promise<p.DataInspectResult> {
  return ctx.request(p.dataInspect, target === undefined ? { file } : { file, target });
}
