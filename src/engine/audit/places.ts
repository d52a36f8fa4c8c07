/**
 * Where a flagged value is written in the data file: the line and column (1-based, UTF-16 code units, as VS Code
 * counts) of a row's label, of the index-th tag of a NER sentence, of its language or its text, so the editor can
 * put a diagnostic on it and a quick fix can rewrite exactly that value. The file is read again by its format's
 * reader, which knows where each field of a record sits (JSONL keys, CSV/TSV cells, CoNLL tag columns); in a
 * JSONL list of tags the index-th element is found here. The lines are read once more for the value's extent,
 * so a quick fix can replace exactly the value, written as the format writes it.
 */
import { openDataset } from '../data/dataset.js';
import { readLineBatches } from '../data/lines.js';
import type { FieldPlace } from '../data/record.js';
import type { ReadOptions } from '../data/types.js';

export interface PlaceRequest {
  /** The record's first line (Example.source.line). */
  line: number;
  /** Which column of the file: a name from the dataset's column mapping. */
  field: string;
  /** For a list-valued field (NER tags): the element. */
  index?: number;
}

/** Where a value is written: its first character, and the column just past its last (both 1-based). */
export interface ValuePlace extends FieldPlace {
  endColumn: number;
  /** How a new value is written there so the file stays valid (JSON string, CSV/TSV cell, CoNLL token). */
  encode(value: string): string;
}

/** The place of each request (same order); undefined where the reader cannot say. */
export async function locateFields(path: string, options: ReadOptions, requests: readonly PlaceRequest[]): Promise<(ValuePlace | undefined)[]> {
  const byLine = new Map<number, number[]>();
  requests.forEach((r, i) => {
    const list = byLine.get(r.line);
    if (list) list.push(i);
    else byLine.set(r.line, [i]);
  });
  const starts: (FieldPlace | undefined)[] = new Array(requests.length).fill(undefined);
  if (requests.length === 0) return [];
  const dataset = await openDataset(path, { ...options, onError: 'skip' });
  for await (const batch of dataset.records()) {
    for (const item of batch) {
      if (item.kind !== 'record') continue;
      const wanted = byLine.get(item.source.line);
      if (!wanted) continue;
      for (const i of wanted) starts[i] = item.locate?.(requests[i].field, requests[i].index);
    }
  }
  const texts = await lineTexts(path, options, new Set(starts.filter((p): p is FieldPlace => p !== undefined).map((p) => p.line)));
  const format = dataset.format;
  const delimiter = format === 'csv' ? ',' : '\t';
  return starts.map((at, i) => {
    const text = at && texts.get(at.line);
    if (!at || text === undefined) return undefined;
    let from = at.column - 1;
    if (format === 'jsonl' && requests[i].index !== undefined) {
      // A JSONL list: locate gives the '[' of the list; step to the index-th element.
      const element = jsonArrayElement(text, from, requests[i].index!);
      if (element === undefined) return undefined;
      from = element;
    }
    const to = format === 'jsonl' ? jsonValueEnd(text, from) : format === 'conll' ? tokenEnd(text, from) : cellEnd(text, from, delimiter);
    const quoted = text[from] === '"';
    const encode = format === 'jsonl'
      ? (v: string) => JSON.stringify(v)
      : format === 'conll'
        ? (v: string) => v
        : (v: string) => (quoted || v.includes(delimiter) || /["\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    return { line: at.line, column: from + 1, endColumn: to + 1, encode };
  });
}

/** The end (exclusive, 0-based) of the JSON value at `from`: a string with its quotes, else up to , } ] or space. */
function jsonValueEnd(text: string, from: number): number {
  if (text[from] === '"') {
    let i = from + 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    return Math.min(i + 1, text.length);
  }
  let i = from;
  while (i < text.length && !/[,}\]\s]/.test(text[i])) i++;
  return i;
}

/** The end of a CSV/TSV cell: a quoted cell with its quotes ("" inside), else up to the delimiter or the line's end. */
function cellEnd(text: string, from: number, delimiter: string): number {
  if (text[from] === '"') {
    let i = from + 1;
    while (i < text.length) {
      if (text[i] === '"' && text[i + 1] === '"') i += 2;
      else if (text[i] === '"') return i + 1;
      else i++;
    }
    return text.length;
  }
  const end = text.indexOf(delimiter, from);
  if (end !== -1) return end;
  return text.endsWith('\r') ? text.length - 1 : text.length;
}

function tokenEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && !/\s/.test(text[i])) i++;
  return i;
}

/** The text of the given lines, as the readers decode them. */
async function lineTexts(path: string, options: ReadOptions, lines: ReadonlySet<number>): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (lines.size === 0) return out;
  for await (const batch of readLineBatches(path, { maxLineBytes: options.maxLineBytes })) {
    for (const { line, text } of batch) if (lines.has(line)) out.set(line, text);
  }
  return out;
}

/** The 0-based offset of element `index` of the JSON array whose '[' is at `open`; undefined if it has fewer. */
function jsonArrayElement(text: string, open: number, index: number): number | undefined {
  if (text[open] !== '[') return undefined;
  let i = open + 1;
  let element = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  skipSpace();
  if (text[i] === ']') return undefined;
  for (;;) {
    skipSpace();
    if (element === index) return i;
    // Skip one value: a string, or anything up to the next ',' or ']' at this depth.
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
        i++;
        continue;
      }
      if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') {
        if (depth === 0) return undefined;
        depth--;
      } else if (c === ',' && depth === 0) break;
      i++;
    }
    if (i >= text.length) return undefined;
    i++;
    element++;
  }
}
