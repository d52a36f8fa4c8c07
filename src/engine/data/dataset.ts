/**
 * The entry point the trainer, eval and inspect use: open a file (format detected, columns planned), then
 * stream its Examples as many times as needed (one pass per epoch), each pass reporting its bad rows under
 * the error policy. Nothing but the current chunk is held in memory; loadDataset (memory.ts) is the
 * in-memory form for small data.
 */
import { stat } from 'node:fs/promises';
import { XlmError, field, said } from '../errors.js';
import { TagSchemeEvidence, type SchemeChoice } from './bio.js';
import { planColumns, KNOWN_COLUMNS, type ColumnPlan } from './columns.js';
import { readDelimited } from './csv.js';
import { readConll } from './conll.js';
import { detectFormat, sniffTsvQuoting } from './detect.js';
import { IssueCollector } from './issues.js';
import { readJsonl } from './jsonl.js';
import type { RecordItem } from './record.js';
import { createRowMapper } from './rows.js';
import { readParallelFiles, readTextLines } from './text.js';
import type { ColumnMapping, DataFormat, DataKind, Example, ReadOptions, ReadReport } from './types.js';

export interface Dataset extends AsyncIterable<Example> {
  readonly path: string;
  readonly format: DataFormat;
  /** Why this format was chosen (extension, content, or the caller). */
  readonly formatReason: string;
  readonly kind: DataKind;
  readonly columns: ColumnMapping;
  /** Column names as the file has them (JSONL: the first row's keys). */
  readonly fieldNames: readonly string[];
  /** NER: the tag scheme the file is read in (converted to IOB2) and why. */
  readonly tagScheme?: SchemeChoice;
  /** The pass in progress, or the last one finished. */
  readonly report: ReadReport;
  /** Examples a chunk at a time: the cheap way to stream a big file. */
  batches(): AsyncGenerator<Example[]>;
  /** The format reader's raw records (fields as the file has them, and where each field sits), before column mapping. */
  records(): AsyncGenerator<RecordItem[]>;
}

export async function openDataset(path: string, options: ReadOptions = {}): Promise<Dataset> {
  let format: DataFormat;
  let formatReason: string;
  if (options.format !== undefined) {
    await assertReadable(path);
    if (options.pairPath !== undefined) await assertReadable(options.pairPath);
    format = options.format;
    formatReason = 'given by the caller';
  } else {
    if (options.pairPath !== undefined) await assertReadable(options.pairPath);
    ({ format, reason: formatReason } = await detectFormat(path, options.pairPath));
  }
  const tabSeparated = format === 'tsv' || (format === 'parallel' && options.pairPath === undefined);
  const quote = options.quote ?? (format === 'csv' ? true : tabSeparated ? await sniffTsvQuoting(path) : false);
  if (tabSeparated && options.quote === undefined) formatReason += quote ? '; fields are quoted' : '; quotes are plain text';
  const reader = (): AsyncGenerator<RecordItem[]> => recordReader(path, format, { ...options, quote });

  const { fieldNames, sawRows } = await peekFields(reader());
  if (fieldNames === null && !sawRows) throw new XlmError('data/empty', 'this file has no rows', { file: path });
  const plan: ColumnPlan = planColumns(fieldNames ?? [], format, options, path);
  if (options.onlyLanguages && plan.columns.language === undefined && options.language === undefined && plan.language === undefined && format !== 'conll') {
    throw new XlmError(
      'data/no-language',
      said`${path}: keeping only languages ${options.onlyLanguages.join(', ')} needs a language column (lang or language; or ${field('languageColumn')}), and this file has none among: ${(fieldNames ?? []).join(', ')}`,
      { file: path },
    );
  }
  let tagScheme: Dataset['tagScheme'];
  if (plan.kind === 'token-classification') {
    tagScheme = options.tagScheme !== undefined ? { scheme: options.tagScheme, reason: 'given by the caller' } : await detectTagScheme(reader(), plan.columns.tags, options);
  }
  const mapper = createRowMapper(plan, format, tagScheme ? { ...options, tagScheme: tagScheme.scheme } : options);
  const only = options.onlyLanguages ? new Set(options.onlyLanguages) : null;
  let report = emptyReport(path, format, plan);

  async function* batches(): AsyncGenerator<Example[]> {
    report = emptyReport(path, format, plan);
    const issues = new IssueCollector(options);
    // The report's arrays are the collector's own, so a caller watching report sees problems as they come.
    report.errors = issues.errors;
    report.warnings = issues.warnings;
    const sync = (): void => {
      report.errorCount = issues.errorCount;
      report.warningCount = issues.warningCount;
    };
    try {
      for await (const items of reader()) {
        const out: Example[] = [];
        for (const item of items) {
          if (item.kind !== 'record') {
            if (item.kind === 'error') issues.error(item.error);
            else issues.warning(item.error);
          } else {
            const row = mapper(item);
            if ('kind' in row) {
              if (row.kind === 'error') issues.error(row.error);
              else issues.warning(row.error);
            } else if (only !== null && (row.language === undefined || !only.has(row.language))) report.filtered++;
            else out.push(row);
          }
        }
        sync();
        if (out.length > 0) {
          report.rows += out.length;
          yield out;
        }
      }
      issues.finish();
    } finally {
      sync();
    }
  }

  return {
    path,
    format,
    formatReason,
    kind: plan.kind,
    columns: plan.columns,
    fieldNames: fieldNames ?? [],
    tagScheme,
    get report() {
      return report;
    },
    batches,
    records: reader,
    async *[Symbol.asyncIterator]() {
      for await (const batch of batches()) yield* batch;
    },
  };
}

/** One full pass that keeps nothing: the report (throws under 'stop' when there are bad rows). */
export async function validateDataset(path: string, options: ReadOptions = {}): Promise<ReadReport> {
  const dataset = await openDataset(path, options);
  for await (const _batch of dataset.batches()) {
    // rows are counted by the pass itself
  }
  return dataset.report;
}

function recordReader(path: string, format: DataFormat, options: ReadOptions): AsyncGenerator<RecordItem[]> {
  const lineOptions = { maxLineBytes: options.maxLineBytes };
  // A first row naming a column the caller asked for is a header too.
  const named = [options.textColumn, options.pairColumn, options.labelColumn, options.languageColumn, options.tokensColumn, options.tagsColumn];
  const knownColumns = new Set([...KNOWN_COLUMNS, ...named.filter((n): n is string => n !== undefined).map((n) => n.toLowerCase())]);
  const delimited = (delimiter: ',' | '\t', quote: boolean, header: boolean | undefined) =>
    readDelimited(path, { ...lineOptions, delimiter, quote, header, knownColumns });
  switch (format) {
    case 'jsonl':
      return readJsonl(path, lineOptions);
    case 'csv':
      return delimited(',', options.quote ?? true, options.header);
    case 'tsv':
      return delimited('\t', options.quote ?? false, options.header);
    case 'xnli':
      // XNLI's TSV has quotes inside sentences and no quoting: every line is one record (unless the caller says otherwise).
      return delimited('\t', options.quote ?? false, options.header ?? true);
    case 'conll':
      return readConll(path, lineOptions);
    case 'text':
      return readTextLines(path, lineOptions);
    case 'parallel':
      return options.pairPath !== undefined ? readParallelFiles(path, options.pairPath, lineOptions) : delimited('\t', options.quote ?? false, options.header);
  }
}

/** How many sentences the tag scheme is told from: enough to be sure, few enough to cost nothing next to a pass. */
const SCHEME_SENTENCES = 2000;

/** The tag scheme from the first sentences' tags (integer tags read through id2label). */
async function detectTagScheme(items: AsyncGenerator<RecordItem[]>, tagsColumn: string | undefined, options: ReadOptions): Promise<SchemeChoice> {
  const evidence = new TagSchemeEvidence();
  let sentences = 0;
  try {
    for await (const batch of items) {
      for (const item of batch) {
        if (item.kind !== 'record' || tagsColumn === undefined) continue;
        const tags = item.fields[tagsColumn];
        if (!Array.isArray(tags)) continue;
        evidence.add(tags.map((t: unknown) => (typeof t === 'number' ? options.id2label?.[t] : typeof t === 'string' ? t : undefined)));
        if (++sentences >= SCHEME_SENTENCES) return evidence.decide();
      }
    }
    return evidence.decide();
  } finally {
    await items.return(undefined);
  }
}

/** The first good record's field names (null if there is none with fields), without reading further than needed. */
async function peekFields(items: AsyncGenerator<RecordItem[]>): Promise<{ fieldNames: string[] | null; sawRows: boolean }> {
  let sawRows = false;
  try {
    for await (const batch of items) {
      for (const item of batch) {
        sawRows = true;
        // An empty object says nothing about the columns: the plan comes from the first record that has some.
        if (item.kind === 'record' && Object.keys(item.fields).length > 0) return { fieldNames: Object.keys(item.fields), sawRows };
      }
    }
    return { fieldNames: null, sawRows };
  } finally {
    await items.return(undefined);
  }
}

/** Refuses a path that is no file (missing, or a folder) with the reader's own error, before anything reads it. */
export async function assertReadable(path: string): Promise<void> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new XlmError('data/not-a-file', 'this is a folder; give a data file', { file: path });
  } catch (e) {
    if (e instanceof XlmError) throw e;
    throw new XlmError('data/not-found', 'no such file', { file: path });
  }
}

function emptyReport(file: string, format: DataFormat, plan: ColumnPlan): ReadReport {
  return { file, format, kind: plan.kind, columns: plan.columns, rows: 0, filtered: 0, errorCount: 0, warningCount: 0, errors: [], warnings: [] };
}
