/**
 * `auditLabels(options)`: which rows of a labelled data file are likely wrong, and where each is written. Out-of-sample
 * probabilities (probabilities.ts: k-fold logistic regression on the frozen model's features, or k-fold LoRA) go through confident learning (confident-learning.ts) for the labels (NER: every
 * word's tag); the model-free checks (checks.ts) add conflicting duplicates, rows in another language than their
 * language value's others, and rows far longer than the rest. Every flag carries the line and column of the value
 * it is about (places.ts), the label it suggests where there is one, and a score; the report is written to
 * OUT/audit.json, next to the folds' training logs.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { loadDataset, detectScript, type LoadedDataset, type ReadOptions } from '../data/index.js';
import { XlmError, render, type NameOption } from '../errors.js';
import { skippedRows } from '../data/issues.js';
import { writeWhole } from '../io-errors.js';
import { ModelCache } from '../runtime/model-cache.js';
import { hasLanguageId, identifyLanguage } from '../tasks/language-id.js';
import { conflictingDuplicates, languageOutliers, lengthOutliers, LENGTH_FACTOR } from './checks.js';
import { argmaxFavouring, findLabelIssues, withRuledOut } from './confident-learning.js';
import { locateFields, type PlaceRequest } from './places.js';
import { DEFAULT_FOLD_TRAINING, outOfSampleProbabilities, type AuditMethod, type AuditProgress, type AuditTask, type EstimateChoice, type FoldTraining, type Probabilities } from './probabilities.js';

export type { AuditProgress } from './probabilities.js';

export type AuditFlagKind = 'label' | 'tag' | 'duplicate' | 'language' | 'length';

export interface AuditFlag {
  kind: AuditFlagKind;
  file: string;
  /** 1-based line and column (UTF-16 code units) of the flagged value: the label, the tag, the language or the text. */
  line: number;
  column: number;
  /** Just past the value's last character (the value spans column to endColumn - 1 on `line`). */
  endColumn: number;
  /** The edit that writes the suggested value there, encoded as the format needs (a JSON string, a CSV cell, a tag). */
  fix?: { text: string };
  /** The first line of the row (a CSV record or a NER sentence may span several). */
  rowLine: number;
  /** What is written there now. */
  given: string;
  /** What it should likely be (absent where the check cannot say, e.g. a long row). */
  suggested?: string;
  /** Label and tag flags: the out-of-sample probability of the suggested label (how sure the suggestion is). */
  suggestedProbability?: number;
  /**
   * How strongly the row is flagged: label and tag, 1 − the probability of the given label out of sample;
   * duplicate, the share of the group that has the suggested label; language, the identifier's probability;
   * length, the row's length over the file's median.
   */
  score: number;
  /** One sentence for people. */
  message: string;
  /** NER: the word (0-based) whose tag is flagged, and the word itself. */
  word?: number;
  token?: string;
}

export interface AuditReport {
  format: 'xlm-lab-audit/1';
  file: string;
  model: string;
  task: AuditTask;
  /** 0: the model's own predictions (--no-folds). */
  folds: number;
  /** How the folds' probabilities were made: logistic regression on the frozen model's features, or LoRA fine-tuning (absent with --no-folds). */
  method?: AuditMethod;
  /** The features method on rows: which out-of-fold estimate was used, and each estimate's cross-entropy of the given labels. */
  estimate?: EstimateChoice;
  training?: FoldTraining;
  rows: number;
  labels: string[];
  /**
   * The share of rows (words, for token classification) whose given label the model finds most probable out of
   * sample (in its own predictions with no folds, where it has seen the labels): how well it knows the task.
   * Confident learning's flags are only as good as these predictions. Absent when no row (word) was predicted.
   */
  agreement?: number;
  /** Set when `agreement` is under AGREEMENT_TO_TRUST: why many flags may be the model's mistakes, and what to do. */
  caution?: string;
  /** Per-class thresholds of confident learning (mean self-confidence), by label. */
  thresholds: Record<string, number>;
  /** Flags per kind. */
  counts: Record<AuditFlagKind, number>;
  /** Most likely wrong first within each kind: labels (or tags), duplicates, language, length. */
  flags: AuditFlag[];
  seconds: number;
  /** Where this report was written. */
  report: string;
}

export interface AuditOptions {
  model: string;
  file: string;
  /** Default 5; 0 for --no-folds. */
  folds?: number;
  /** Default 'features'. */
  method?: AuditMethod;
  training?: Partial<FoldTraining>;
  readOptions?: ReadOptions;
  /** The run folder (audit.json, fold logs). */
  out: string;
  threads?: number;
  signal?: AbortSignal;
  onProgress?(p: AuditProgress): void;
  onLog?(line: string): void;
  /** How the log lines name an option (the CLI: its flag); by default as the option (onError). */
  nameOption?: NameOption;
}

export async function auditLabels(o: AuditOptions): Promise<AuditReport> {
  const started = performance.now();
  const out = resolve(o.out);
  const folds = o.folds ?? 5;
  const training = { ...DEFAULT_FOLD_TRAINING, ...o.training };
  o.onProgress?.({ phase: 'loading', fraction: 0 });
  const data = await readData(o, folds);
  for (const line of skippedRows(data.info.report)) o.onLog?.(render(line, o.nameOption));
  const task: AuditTask = data.info.kind === 'token-classification' ? 'token-cls' : 'seq-cls';
  if (data.labels.length < 2) throw new XlmError('audit-one-label', `${o.file}: every row has the label '${data.labels[0] ?? ''}'; an audit compares labels, it needs at least two`, { file: o.file });
  // A failed audit leaves no empty --out folder behind (one it did not make, or one with files in it, stays).
  const made = !existsSync(out);
  mkdirSync(out, { recursive: true });
  try {
    return await auditInto(out, o, data, task, folds, training, started);
  } catch (e) {
    if (made && readdirSync(out).length === 0) rmSync(out, { recursive: true, force: true });
    throw e;
  }
}

async function auditInto(out: string, o: AuditOptions, data: Awaited<ReturnType<typeof readData>>, task: AuditTask, folds: number, training: typeof DEFAULT_FOLD_TRAINING, started: number): Promise<AuditReport> {
  const method = o.method ?? 'features';
  const probs = await outOfSampleProbabilities({ model: o.model, data, task, folds, method, training, out, threads: o.threads, signal: o.signal, onProgress: o.onProgress, onLog: o.onLog });
  o.onProgress?.({ phase: 'checks', fraction: 1 });
  const { flags: labelFlags, thresholds, agreement } = labelIssues(data, probs);
  const flags: Pending[] = [...labelFlags, ...duplicateFlags(data, probs)];
  if (data.info.columns.language !== undefined) flags.push(...(await languageFlags(data, o)));
  flags.push(...lengthFlags(data));
  const placed = await place(data, o, flags);
  const counts: Record<AuditFlagKind, number> = { label: 0, tag: 0, duplicate: 0, language: 0, length: 0 };
  for (const f of placed) counts[f.kind]++;
  const report: AuditReport = {
    format: 'xlm-lab-audit/1', file: resolve(o.file), model: resolve(o.model), task, folds, ...(folds ? { method, training } : {}),
    ...(probs.task === 'seq-cls' && probs.estimate ? { estimate: probs.estimate } : {}),
    rows: data.size, labels: [...data.labels], ...agreementFields(agreement, task, folds), thresholds: Object.fromEntries(data.labels.map((l, k) => [l, round(thresholds[k])])),
    counts, flags: placed, seconds: round((performance.now() - started) / 1000), report: join(out, 'audit.json'),
  };
  writeWhole(report.report, JSON.stringify(report, null, 2) + '\n');
  o.onProgress?.({ phase: 'done', fraction: 1 });
  return report;
}

/**
 * Below this agreement of the out-of-sample predictions with the given labels, the report cautions. Measured with
 * bench/audit-flip.ts on the shipped model (step 24,500): the examples' language identification, 5% and 10% of labels
 * flipped, agreement 0.93-0.94 and 0.87-0.89 over six flip seeds, mean precision 0.91-0.97; the generated NER file,
 * 5% of entities corrupted, 0.98 of words and precision 0.99-1.00; which UDHR article a paragraph is, in 48 languages,
 * 5% flipped: agreement 0.72 with the nearest-neighbour estimate (0.56 with the logistic regression alone), and 354
 * rows flagged for 114 flipped labels (precision 0.28), though 84 of the 114 highest scores were flips. Hence 0.8
 * (it was 0.7, under which that file did not caution). A model that knew the task perfectly would agree with the
 * right labels only, so a file with more than 20% wrong labels cautions too; so many wrong labels are beyond what
 * confident learning ranks well.
 */
export const AGREEMENT_TO_TRUST = 0.8;

/** The report's agreement, rounded, and its caution when that is under AGREEMENT_TO_TRUST. */
function agreementFields(agreement: number | undefined, task: AuditTask, folds: number): { agreement?: number; caution?: string } {
  if (agreement === undefined) return {};
  const rounded = round(agreement);
  if (rounded >= AGREEMENT_TO_TRUST) return { agreement: rounded };
  const items = task === 'token-cls' ? 'words' : 'rows';
  const where = folds ? 'out of sample' : 'in its own predictions';
  return {
    agreement: rounded,
    caution:
      `${where} the model finds the given ${task === 'token-cls' ? 'tag' : 'label'} most probable for only ${(100 * rounded).toFixed(1)}% of ${items}, so either it does not know ` +
      `this task well or many labels are wrong, and many flags may be its own mistakes: read them from the highest score down, and audit with a model that knows the task better`,
  };
}

/** A flag before its place in the file is known. */
type Pending = Omit<AuditFlag, 'file' | 'line' | 'column' | 'endColumn' | 'fix' | 'rowLine'> & { row: number; field: 'label' | 'tags' | 'language' | 'text'; index?: number };

async function readData(o: AuditOptions, folds: number): Promise<LoadedDataset> {
  const read: ReadOptions = { ...o.readOptions };
  if (folds === 0) {
    // The model's own predictions index its id2label: the file is read with those labels.
    const models = new ModelCache();
    try {
      const labels = (await models.model(o.model)).config.id2label;
      if (labels.length) Object.assign(read, { labels, id2label: Object.fromEntries(labels.map((l, i) => [i, l])) });
    } finally {
      await models.closeAll();
    }
  }
  const data = await loadDataset(o.file, read);
  const kind = data.info.kind;
  if (kind !== 'sequence-classification' && kind !== 'pair-classification' && kind !== 'token-classification') {
    throw new XlmError('wrong-data-kind', `${o.file} reads as ${kind}; an audit needs labelled rows (text + label, a pair + label, or tokens + tags)`, { file: o.file });
  }
  if (data.size === 0) throw new XlmError('empty-data', `${o.file} has no rows to audit`, { file: o.file });
  return data;
}

/**
 * The share of items whose given label is their most probable one, ties going to the given label as confident
 * learning's last step lets them go (argmaxFavouring); items without a label are left out. Undefined with no item.
 */
function agreementOf(labels: ArrayLike<number>, rows: readonly ArrayLike<number>[]): number | undefined {
  let agree = 0;
  let items = 0;
  rows.forEach((p, i) => {
    if (labels[i]! < 0) return;
    items++;
    if (argmaxFavouring(p, labels[i]!) === labels[i]) agree++;
  });
  return items ? agree / items : undefined;
}

function labelIssues(data: LoadedDataset, probs: Probabilities): { flags: Pending[]; thresholds: number[]; agreement: number | undefined } {
  const K = data.labels.length;
  if (probs.task === 'seq-cls') {
    const labels = Int32Array.from({ length: data.size }, (_, i) => data.labelId(i));
    const result = findLabelIssues(labels, probs.rows, K);
    const flags = withRuledOut(result, labels, probs.rows).map((issue): Pending => ({
      kind: 'label', row: issue.index, field: 'label', given: data.labels[issue.given], suggested: data.labels[issue.suggested], suggestedProbability: round(probs.rows[issue.index][issue.suggested]), score: round(1 - issue.selfConfidence),
      message: `the label '${data.labels[issue.given]}' is likely wrong: out of sample the model gives it ${percent(issue.selfConfidence)} and '${data.labels[issue.suggested]}' ${percent(probs.rows[issue.index][issue.suggested])}`,
    }));
    return { flags, thresholds: result.thresholds, agreement: agreementOf(labels, probs.rows) };
  }
  // Token classification: every word with a prediction is one item (cleanlab's token_classification flattens the same way).
  const at: [number, number][] = [];
  const labels: number[] = [];
  const rows: Float64Array[] = [];
  probs.rows.forEach((words, i) => {
    const tags = data.tagIds(i)!;
    words.forEach((p, w) => {
      if (p === null) return;
      at.push([i, w]);
      labels.push(tags[w]);
      rows.push(p);
    });
  });
  const result = findLabelIssues(labels, rows, K);
  const flags = withRuledOut(result, labels, rows).map((issue): Pending => {
    const [row, word] = at[issue.index];
    const token = data.tokens(row)![word];
    return {
      kind: 'tag', row, field: 'tags', index: word, word, token, given: data.labels[issue.given], suggested: data.labels[issue.suggested], suggestedProbability: round(rows[issue.index][issue.suggested]), score: round(1 - issue.selfConfidence),
      message: `the tag '${data.labels[issue.given]}' of '${token}' is likely wrong: out of sample the model gives it ${percent(issue.selfConfidence)} and '${data.labels[issue.suggested]}' ${percent(rows[issue.index][issue.suggested])}`,
    };
  });
  return { flags, thresholds: result.thresholds, agreement: agreementOf(labels, rows) };
}

function duplicateFlags(data: LoadedDataset, probs: Probabilities): Pending[] {
  if (probs.task !== 'seq-cls') return [];
  const preference = (rows: readonly number[], label: number) => rows.reduce((s, i) => s + probs.rows[i][label], 0);
  const flags: Pending[] = [];
  for (const group of conflictingDuplicates(data, preference)) {
    const agreeing = group.rows.filter((i) => data.labelId(i) === group.majority).length;
    const majority = data.labels[group.majority];
    const lines = group.rows.map((i) => data.line(i));
    for (const i of group.rows) {
      if (data.labelId(i) === group.majority) continue;
      flags.push({
        kind: 'duplicate', row: i, field: 'label', given: data.labels[data.labelId(i)], suggested: majority, score: round(agreeing / group.rows.length),
        message: `${group.kind === 'exact' ? 'the same text' : 'the same text once case, punctuation and spacing are ignored'} is labelled '${majority}' at line${lines.length > 2 ? 's' : ''} ${lines.filter((l) => l !== data.line(i)).join(', ')}`,
      });
    }
  }
  return flags;
}

async function languageFlags(data: LoadedDataset, o: AuditOptions): Promise<Pending[]> {
  let detected: { label: string; score: number }[];
  let how: string;
  if (hasLanguageId(o.model)) {
    const models = new ModelCache({ threads: o.threads });
    try {
      const model = await models.model(o.model);
      const texts = Array.from({ length: data.size }, (_, i) => data.text(i));
      detected = (await identifyLanguage(model, texts, { topK: 1, cancel: { get isCancellationRequested() { return o.signal?.aborted ?? false; } } })).map((scores) => scores[0]);
      how = "the model's language identifier";
    } finally {
      await models.closeAll();
    }
  } else {
    detected = Array.from({ length: data.size }, (_, i) => ({ label: detectScript(data.text(i)), score: 1 }));
    how = 'its script';
  }
  return languageOutliers(data, detected).map((x): Pending => ({
    kind: 'language', row: x.row, field: 'language', given: data.language(x.row)!, ...(x.suggested !== undefined ? { suggested: x.suggested } : {}), score: round(x.confidence),
    message: `this row reads as ${x.detected} (by ${how}, ${percent(x.confidence)}), while the other '${data.language(x.row)}' rows read as ${x.expected}${x.suggested !== undefined ? `, like the '${x.suggested}' rows` : ''}`,
  }));
}

function lengthFlags(data: LoadedDataset): Pending[] {
  return lengthOutliers(data).map((x): Pending => ({
    kind: 'length', row: x.row, field: 'text', given: `${x.length} characters`, score: round(x.length / Math.max(x.median, 1)),
    message: `this row is ${x.length} characters long, ${Math.round(x.length / Math.max(x.median, 1))} times the median of ${data.info.columns.language !== undefined ? 'its language\'s rows' : data.info.kind === 'token-classification' ? 'the file' : 'its label\'s rows'} (${x.median}); rows ${LENGTH_FACTOR} times the median or more are often several rows run together`,
  }));
}

async function place(data: LoadedDataset, o: AuditOptions, flags: Pending[]): Promise<AuditFlag[]> {
  const { columns } = data.info;
  const fieldName = (f: Pending['field']): string | undefined => (f === 'label' ? columns.label : f === 'tags' ? columns.tags : f === 'language' ? columns.language : columns.text ?? columns.tokens);
  const requests: PlaceRequest[] = flags.map((f) => ({ line: data.line(f.row), field: fieldName(f.field) ?? '', ...(f.index !== undefined ? { index: f.index } : {}) }));
  const places = await locateFields(data.info.path, o.readOptions ?? {}, requests);
  return flags.map((f, i) => {
    const { row, field: _field, index: _index, ...rest } = f;
    const at = places[i];
    const fix = at && rest.suggested !== undefined && rest.kind !== 'length' ? { fix: { text: at.encode(rest.suggested) } } : {};
    return { ...rest, file: data.info.path, line: at?.line ?? data.line(row), column: at?.column ?? 1, endColumn: at?.endColumn ?? 1, ...fix, rowLine: data.line(row) };
  });
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function percent(p: number): string {
  return `${(p * 100).toFixed(p < 0.01 ? 2 : 0)}%`;
}
