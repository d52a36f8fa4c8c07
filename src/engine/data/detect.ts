/**
 * Which format a file is in, from its extension and the first 64 KiB of its content. The extension decides
 * when it is unambiguous (.jsonl, .csv); the content decides the rest (.tsv may be XNLI or CoNLL, .txt may be
 * CoNLL or plain sentences, files with no extension such as CoNLL's eng.train). Callers can always override.
 */
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { XlmError } from '../errors.js';
import { looksLikeTag } from './bio.js';
import { sniffEncoding } from './encoding.js';
import type { DataFormat } from './types.js';

const HEAD_BYTES = 64 * 1024;

export interface DetectedFormat {
  format: DataFormat;
  /** Why, in words (shown by inspect). */
  reason: string;
}

/** Column names of XNLI's original TSV that set it apart from any TSV. */
const XNLI_COLUMNS = ['language', 'gold_label', 'sentence1', 'sentence2'];

export async function detectFormat(path: string, pairPath?: string): Promise<DetectedFormat> {
  if (pairPath !== undefined) return { format: 'parallel', reason: 'two line-aligned files' };
  const lines = await headLines(path);
  const ext = extname(path).toLowerCase();
  const firstLine = lines.find((l) => l.trim() !== '') ?? '';

  switch (ext) {
    case '.jsonl':
    case '.ndjson':
      return { format: 'jsonl', reason: `extension ${ext}` };
    case '.json':
      if (firstLine.trimStart().startsWith('[')) {
        throw new XlmError('data/json-array', `${path} holds one JSON array; the trainer streams JSON Lines (one object per line). Convert it, e.g. with: jq -c '.[]' ${path} > data.jsonl`, { file: path, line: 1 });
      }
      return { format: 'jsonl', reason: 'extension .json with one object per line' };
    case '.csv':
    case '.tsv': {
      // The extension says how the columns are separated; lines that say otherwise win (a JSON Lines file saved as
      // .csv read as CSV made labels of '"label": "neg"}').
      const mismatch = separatorMismatch(lines, ext, path);
      if (mismatch) return mismatch;
      return ext === '.csv' ? { format: 'csv', reason: 'extension .csv' } : tsvKind(lines, 'extension .tsv');
    }
    case '.conll':
    case '.conll03':
    case '.iob':
    case '.iob2':
    case '.bio':
    case '.ner':
      return { format: 'conll', reason: `extension ${ext}` };
  }
  if (looksLikeJsonLine(firstLine)) return { format: 'jsonl', reason: 'the first line is a JSON object' };
  if (looksLikeConll(lines)) return { format: 'conll', reason: 'token-per-line lines ending in BIO tags' };
  if (looksTabSeparated(lines)) return tsvKind(lines, 'tab-separated lines');
  if (ext !== '.txt' && looksLikeCsvHeader(firstLine)) return { format: 'csv', reason: 'a comma-separated header' };
  return { format: 'text', reason: ext === '.txt' ? 'extension .txt: one sentence per line' : 'no other format fits: one sentence per line' };
}

/**
 * A .csv or .tsv file whose lines are separated otherwise: JSON objects (read as JSON Lines), tabs in a .csv (read
 * as TSV), commas in a .tsv with a CSV header (read as CSV); a header split by semicolons, which no reader here
 * takes, is refused with what to do.
 */
function separatorMismatch(lines: readonly string[], ext: string, path: string): DetectedFormat | undefined {
  const filled = lines.filter((l) => l.trim() !== '').slice(0, 50);
  if (!filled.length) return undefined;
  const header = filled[0]!;
  if (filled.every((l) => looksLikeJsonLine(l))) return { format: 'jsonl', reason: `extension ${ext}, but every line is a JSON object: read as JSON Lines` };
  if (ext === '.csv' && !header.includes(',') && looksTabSeparated(filled)) return tsvKind([...lines], 'extension .csv, but tab-separated: read as TSV');
  if (ext === '.tsv' && !header.includes('\t') && looksLikeCsvHeader(header)) return { format: 'csv', reason: 'extension .tsv, but comma-separated: read as CSV' };
  const bySemicolon = header.split(';').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  if (!header.includes(ext === '.csv' ? ',' : '\t') && bySemicolon.length >= 2 && bySemicolon.some((c) => CSV_HEADER_NAMES.has(c))) {
    throw new XlmError('data/semicolon-separated', `the header "${header.slice(0, 80)}" is separated by semicolons; ${ext} files are read with ${ext === '.csv' ? 'commas' : 'tabs'} between columns. Save it with ${ext === '.csv' ? 'commas (or tabs, as .tsv)' : 'tabs'}`, { file: path, line: 1 });
  }
  return undefined;
}

function tsvKind(lines: string[], why: string): DetectedFormat {
  const header = (lines.find((l) => l.trim() !== '') ?? '').split('\t').map((c) => c.trim().toLowerCase());
  if (XNLI_COLUMNS.every((c) => header.includes(c))) return { format: 'xnli', reason: `${why} with XNLI's columns (${XNLI_COLUMNS.join(', ')})` };
  if (looksLikeConll(lines)) return { format: 'conll', reason: `${why}, token-per-line lines ending in BIO tags` };
  return { format: 'tsv', reason: why };
}

/**
 * Whether a TSV quotes its fields (RFC 4180, as pandas or Excel write them) or holds quotes as plain text, as
 * most NLP TSVs do (GLUE, MultiNLI, PAWS-X, XNLI are read with quoting off). Reading a plain-text quote as an
 * opening quote would swallow rows, so quoting needs evidence in the first 64 KiB: a quoted field with a
 * doubled quote inside ("she said ""hi"""), which only quoting writes, or most fields wrapped whole in quotes.
 */
export async function sniffTsvQuoting(path: string): Promise<boolean> {
  const lines = (await headLines(path)).filter((l) => l.trim() !== '').slice(0, 500);
  let fields = 0;
  let wrapped = 0;
  for (const line of lines) {
    for (const field of line.split('\t')) {
      if (field === '') continue;
      fields++;
      if (field.startsWith('"') && field.indexOf('""', 1) !== -1) return true;
      if (field.length >= 2 && field.startsWith('"') && field.endsWith('"')) wrapped++;
    }
  }
  return fields > 0 && wrapped * 2 >= fields;
}

/** The first lines of a file, decoded leniently (detection must not fail on a bad byte). */
async function headLines(path: string): Promise<string[]> {
  const unreadable = (e: unknown): XlmError => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new XlmError('data/not-found', 'no such file', { file: path });
    if (code === 'EISDIR') return new XlmError('data/not-a-file', 'this is a folder; give a data file', { file: path });
    return new XlmError('data/unreadable', `cannot read (${(e as Error).message})`, { file: path });
  };
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw unreadable(e);
  }
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    // Linux opens a folder for reading; only the read fails (EISDIR).
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0).catch((e: unknown) => Promise.reject(unreadable(e)));
    const head = buffer.subarray(0, bytesRead);
    const { encoding, bomBytes } = sniffEncoding(head, path);
    const text = new TextDecoder(encoding, { fatal: false, ignoreBOM: true }).decode(head.subarray(bomBytes));
    const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (bytesRead === HEAD_BYTES) lines.pop(); // the last line may be cut
    return lines;
  } finally {
    await handle.close();
  }
}

function looksLikeJsonLine(line: string): boolean {
  const t = line.trim();
  if (!t.startsWith('{')) return false;
  try {
    const v = JSON.parse(t);
    return v !== null && typeof v === 'object';
  } catch {
    return t.startsWith('{"');
  }
}

export function looksLikeConll(lines: readonly string[]): boolean {
  let tokenLines = 0;
  let tagged = 0;
  let docstart = false;
  for (const raw of lines.slice(0, 400)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('-DOCSTART-')) {
      docstart = true;
      continue;
    }
    tokenLines++;
    const columns = line.split(/[ \t]+/);
    if (columns.length >= 2 && columns.length <= 12 && looksLikeTag(columns[columns.length - 1])) tagged++;
  }
  if (tokenLines === 0) return docstart;
  return tagged / tokenLines >= 0.9 && tagged >= Math.min(3, tokenLines);
}

function looksTabSeparated(lines: readonly string[]): boolean {
  const counts = lines
    .filter((l) => l.trim() !== '')
    .slice(0, 200)
    .map((l) => l.split('\t').length);
  if (counts.length === 0) return false;
  const withTabs = counts.filter((c) => c >= 2).length;
  return withTabs / counts.length >= 0.9;
}

const CSV_HEADER_NAMES = new Set(['text', 'sentence', 'content', 'label', 'premise', 'hypothesis', 'sentence1', 'sentence2', 'text_a', 'text_b', 'gold_label', 'category', 'lang', 'language']);

function looksLikeCsvHeader(line: string): boolean {
  return line.includes(',') && line.split(',').some((c) => CSV_HEADER_NAMES.has(c.trim().replace(/^"|"$/g, '').toLowerCase()));
}
