/**
 * The hover's possible translations from the workspace's own data, when no translation model is set: the
 * extension names the workspace's data files and asks the engine (sentences/similar), which reads, indexes and
 * scores them; this module only finds the files and renders the answer.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';
import { languageNameOfCode } from '../panels/messages.js';

const DATA_GLOB = '**/*.{jsonl,csv,tsv}';
const EXCLUDE = '**/{node_modules,runs,.git,.vscode-test}/**';
const MAX_FILES = 20;

let files: Promise<string[]> | undefined;
let watcher: vscode.FileSystemWatcher | undefined;
let generation = 0;
const changed = new vscode.EventEmitter<void>();

/** Fires when a workspace data file is created, changed or deleted (once the files have been looked for). */
export const onDataFilesChanged = changed.event;

/** Bumped whenever a workspace data file is created, changed or deleted: part of the hover cache's key. */
export function dataGeneration(): number {
  return generation;
}

/** The workspace's data files, found once and found again when one is created or deleted (a change is the engine's to see). */
function dataFiles(ctx: Ctx): Promise<string[]> {
  if (!watcher) {
    watcher = vscode.workspace.createFileSystemWatcher(DATA_GLOB);
    const forget = () => {
      files = undefined;
      generation++;
      changed.fire();
    };
    watcher.onDidCreate(forget);
    watcher.onDidDelete(forget);
    watcher.onDidChange(() => {
      generation++;
      changed.fire();
    });
    ctx.extension.subscriptions.push(watcher, changed);
  }
  files ??= Promise.resolve(vscode.workspace.findFiles(DATA_GLOB, EXCLUDE, MAX_FILES)).then((uris) => uris.filter((u) => u.scheme === 'file').map((u) => u.fsPath).sort());
  return files;
}

/**
 * Reads and embeds the workspace's data files for `model` ahead of the first hover (sentences/index), so the hover
 * then embeds only its own sentence; undefined when the workspace has no data files.
 */
export async function indexWorkspaceSentences(ctx: Ctx, model: string, token: vscode.CancellationToken): Promise<p.SentencesIndexResult | undefined> {
  const found = await dataFiles(ctx);
  if (!found.length) return undefined;
  return ctx.request(p.sentencesIndex, { files: found, model }, token);
}

/**
 * The markdown lines of the workspace sentences that may translate `text`: those that reach the model's calibrated
 * threshold, or, when none does, the nearest sentence of another language marked as one that may not be a
 * translation; nothing when the workspace data holds no sentence of another language (a one-language project).
 */
export async function possibleTranslations(ctx: Ctx, model: string, text: string, token: vscode.CancellationToken): Promise<string> {
  const found = await dataFiles(ctx);
  if (!found.length) return '';
  const result = await ctx.request(p.sentencesSimilar, { text, files: found, topK: 3, model }, token);
  const t = result.threshold;
  if (!t) return '';
  const bar = `${t.score === 'margin' ? 'margin over their nearest sentences' : 'similarity'} at least ${t.value.toFixed(2)}${t.floor === undefined ? '' : ` and similarity at least ${t.floor.toFixed(2)}`}`;
  if (!result.matches.length) {
    // Nothing passes the calibrated threshold: say so, and show what the model found nearest all the same, marked
    // as what it is (the threshold is strict: at 90% precision it lets few translations through).
    if (!result.nearest) return '';
    const m = result.nearest;
    return (
      `$(globe) *No workspace sentence reaches the translation threshold* (${bar}). Nearest in another language, which may not be a translation:\n\n` +
      `- ${languageWords(m.language)} ${escape(m.text)} · ${t.score === 'margin' ? `margin ${m.score.toFixed(2)}, ` : ''}similarity ${m.similarity.toFixed(2)} · ${places(m.places)}\n`
    );
  }
  const lines = [
    `$(globe) *Possible translations in the workspace data* (${bar}; on the model's held-out verses ${Math.round(100 * t.precision)}% of the sentences that passed were translations, and ${(100 * t.recall).toFixed(1)}% of the translations passed)\n\n`,
  ];
  for (const m of result.matches) lines.push(`- ${languageWords(m.language)} ${escape(m.text)} · possible translation (similarity ${m.similarity.toFixed(2)}) · ${places(m.places)}\n`);
  return lines.join('');
}

/** A data row's language as the hover shows it: "*French* (`fra`)" where ICU names the code, else the code. */
function languageWords(code: string): string {
  const name = languageNameOfCode(code);
  return name && name !== code ? `*${escape(name)}* (\`${code}\`)` : `\`${escape(code)}\``;
}

/** Up to three links to where a sentence occurs ("and N more" past them). */
function places(at: readonly { file: string; line: number }[]): string {
  const where = at.slice(0, 3).map((pl) => `[${escape(vscode.workspace.asRelativePath(pl.file))}:${pl.line}](${vscode.Uri.file(pl.file).with({ fragment: `L${pl.line}` }).toString()})`);
  return `${where.join(', ')}${at.length > 3 ? ` and ${at.length - 3} more` : ''}`;
}

export function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
