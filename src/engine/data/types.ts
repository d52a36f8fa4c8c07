/**
 * The shapes every dataset reader produces and every consumer (trainer, eval, inspect, extension) reads.
 * One Example type for every task, so a trainer switches on which fields are present, not on the file format.
 */
import type { DataKind } from '../tasks/vocabulary.js';
import type { TagScheme } from './bio.js';
import { render, type NameOption, type Said } from '../errors.js';

/** Where a record starts: the file and its 1-based line (a multi-line CSV record or a NER sentence: its first line). */
export interface SourcePosition {
  file: string;
  line: number;
}

export interface Example {
  /** The text (for NER: the tokens joined by single spaces, for inspect and duplicate checks). */
  text: string;
  /** Second segment: NLI hypothesis, the target side of parallel text. */
  textPair?: string;
  /** Class name (ints in the file are mapped through id2label). */
  label?: string;
  /** Language code from a column, a WikiANN `xx:` prefix, or the reader's `language` option. */
  language?: string;
  /** Language of `textPair` (parallel text). */
  pairLanguage?: string;
  /** NER: words and one tag per word, IOB2 after reading. */
  tokens?: string[];
  tags?: string[];
  source: SourcePosition;
}

/** A row the readers refused (error) or dropped on purpose (warning), and why. */
export interface DataError {
  file: string;
  line: number;
  /** 1-based column in UTF-16 code units (the way VS Code counts), where it can be known. */
  column?: number;
  /** Why, naming any option as the engine does (textColumn); `said` keeps the option for each surface to name. */
  reason: string;
  /** The reason with its option names left to the surface (the CLI says --text-column); absent when it names none. */
  said?: Said;
  code: DataErrorCode;
}

export type DataErrorCode =
  | 'invalid-json'
  | 'not-an-object'
  | 'duplicate-key'
  | 'missing-column'
  | 'wrong-type'
  | 'unknown-label'
  | 'empty-text'
  | 'wrong-column-count'
  | 'csv-syntax'
  | 'invalid-utf8'
  | 'line-too-long'
  | 'invalid-bio'
  | 'tag-count'
  | 'unaligned'
  | 'wrong-language'
  | 'no-gold-label';

export type DataFormat = 'jsonl' | 'csv' | 'tsv' | 'xnli' | 'conll' | 'text' | 'parallel';

/** What the columns hold, in the task vocabulary's words (parallel text is its own kind). */
export type { DataKind };

/** Which column of the file fills which Example field (after detection and overrides). */
export interface ColumnMapping {
  text?: string;
  pair?: string;
  label?: string;
  language?: string;
  tokens?: string;
  tags?: string;
}

export interface ReadOptions {
  /** Skip detection. */
  format?: DataFormat;
  /** The second file of a parallel corpus (line n of `path` is aligned with line n of this one). */
  pairPath?: string;
  /** What to expect; detected from the columns when absent. */
  kind?: DataKind;
  textColumn?: string;
  pairColumn?: string;
  labelColumn?: string;
  languageColumn?: string;
  tokensColumn?: string;
  tagsColumn?: string;
  /** Rows without a label are kept (evaluation of unlabeled data, prediction); by default they are errors. */
  labelsOptional?: boolean;
  /** The label set: a label outside it is a row error. */
  labels?: readonly string[];
  /** Integer labels (and integer NER tags) are mapped through this; its values become the label set. */
  id2label?: Readonly<Record<string | number, string>>;
  /** Language of every row when the file has no language column (plain text, parallel source side). */
  language?: string;
  pairLanguage?: string;
  /** Keep only rows in these languages (zero-shot transfer: train on one language). */
  onlyLanguages?: readonly string[];
  /** 'stop' (default): the data is refused once `maxErrors` errors are seen, or at the end if any were. 'skip': bad rows are reported and left out. */
  onError?: 'stop' | 'skip';
  /** How many errors 'stop' collects before it gives up (default 10), so one run shows several problems at once. */
  maxErrors?: number;
  /** Errors and warnings kept in the report (default 1000); later ones are only counted. */
  maxReported?: number;
  /** A line longer than this many bytes is refused without being held in memory (default 4 MiB). */
  maxLineBytes?: number;
  /** CSV/TSV: whether the first row names the columns (detected when absent). */
  header?: boolean;
  /**
   * CSV/TSV: whether `"` quotes fields (RFC 4180). CSV: on. TSV: on only when the file's first 64 KiB has a field
   * wrapped whole in quotes, since most NLP TSVs hold quotes as plain text. XNLI's TSV: off.
   */
  quote?: boolean;
  /**
   * NER: the scheme of the file's tags, converted to IOB2 as they are read: 'iob1' (the original CoNLL-2003
   * release), 'iob2', 'bioes', 'bilou'. Detected from the first sentences when absent (IOB2 when they do not tell).
   */
  tagScheme?: TagScheme;
  /** Called for every error and warning as it is found (a log, a progress view). */
  onIssue?: (issue: DataError, severity: 'error' | 'warning') => void;
  /**
   * Where `labels` came from: 'model' when they are a model's id2label (evaluation), so rows whose labels it lacks
   * point at the choice of model; the refusal's advice says so. Absent: the rows are told to be fixed.
   */
  labelsFrom?: 'model';
}

/** What one pass over a file found. */
export interface ReadReport {
  file: string;
  format: DataFormat;
  kind: DataKind;
  columns: ColumnMapping;
  /** Examples yielded. */
  rows: number;
  /** Rows left out because of a filter (onlyLanguages), not because they were bad. */
  filtered: number;
  errorCount: number;
  warningCount: number;
  /** The first `maxReported` errors and warnings. */
  errors: DataError[];
  warnings: DataError[];
}

/** `file:line:column: reason`, the form terminals and editors turn into links (options named as the engine names them). */
export function formatDataError(e: DataError): string {
  return formatDataErrorNaming(e, (n) => n);
}

/** The same with each option the reason names said by `name` (the CLI: its flag). */
export function formatDataErrorNaming(e: DataError, name: NameOption): string {
  return `${e.file}:${e.line}${e.column !== undefined ? `:${e.column}` : ''}: ${e.said ? render(e.said, name) : e.reason}`;
}

/** A summary's errors and warnings as a surface prints them: each reason with its options named by `name`, no `said`. */
export function withReasonsNamed<T extends { errors?: DataError[]; warnings?: DataError[]; tagScheme?: { reason: string; said?: Said } }>(summary: T, name: NameOption): T {
  const named = <R extends { reason: string; said?: Said }>({ said, ...e }: R) => (said ? { ...e, reason: render(said, name) } : e);
  return {
    ...summary,
    ...(summary.errors ? { errors: summary.errors.map(named) } : {}),
    ...(summary.warnings ? { warnings: summary.warnings.map(named) } : {}),
    ...(summary.tagScheme ? { tagScheme: named(summary.tagScheme) } : {}),
  };
}
