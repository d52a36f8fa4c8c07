/**
 * Extractive question answering data: SQuAD v1.1 / v2.0 JSON (`data[].paragraphs[].context`, `qas[]` with `id`,
 * `question`, `answers[]` of `text` / `answer_start`, `is_impossible`) and JSON Lines as Hugging Face datasets
 * write SQuAD (`id`, `context`, `question`, `answers: {text: [...], answer_start: [...]}`).
 *
 * Offsets in these files count Unicode code points (Python string indices); JavaScript strings and VS Code
 * count UTF-16 code units. Every offset is converted here, as the file is read: a QaExample's answer starts are
 * UTF-16, and `codePointStart` converts back where a file or a Python tool needs code points.
 *
 * An answer whose text is not at its answer_start is a bad row naming the file, the line and the question id.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { TextDecoder } from 'node:util';
import { XlmError } from '../errors.js';
import { codePointOffsets } from '../tokenize/alignment.js';
import { decodeWhole, sniffEncoding } from './encoding.js';
import { IssueCollector } from './issues.js';
import { locateJsonError } from './json-error.js';
import { readJsonl } from './jsonl.js';
import { detectScript, languageOfScript } from './script.js';
import type { DataError, SourcePosition } from './types.js';

export interface QaAnswer {
  text: string;
  /** Start in UTF-16 code units of the context. */
  start: number;
}

export interface QaExample {
  id: string;
  question: string;
  context: string;
  /** Gold answers (SQuAD dev sets have several); empty for an unanswerable question. */
  answers: QaAnswer[];
  /** SQuAD v2.0's is_impossible (or no answers in a JSON Lines file). */
  impossible: boolean;
  title?: string;
  language?: string;
  source: SourcePosition;
}

export type QaFormat = 'squad-json' | 'qa-jsonl';

export interface QaReadOptions {
  /** 'stop' (default) refuses the file at its first bad rows; 'skip' leaves them out. */
  onError?: 'stop' | 'skip';
  maxErrors?: number;
  maxReported?: number;
  /** The language of every question (MLQA's files do not say); else a `lang`/`language` field, the file name, the script. */
  language?: string;
  /** Keep only questions in these languages (zero-shot transfer). */
  onlyLanguages?: readonly string[];
}

export interface QaDataset {
  file: string;
  format: QaFormat;
  /** SQuAD JSON's "version" ("v2.0"), when it has one. */
  version?: string;
  examples: QaExample[];
  /** Questions left out by `onlyLanguages`. */
  filtered: number;
  errorCount: number;
  errors: DataError[];
}

/** Whether a file holds QA data: SQuAD JSON (a "data" list of paragraphs), or JSON Lines with context and question. */
export function looksLikeQa(path: string): boolean {
  let head: string;
  try {
    const bytes = readHead(path);
    const sniffed = sniffEncoding(bytes, path);
    // Not fatal: the cut may fall inside a character.
    head = new TextDecoder(sniffed.encoding, { ignoreBOM: true }).decode(bytes.subarray(sniffed.bomBytes)).slice(0, 64 * 1024);
  } catch {
    return false;
  }
  const trimmed = head.trimStart();
  if (/^\{\s*"(version|data)"\s*:/.test(trimmed) && /"paragraphs"\s*:/.test(head)) return true;
  const firstLine = trimmed.split('\n', 1)[0];
  return firstLine.startsWith('{') && /"context"\s*:/.test(firstLine) && /"question"\s*:/.test(firstLine);
}

/** The first 256 KiB of a file, without reading the rest (SQuAD's training file is 30 MB). */
function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(256 * 1024);
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Reads a SQuAD JSON or QA JSON Lines file, validating every answer against its context. */
export async function readQaFile(path: string, options: QaReadOptions = {}): Promise<QaDataset> {
  const issues = new IssueCollector({ onError: options.onError, maxErrors: options.maxErrors, maxReported: options.maxReported });
  const text = decodeWhole(readFileSync(path), path);
  const trimmed = text.trimStart();
  const isJsonl = /\.(jsonl|ndjson)$/i.test(path) || !/^\{\s*"(version|data)"\s*:/.test(trimmed);
  const fileLanguage = options.language ?? languageFromFileName(path);
  const out: QaDataset = { file: path, format: isJsonl ? 'qa-jsonl' : 'squad-json', examples: [], filtered: 0, errorCount: 0, errors: [] };
  const keep = (e: QaExample) => {
    e.language ??= fileLanguage ?? scriptLanguage(e.context);
    if (options.onlyLanguages && !options.onlyLanguages.includes(e.language)) out.filtered++;
    else out.examples.push(e);
  };
  if (isJsonl) await readJsonlQa(path, issues, keep);
  else out.version = readSquadJson(path, text, issues, keep);
  issues.finish();
  out.errorCount = issues.errorCount;
  out.errors = issues.errors;
  return out;
}

/** MLQA's `…context-de-question-de.json` and XQuAD's `xquad.de.json` name their language. */
function languageFromFileName(path: string): string | undefined {
  const name = basename(path).toLowerCase();
  const mlqa = /context-([a-z]{2,3})-question-[a-z]{2,3}/.exec(name);
  if (mlqa) return mlqa[1];
  const xquad = /^xquad\.([a-z]{2,3})\.jsonl?$/.exec(name);
  return xquad ? xquad[1] : undefined;
}

function scriptLanguage(text: string): string {
  const script = detectScript(text.slice(0, 2000));
  return languageOfScript(script) ?? script;
}

/** Where in the file a question is: the line and column of its id (or of its question text). */
class Locator {
  private lineStarts: number[] | undefined;
  constructor(private readonly text: string) {}

  /** Line and column (1-based, UTF-16) of a string index. */
  at(index: number): { line: number; column: number } {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    }
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - this.lineStarts[lo] + 1 };
  }

  /** The place of `"key": value` for a string value, searched from `from`; undefined when it is written otherwise (escapes). */
  find(key: string, value: unknown, from = 0): { line: number; column: number; index: number } | undefined {
    if (typeof value !== 'string' && typeof value !== 'number') return undefined;
    const pattern = new RegExp(`${escapeRegExp(JSON.stringify(key))}\\s*:\\s*${escapeRegExp(JSON.stringify(value))}`, 'g');
    pattern.lastIndex = from;
    const m = pattern.exec(this.text);
    return m ? { ...this.at(m.index), index: m.index } : undefined;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** SQuAD JSON: returns its version; every question goes to `keep`, every bad one to `issues`. */
function readSquadJson(file: string, text: string, issues: IssueCollector, keep: (e: QaExample) => void): string | undefined {
  const locator = new Locator(text);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    const found = locateJsonError(text, true);
    const place = locator.at(found.index);
    throw new XlmError('data/invalid-json', `invalid JSON: ${found.reason}`, { file, ...place });
  }
  if (!isObject(root) || !Array.isArray(root.data)) {
    throw new XlmError('data/not-squad', 'expected SQuAD JSON: an object with a "data" list of articles, each with "paragraphs"', { file, line: 1 });
  }
  // Questions come in file order, so each id is searched for after the previous one's place.
  let cursor = 0;
  root.data.forEach((article: unknown, a) => {
    const title = isObject(article) && typeof article.title === 'string' ? article.title : undefined;
    const paragraphs = isObject(article) && Array.isArray(article.paragraphs) ? article.paragraphs : undefined;
    if (!paragraphs) {
      issues.error({ file, line: 1, code: 'missing-column', reason: `data[${a}] has no "paragraphs" list` });
      return;
    }
    paragraphs.forEach((paragraph: unknown, p) => {
      const path = `data[${a}].paragraphs[${p}]`;
      if (!isObject(paragraph) || typeof paragraph.context !== 'string' || !Array.isArray(paragraph.qas)) {
        issues.error({ file, line: 1, code: 'missing-column', reason: `${path} needs a "context" string and a "qas" list` });
        return;
      }
      const context = paragraph.context;
      paragraph.qas.forEach((qa: unknown, q) => {
        const where = `${path}.qas[${q}]`;
        const id = isObject(qa) && (typeof qa.id === 'string' || typeof qa.id === 'number') ? String(qa.id) : undefined;
        const found = id !== undefined && isObject(qa) ? locator.find('id', qa.id, cursor) ?? locator.find('id', qa.id) : undefined;
        if (found) cursor = found.index;
        const place = found ? { line: found.line, column: found.column } : { line: 1 };
        const fail = (code: DataError['code'], reason: string) => issues.error({ file, ...place, code, reason: `question ${id !== undefined ? JSON.stringify(id) : `at ${where}`}: ${reason}` });
        if (!isObject(qa) || id === undefined) return fail('missing-column', `${where} needs an "id"`);
        if (typeof qa.question !== 'string' || qa.question.trim() === '') return fail('missing-column', 'no "question" text');
        const impossible = qa.is_impossible === true;
        const rawAnswers = Array.isArray(qa.answers) ? qa.answers : undefined;
        if (!rawAnswers) return fail('missing-column', 'no "answers" list');
        const answers: QaAnswer[] = [];
        for (let k = 0; k < rawAnswers.length; k++) {
          const ans: unknown = rawAnswers[k];
          if (!isObject(ans) || typeof ans.text !== 'string' || typeof ans.answer_start !== 'number') {
            return fail('wrong-type', `answers[${k}] needs "text" (a string) and "answer_start" (a number)`);
          }
          const checked = checkAnswer(context, ans.text, ans.answer_start);
          if (typeof checked === 'string') return fail('unaligned', `answers[${k}]: ${checked}`);
          answers.push(checked);
        }
        if (!impossible && answers.length === 0) return fail('missing-column', 'no answers, and is_impossible is not true');
        keep({ id, question: qa.question, context, answers: impossible ? [] : answers, impossible, title, source: { file, line: place.line } });
      });
    });
  });
  return isObject(root) && typeof root.version === 'string' ? root.version : undefined;
}

/** JSON Lines as Hugging Face datasets write SQuAD: answers {text: [...], answer_start: [...]}. */
async function readJsonlQa(file: string, issues: IssueCollector, keep: (e: QaExample) => void): Promise<void> {
  for await (const batch of readJsonl(file)) {
    for (const item of batch) {
      if (item.kind !== 'record') {
        issues.error(item.error);
        continue;
      }
      const f = item.fields;
      const line = item.source.line;
      const id = typeof f.id === 'string' || typeof f.id === 'number' ? String(f.id) : `line-${line}`;
      const fail = (field: string, code: DataError['code'], reason: string) => {
        const at = item.locate?.(field);
        issues.error({ file, line, column: at?.column, code, reason: `question ${JSON.stringify(id)}: ${reason}` });
      };
      if (typeof f.context !== 'string') { fail('context', 'missing-column', 'no "context" string'); continue; }
      if (typeof f.question !== 'string' || f.question.trim() === '') { fail('question', 'missing-column', 'no "question" text'); continue; }
      const a = f.answers;
      if (!isObject(a) || !Array.isArray(a.text) || !Array.isArray(a.answer_start) || a.text.length !== a.answer_start.length) {
        fail('answers', 'wrong-type', '"answers" must be {"text": [...], "answer_start": [...]} with one start per text');
        continue;
      }
      const answers: QaAnswer[] = [];
      let bad = false;
      for (let k = 0; k < a.text.length && !bad; k++) {
        const t: unknown = a.text[k];
        const s: unknown = a.answer_start[k];
        if (typeof t !== 'string' || typeof s !== 'number') {
          fail('answers', 'wrong-type', `answers.text[${k}] must be a string and answers.answer_start[${k}] a number`);
          bad = true;
          break;
        }
        const checked = checkAnswer(f.context, t, s);
        if (typeof checked === 'string') {
          fail('answers', 'unaligned', `answer ${k}: ${checked}`);
          bad = true;
        } else answers.push(checked);
      }
      if (bad) continue;
      const lang = typeof f.lang === 'string' ? f.lang : typeof f.language === 'string' ? f.language : undefined;
      keep({
        id, question: f.question, context: f.context, answers, impossible: answers.length === 0,
        ...(typeof f.title === 'string' ? { title: f.title } : {}), ...(lang ? { language: lang } : {}), source: { file, line },
      });
    }
  }
}

/** The answer with its start in UTF-16 units, or why its text is not at answer_start (a code point offset). */
function checkAnswer(context: string, text: string, codePointStart: number): QaAnswer | string {
  if (!Number.isInteger(codePointStart) || codePointStart < 0) return `answer_start ${codePointStart} is not a character offset`;
  const start = utf16Offset(context, codePointStart);
  if (start === undefined) return `answer_start ${codePointStart} is past the end of the context (${codePointLength(context)} characters)`;
  if (context.startsWith(text, start)) return { text, start };
  const there = context.slice(start, start + Math.max(text.length, 1) + 10);
  const elsewhere = context.indexOf(text);
  const hint = elsewhere === -1 ? 'the context does not contain it' : `it is at ${codePointOffsets(context, [[elsewhere, elsewhere]])[0][0]}`;
  return `answer_start ${codePointStart} does not hold its text ${JSON.stringify(text)}: the context has ${JSON.stringify(there)} there (${hint}; offsets count code points, as Python does)`;
}

/** The UTF-16 index of a code point offset in `text`; undefined past its end. */
export function utf16Offset(text: string, codePoint: number): number | undefined {
  let units = 0;
  for (let cp = 0; cp < codePoint; cp++) {
    if (units >= text.length) return undefined;
    const c = text.charCodeAt(units);
    units += c >= 0xd800 && c <= 0xdbff && units + 1 < text.length && isLowSurrogate(text.charCodeAt(units + 1)) ? 2 : 1;
  }
  return units;
}

/** The code point offset of a UTF-16 index in `text` (what SQuAD files and Python count). */
export function codePointOffset(text: string, utf16: number): number {
  return codePointOffsets(text, [[utf16, utf16]])[0][0];
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function codePointLength(text: string): number {
  return codePointOffset(text, text.length);
}
