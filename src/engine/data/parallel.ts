/**
 * Parallel text for translation: source sentences and their translations, read from
 *  - two line-aligned files (line n of one is the translation of line n of the other; `corpus.en` + `corpus.de`
 *    also name their languages),
 *  - a TSV of `source<TAB>target` lines, optionally headed by the two language codes (`en<TAB>de`),
 *  - JSON Lines in Hugging Face datasets' layout, `{"translation": {"en": "...", "de": "..."}}`, whose keys must
 *    hold the pair asked for (without one asked for, each line's two keys in order, the same on every line),
 *  - or JSON Lines `{"source": "...", "target": "..."}`, with optional `source_lang` and `target_lang`.
 * Every problem is a DataError naming the file and line: files whose line counts differ (both counts said), a side
 * that is empty, a language code that is not one or is not the pair asked for, bad UTF-8, bad JSON. Bad rows follow
 * the data layer's error policy (onError 'stop' refuses the data listing them, 'skip' leaves them out and reports).
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { XlmError, field, reasonNaming, said } from '../errors.js';
import { IssueCollector } from './issues.js';
import { isBlank, readJsonl } from './jsonl.js';
import { languageCodeProblem, looksLikeLanguageHeader } from './language-codes.js';
import { readLineBatches } from './lines.js';
import type { RawRecord } from './record.js';
import { readParallelFiles } from './text.js';
import type { DataError, ReadOptions } from './types.js';

export interface ParallelUnit {
  source: string;
  target: string;
  sourceLang?: string;
  targetLang?: string;
  /** Where the unit is: the file (the source file of two) and its 1-based line. */
  file: string;
  line: number;
}

/** Two line-aligned files, or one TSV / JSONL file. */
export type ParallelInput = { source: string; target: string } | { file: string };

export type ParallelFormat = 'two-files' | 'tsv' | 'jsonl';

export interface ParallelReadOptions extends Pick<ReadOptions, 'onError' | 'maxErrors' | 'maxReported' | 'maxLineBytes' | 'onIssue'> {
  /** The pair asked for; checked against the file's own codes where it has them. */
  sourceLang?: string;
  targetLang?: string;
  /** For one file: skip detection. */
  format?: 'tsv' | 'jsonl';
  /**
   * Every unit must have both languages (multilingual models need the target language to decode): without a pair
   * for the whole file that is one error; a JSONL line that names none is a bad row.
   */
  requireLanguages?: boolean;
}

export interface ParallelData {
  units: ParallelUnit[];
  format: ParallelFormat;
  /** Why this format (extension, content, the caller). */
  formatReason: string;
  /** The pair every unit has, when there is one (absent for JSONL whose lines name different pairs). */
  sourceLang?: string;
  targetLang?: string;
  /** Where the languages came from. */
  languagesFrom: 'options' | 'header' | 'file names' | 'json keys' | 'records' | 'unknown';
  errorCount: number;
  /** The first errors (all of them up to maxReported). */
  errors: DataError[];
}

/** Reads every unit; under onError 'stop' (default) any bad row refuses the data with a list of the bad rows. */
export async function readParallel(input: ParallelInput, options: ParallelReadOptions = {}): Promise<ParallelData> {
  for (const [flag, code] of [['sourceLang', options.sourceLang], ['targetLang', options.targetLang]] as const) {
    if (code === undefined) continue;
    const problem = languageCodeProblem(code);
    if (problem) throw new XlmError('data/language-code', `${flag}: ${problem}`, { what: flag });
  }
  const issues = new IssueCollector(options);
  const data = 'file' in input ? await readOneFile(input.file, options, issues) : await readTwoFiles(input.source, input.target, options, issues);
  if (options.requireLanguages) {
    const file = 'file' in input ? input.file : input.source;
    if (data.format !== 'jsonl' && (data.sourceLang === undefined || data.targetLang === undefined)) {
      throw new XlmError(
        'data/no-language',
        said`${file}: the language pair is not known (${data.sourceLang ?? '?'}-${data.targetLang ?? '?'}); give ${field('sourceLang')} and ${field('targetLang')}, a header line of two codes (en<TAB>de), or files named like corpus.en and corpus.de`,
        { file },
      );
    }
    data.units = data.units.filter((u) => {
      if (u.sourceLang !== undefined && u.targetLang !== undefined) return true;
      const side = u.sourceLang === undefined ? 'source' : 'target';
      issues.error({ file: u.file, line: u.line, code: 'wrong-language', ...reasonNaming(said`no ${side} language: the line names none (${side}_lang) and none was asked for (${field(`${side}Lang`)})`) });
      return false;
    });
  }
  issues.finish();
  return { ...data, errorCount: issues.errorCount, errors: issues.errors };
}

type ReadPart = Omit<ParallelData, 'errorCount' | 'errors'>;

async function readTwoFiles(sourcePath: string, targetPath: string, options: ParallelReadOptions, issues: IssueCollector): Promise<ReadPart> {
  await assertReadable(sourcePath);
  await assertReadable(targetPath);
  let sourceLang = options.sourceLang;
  let targetLang = options.targetLang;
  let languagesFrom: ParallelData['languagesFrom'] = sourceLang !== undefined || targetLang !== undefined ? 'options' : 'unknown';
  if (sourceLang === undefined && targetLang === undefined) {
    // corpus.en-de.en + corpus.en-de.de, train.de + train.fr (Moses and OPUS name their files so).
    const a = extname(sourcePath).slice(1);
    const b = extname(targetPath).slice(1);
    if (a !== b && looksLikeLanguageHeader(a) && looksLikeLanguageHeader(b)) {
      sourceLang = a;
      targetLang = b;
      languagesFrom = 'file names';
    }
  }
  const units: ParallelUnit[] = [];
  for await (const items of readParallelFiles(sourcePath, targetPath, { maxLineBytes: options.maxLineBytes })) {
    for (const item of items) {
      if (item.kind !== 'record') issues.error(item.error);
      else units.push(unit(String(item.fields.text), String(item.fields.textPair), sourceLang, targetLang, item.source.file, item.source.line));
    }
  }
  return { units, format: 'two-files', formatReason: 'two line-aligned files', sourceLang, targetLang, languagesFrom };
}

async function readOneFile(file: string, options: ParallelReadOptions, issues: IssueCollector): Promise<ReadPart> {
  await assertReadable(file);
  const { format, reason } = options.format !== undefined ? { format: options.format, reason: 'given by the caller' } : await detectParallelFormat(file);
  return format === 'tsv' ? { ...(await readTsv(file, options, issues)), formatReason: reason } : { ...(await readJsonlUnits(file, options, issues)), formatReason: reason };
}

async function readTsv(file: string, options: ParallelReadOptions, issues: IssueCollector): Promise<Omit<ReadPart, 'formatReason'>> {
  let sourceLang = options.sourceLang;
  let targetLang = options.targetLang;
  let languagesFrom: ParallelData['languagesFrom'] = sourceLang !== undefined || targetLang !== undefined ? 'options' : 'unknown';
  const units: ParallelUnit[] = [];
  let first = true;
  for await (const batch of readLineBatches(file, { maxLineBytes: options.maxLineBytes })) {
    for (const { line, text, problem } of batch) {
      if (problem) {
        issues.error(problem);
        continue;
      }
      if (isBlank(text)) continue;
      const fields = text.split('\t');
      if (first) {
        first = false;
        // A header of two language codes names the pair; one that contradicts the pair asked for is an error.
        if (fields.length === 2 && fields.every(looksLikeLanguageHeader)) {
          const [a, b] = fields;
          if ((options.sourceLang !== undefined && options.sourceLang !== a) || (options.targetLang !== undefined && options.targetLang !== b)) {
            issues.error({ file, line, code: 'wrong-language', reason: `the header names the pair ${a}-${b}, but ${options.sourceLang ?? '?'}-${options.targetLang ?? '?'} was asked for` });
          }
          sourceLang = a;
          targetLang = b;
          languagesFrom = 'header';
          continue;
        }
      }
      if (fields.length !== 2) {
        issues.error({ file, line, code: 'wrong-column-count', reason: `expected source<TAB>target (2 fields), found ${fields.length} field${fields.length === 1 ? '' : 's'}${fields.length === 1 ? ' (no tab)' : ''}` });
        continue;
      }
      const [source, target] = fields;
      const empty = isBlank(source) ? 'source' : isBlank(target) ? 'target' : undefined;
      if (empty) {
        issues.error({ file, line, column: empty === 'source' ? 1 : source.length + 2, code: 'empty-text', reason: `the ${empty} side is empty` });
        continue;
      }
      units.push(unit(source, target, sourceLang, targetLang, file, line));
    }
  }
  return { units, format: 'tsv', sourceLang, targetLang, languagesFrom };
}

async function readJsonlUnits(file: string, options: ParallelReadOptions, issues: IssueCollector): Promise<Omit<ReadPart, 'formatReason'>> {
  const asked = options.sourceLang !== undefined || options.targetLang !== undefined;
  let pair: [string, string] | undefined = options.sourceLang !== undefined && options.targetLang !== undefined ? [options.sourceLang, options.targetLang] : undefined;
  let pairFromKeys = false;
  const pairs = new Set<string>();
  const units: ParallelUnit[] = [];
  const fail = (record: RawRecord, code: DataError['code'], reason: string, field?: string): void => {
    const place = field !== undefined ? record.locate?.(field) : undefined;
    issues.error({ file, line: place?.line ?? record.source.line, ...(place ? { column: place.column } : {}), code, reason });
  };
  /** A side: present, a string, not blank; else the row's error. */
  const side = (record: RawRecord, value: unknown, field: string, what: string): string | undefined => {
    if (value === undefined || value === null) fail(record, 'missing-column', `no ${what}`, field);
    else if (typeof value !== 'string') fail(record, 'wrong-type', `${what} must be a string, found ${Array.isArray(value) ? 'an array' : typeof value}`, field);
    else if (isBlank(value)) fail(record, 'empty-text', `${what} is empty`, field);
    else return value;
    return undefined;
  };

  for await (const items of readJsonl(file, { maxLineBytes: options.maxLineBytes })) {
    for (const item of items) {
      if (item.kind !== 'record') {
        issues.error(item.error);
        continue;
      }
      const record = item;
      const fields = record.fields;
      const translation = fields.translation;
      if (translation !== undefined) {
        if (translation === null || typeof translation !== 'object' || Array.isArray(translation)) {
          fail(record, 'wrong-type', `"translation" must be an object of language code to text, e.g. {"en": "...", "de": "..."}`, 'translation');
          continue;
        }
        const keys = Object.keys(translation);
        const badKey = keys.find((k) => languageCodeProblem(k) !== undefined);
        if (badKey !== undefined) {
          fail(record, 'wrong-language', `"translation" key ${languageCodeProblem(badKey)}`, 'translation');
          continue;
        }
        let want = pair;
        if (want === undefined) {
          if (asked) {
            // One side asked for: the other is the only other key.
            const known = (options.sourceLang ?? options.targetLang)!;
            const others = keys.filter((k) => k !== known);
            if (!keys.includes(known) || others.length !== 1) {
              fail(record, 'wrong-language', `"translation" has ${keys.join(', ') || 'no languages'}; with only ${known} asked for it must hold ${known} and one other language (or ask for both codes)`, 'translation');
              continue;
            }
            want = options.sourceLang !== undefined ? [known, others[0]] : [others[0], known];
          } else {
            if (keys.length !== 2) {
              fail(record, 'wrong-language', `"translation" holds ${keys.length} languages (${keys.join(', ')}); say which pair to read (source and target language codes)`, 'translation');
              continue;
            }
            want = [keys[0], keys[1]];
          }
          // Fixed from here on: one run reads one pair.
          pair = want;
          pairFromKeys = true;
        }
        const missing = want.filter((k) => !keys.includes(k));
        if (missing.length) {
          fail(record, 'wrong-language', `"translation" has ${keys.join(', ') || 'no languages'}, not ${missing.join(' and ')} (the pair ${pairFromKeys ? 'of the first line' : 'asked for'} is ${want[0]}-${want[1]})`, 'translation');
          continue;
        }
        const t = translation as Record<string, unknown>;
        const source = side(record, t[want[0]], 'translation', `"translation"."${want[0]}"`);
        const target = source === undefined ? undefined : side(record, t[want[1]], 'translation', `"translation"."${want[1]}"`);
        if (source === undefined || target === undefined) continue;
        units.push(unit(source, target, want[0], want[1], file, record.source.line));
        pairs.add(`${want[0]}\t${want[1]}`);
        continue;
      }
      if ('source' in fields || 'target' in fields) {
        const source = side(record, fields.source, 'source', '"source"');
        const target = source === undefined ? undefined : side(record, fields.target, 'target', '"target"');
        if (source === undefined || target === undefined) continue;
        const langs: (string | undefined)[] = [];
        let bad = false;
        for (const [key, askedFor] of [['source_lang', options.sourceLang], ['target_lang', options.targetLang]] as const) {
          const code = fields[key];
          if (code === undefined || code === null) {
            langs.push(askedFor);
            continue;
          }
          const problem = typeof code === 'string' ? languageCodeProblem(code) : `must be a string, found ${typeof code}`;
          if (problem) fail(record, 'wrong-language', `"${key}": ${problem}`, key);
          else if (askedFor !== undefined && code !== askedFor) fail(record, 'wrong-language', `"${key}" is ${String(code)}, but ${askedFor} was asked for`, key);
          else {
            langs.push(code as string);
            continue;
          }
          bad = true;
          break;
        }
        if (bad) continue;
        units.push(unit(source, target, langs[0], langs[1], file, record.source.line));
        pairs.add(`${langs[0] ?? ''}\t${langs[1] ?? ''}`);
        continue;
      }
      fail(record, 'missing-column', `expected {"translation": {"en": "...", "de": "..."}} or {"source": "...", "target": "..."}; this line has ${Object.keys(fields).join(', ') || 'no fields'}`);
    }
  }
  const only = pairs.size === 1 ? [...pairs][0].split('\t') : undefined;
  const sourceLang = only?.[0] || undefined;
  const targetLang = only?.[1] || undefined;
  const languagesFrom: ParallelData['languagesFrom'] = pair !== undefined && !pairFromKeys ? 'options' : pairFromKeys ? 'json keys' : sourceLang !== undefined || targetLang !== undefined || pairs.size > 1 ? 'records' : 'unknown';
  return { units, format: 'jsonl', sourceLang, targetLang, languagesFrom };
}

function unit(source: string, target: string, sourceLang: string | undefined, targetLang: string | undefined, file: string, line: number): ParallelUnit {
  return { source, target, ...(sourceLang !== undefined ? { sourceLang } : {}), ...(targetLang !== undefined ? { targetLang } : {}), file, line };
}

/**
 * Whether one file holds parallel text and in which layout: by extension (.jsonl/.json/.ndjson, .tsv/.tab), else by
 * the first line (a JSON object, or a line with a tab). A JSONL file is parallel when its first object has
 * "translation" or "source" and "target"; a TSV when it splits in two columns, or `format` says so.
 */
export async function detectParallelFormat(file: string): Promise<{ format: 'tsv' | 'jsonl'; reason: string }> {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return { format: 'jsonl', reason: `extension ${ext}` };
  if (ext === '.tsv' || ext === '.tab') return { format: 'tsv', reason: `extension ${ext}` };
  const first = await firstLine(file);
  if (first.trimStart().startsWith('{')) return { format: 'jsonl', reason: 'the first line is a JSON object' };
  if (first.includes('\t')) return { format: 'tsv', reason: 'the first line has a tab' };
  throw new XlmError(
    'data/parallel-format',
    `${file}: cannot tell how it holds parallel text: name it .tsv (source<TAB>target) or .jsonl ({"translation": {...}} or {"source", "target"}), or give two line-aligned files`,
    { file, line: 1 },
  );
}

/** Whether a file is parallel text by its first row alone: a JSONL translation object or source/target pair, or a TSV headed by two language codes. */
export async function looksParallel(file: string): Promise<boolean> {
  const first = (await firstLine(file)).trim();
  if (first.startsWith('{')) {
    try {
      const row = JSON.parse(first) as Record<string, unknown>;
      const t = row.translation;
      return (t !== null && typeof t === 'object' && !Array.isArray(t)) || (typeof row.source === 'string' && typeof row.target === 'string');
    } catch {
      return false;
    }
  }
  const fields = first.split('\t');
  return fields.length === 2 && fields.every(looksLikeLanguageHeader);
}

async function firstLine(file: string): Promise<string> {
  for await (const batch of readLineBatches(file)) {
    const line = batch.find((l) => !isBlank(l.text));
    if (line) return line.text;
  }
  return '';
}

async function assertReadable(path: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new XlmError('data/not-found', 'no such file', { file: path });
    throw new XlmError('data/unreadable', `cannot read (${(e as Error).message})`, { file: path });
  }
  if (isFolder) throw new XlmError('data/not-a-file', 'this is a folder; give a data file', { file: path });
}
