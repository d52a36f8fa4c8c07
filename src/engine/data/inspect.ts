/**
 * `xlm data inspect FILE` and the extension's data view: what is in a file before training on it. One
 * streaming pass (bad rows are reported, never fatal here), so a large file is summarised in bounded memory,
 * apart from one small entry per distinct text for the duplicate check.
 */
import type { SchemeChoice } from './bio.js';
import { openDataset } from './dataset.js';
import { detectScript, languageOfScript } from './script.js';
import type { ColumnMapping, DataError, DataFormat, DataKind, Example, ReadOptions } from './types.js';

export interface InspectOptions extends ReadOptions {
  /** Rows longer than this (in the length unit) are counted as truncated (default 128, the trainer's default). */
  maxLength?: number;
  /** How many duplicate / conflict examples to list (default 10). */
  samples?: number;
  /** What `tokenizeLength` counts (default 'tokens'); 'words' for a whitespace count when no tokenizer is at hand. */
  lengthUnit?: 'tokens' | 'words';
}

/** Token count of a row, from the model's tokenizer (special tokens included, if the caller counts them). */
export type TokenizeLength = (text: string, textPair?: string) => number;

export interface LengthSummary {
  unit: 'tokens' | 'words' | 'characters';
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  /** Rows per length range [from, to), up to the longest row; `to` null means "and longer" (JSON has no Infinity). */
  histogram: { from: number; to: number | null; count: number }[];
  maxLength: number;
  overMaxLength: number;
}

export interface DuplicateSummary {
  /** Rows whose text (and pair) appeared on an earlier row. */
  rows: number;
  /** Distinct texts seen more than once. */
  groups: number;
  /** Texts seen with more than one label (or tag sequence). */
  conflictingGroups: number;
  /** Rows of those texts. */
  conflictingRows: number;
  examples: { line: number; firstLine: number; text: string }[];
  conflicts: { lines: number[]; labels: string[]; text: string }[];
}

export interface DatasetSummary {
  file: string;
  format: DataFormat;
  formatReason: string;
  kind: DataKind;
  columns: ColumnMapping;
  fieldNames: readonly string[];
  /** NER: the scheme the tags were read in (converted to IOB2) and why. */
  tagScheme?: SchemeChoice;
  rows: number;
  errorCount: number;
  warningCount: number;
  errors: DataError[];
  warnings: DataError[];
  labels?: Record<string, number>;
  /** From the language column (or WikiANN prefixes), or guessed from the script where one language owns it. */
  languages: { source: 'column' | 'script'; counts: Record<string, number> };
  /** Rows by their main writing system. */
  scripts: Record<string, number>;
  length: LengthSummary;
  duplicates: DuplicateSummary;
}

const HISTOGRAM_EDGES = [0, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];

export async function inspectDataset(path: string, options: InspectOptions = {}, tokenizeLength?: TokenizeLength): Promise<DatasetSummary> {
  const maxLength = options.maxLength ?? 128;
  const samples = options.samples ?? 10;
  const dataset = await openDataset(path, { ...options, onError: 'skip' });
  const ner = dataset.kind === 'token-classification';

  const labels = new Map<string, number>();
  const columnLanguages = new Map<string, number>();
  const scriptLanguages = new Map<string, number>();
  const scripts = new Map<string, number>();
  const lengthCounts = new Map<number, number>();
  let lengthSum = 0;
  let overMaxLength = 0;
  const duplicates = new DuplicateTracker(samples);

  for await (const batch of dataset.batches()) {
    for (const example of batch) {
      const label = ner ? example.tags!.join(' ') : example.label;
      if (!ner && label !== undefined) bump(labels, label);
      const script = detectScript(example.textPair === undefined ? example.text : `${example.text} ${example.textPair}`);
      bump(scripts, script);
      if (example.language !== undefined) bump(columnLanguages, example.language);
      else bump(scriptLanguages, languageOfScript(script) ?? `(${script} script)`);
      const length = tokenizeLength ? tokenizeLength(example.text, example.textPair) : characterLength(example);
      bump(lengthCounts, length);
      lengthSum += length;
      if (length > maxLength) overMaxLength++;
      duplicates.add(example, label);
    }
    if (ner) for (const example of batch) for (const tag of example.tags!) bump(labels, tag);
  }

  const report = dataset.report;
  const summary: DatasetSummary = {
    file: path,
    format: dataset.format,
    formatReason: dataset.formatReason,
    kind: dataset.kind,
    columns: dataset.columns,
    fieldNames: dataset.fieldNames,
    rows: report.rows,
    errorCount: report.errorCount,
    warningCount: report.warningCount,
    errors: report.errors,
    warnings: report.warnings,
    languages: columnLanguages.size > 0 ? { source: 'column', counts: sortedRecord(columnLanguages) } : { source: 'script', counts: sortedRecord(scriptLanguages) },
    scripts: sortedRecord(scripts),
    length: summarizeLengths(lengthCounts, lengthSum, report.rows, tokenizeLength ? (options.lengthUnit ?? 'tokens') : 'characters', maxLength, overMaxLength),
    duplicates: duplicates.summary(),
  };
  if (labels.size > 0) summary.labels = sortedRecord(labels);
  if (dataset.tagScheme) summary.tagScheme = dataset.tagScheme;
  return summary;
}

function characterLength(example: Example): number {
  return example.text.length + (example.textPair?.length ?? 0);
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Most frequent first (ties by name), as a plain object for JSON. */
function sortedRecord(map: Map<string, number>): Record<string, number> {
  const entries = [...map].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return Object.fromEntries(entries);
}

function summarizeLengths(
  counts: Map<number, number>,
  sum: number,
  rows: number,
  unit: LengthSummary['unit'],
  maxLength: number,
  overMaxLength: number,
): LengthSummary {
  const lengths = [...counts.keys()].sort((a, b) => a - b);
  const percentile = (p: number): number => {
    if (rows === 0) return 0;
    const rank = Math.ceil((p / 100) * rows); // nearest-rank
    let seen = 0;
    for (const length of lengths) {
      seen += counts.get(length)!;
      if (seen >= rank) return length;
    }
    return lengths[lengths.length - 1];
  };
  const histogram = HISTOGRAM_EDGES.map((from, i) => ({ from, to: HISTOGRAM_EDGES[i + 1] ?? null, count: 0 }));
  for (const [length, n] of counts) {
    let bin = histogram.length - 1;
    while (length < histogram[bin].from) bin--;
    histogram[bin].count += n;
  }
  while (histogram.length > 1 && histogram[histogram.length - 1].count === 0) histogram.pop();
  return {
    unit,
    min: lengths[0] ?? 0,
    max: lengths[lengths.length - 1] ?? 0,
    mean: rows === 0 ? 0 : sum / rows,
    p50: percentile(50),
    p90: percentile(90),
    p95: percentile(95),
    p99: percentile(99),
    histogram,
    maxLength,
    overMaxLength,
  };
}

/**
 * Exact-text duplicates, keyed by a 53-bit hash of text + pair (two 32-bit FNV-1a variants), so memory is one
 * small entry per distinct text rather than the text itself. A hash collision could merge two different texts;
 * at 10 million rows the chance of any is about 1 in 200, and the listed line numbers let a user check.
 */
class DuplicateTracker {
  private readonly groups = new Map<number, { firstLine: number; label: string | undefined; count: number; conflict: boolean; lines: number[]; labels: string[]; text: string }>();
  private duplicateRows = 0;
  private readonly examples: DuplicateSummary['examples'] = [];

  constructor(private readonly samples: number) {}

  add(example: Example, label: string | undefined): void {
    const key = hashText(example.textPair === undefined ? example.text : `${example.text}\u0000${example.textPair}`);
    const group = this.groups.get(key);
    if (group === undefined) {
      this.groups.set(key, { firstLine: example.source.line, label, count: 1, conflict: false, lines: [], labels: [], text: '' });
      return;
    }
    group.count++;
    this.duplicateRows++;
    if (this.examples.length < this.samples) this.examples.push({ line: example.source.line, firstLine: group.firstLine, text: clip(example.text) });
    if (label !== group.label) {
      if (!group.conflict) {
        group.conflict = true;
        group.lines.push(group.firstLine);
        group.labels.push(group.label ?? '(none)');
        group.text = clip(example.text);
      }
      if (!group.labels.includes(label ?? '(none)') && group.labels.length < 5) {
        group.lines.push(example.source.line);
        group.labels.push(label ?? '(none)');
      }
    }
  }

  summary(): DuplicateSummary {
    let groups = 0;
    let conflictingGroups = 0;
    let conflictingRows = 0;
    const conflicts: DuplicateSummary['conflicts'] = [];
    for (const g of this.groups.values()) {
      if (g.count > 1) groups++;
      if (g.conflict) {
        conflictingGroups++;
        conflictingRows += g.count;
        if (conflicts.length < this.samples) conflicts.push({ lines: g.lines, labels: g.labels, text: g.text });
      }
    }
    return { rows: this.duplicateRows, groups, conflictingGroups, conflictingRows, examples: this.examples, conflicts };
  }
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function hashText(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}
