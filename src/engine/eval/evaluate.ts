/**
 * `evaluate(...)`: a model folder against a labelled data file, through the engine's inference sessions
 * (the model cache's, or the scoring session for masked-LM), in batches. Returns every row's prediction and
 * the task's metrics pooled and per language (see scores.ts for the metric names).
 *
 * Labels are matched by name: the model's id2label is the label set the data is read with, so a data label
 * the model does not know is a row error at file:line (stop or skip, by the read options' policy), and
 * integer labels in the data are read through id2label.
 */
import { loadDataset, mixSeed, type DataError, type DataKind, type LoadedDataset, type ReadOptions } from '../data/index.js';
import { HEAD_OF_TASK, tabularKindOf, ROWS_OF_TASK, dataFitsTask, taskOfDataKind, type Task } from '../tasks/vocabulary.js';
import { XlmError, said } from '../errors.js';
import { skippedRows } from '../data/issues.js';
import { ModelCache, type LoadedModel } from '../runtime/model-cache.js';
import { maskTokens, type MaskingOptions } from '../train/features.js';
import { argmax, wordLogits } from '../tasks/token-classify.js';
import { releaseScoring, scoreMasked } from '../tasks/mlm-score.js';
import { modelInputs } from '../runtime/inputs.js';
import { rowLanguages, type LanguageSource } from './languages.js';
import { classificationScores, crossEntropyOf, DEFAULT_TOP_K, maskedScores, taggingScores, type TaskScores } from './scores.js';

/** The tasks evaluate() scores: every task but question answering, which qa/evaluate.ts scores from SQuAD files. */
export type EvalTask = Exclude<Task, 'question-answering'>;

export interface MaskedLmEvalOptions {
  /** Share of tokens masked (default 0.15), with BERT's 80/10/10 replacement. */
  probability?: number;
  /** Seed of the masks: the same seed masks the same tokens on every run (default 42). */
  seed?: number;
  wholeWord?: boolean;
  /** Top-k accuracies to report (default 1 and 5). */
  topK?: readonly number[];
}

export interface EvaluateOptions {
  /** Model folder. */
  model: string;
  /** Data file. */
  data: string;
  /** Detected from the data's columns when absent. */
  task?: EvalTask;
  readOptions?: ReadOptions;
  /** Rows per session run (default 16). */
  batchSize?: number;
  /** Tokens per row, specials included (default: the model's limit). */
  maxLength?: number;
  mlm?: MaskedLmEvalOptions;
  /** The engine's model cache (sessions are reused); without one, a cache is made and closed here. */
  models?: ModelCache;
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number }) => void;
}

export type EvalPrediction =
  | { line: number; language: string; gold: string; predicted: string; loss: number }
  | { line: number; language: string; gold: string[]; predicted: string[] }
  | { line: number; language: string; masked: number; loss: number; correct: number };

export interface EvalResult extends TaskScores {
  task: EvalTask;
  model: string;
  data: string;
  examples: number;
  /** Where the per-language grouping came from. */
  languageSource: LanguageSource;
  /** The model's labels (classification and NER). */
  labels?: string[];
  /** Rows that truncation at maxLength shortened (NER: their cut-off words count as predicted O). */
  truncatedRows: number;
  maxLength: number;
  /** Rows the reader refused (only under onError 'skip'; under 'stop' evaluation does not start). */
  skipped: { errorCount: number; errors: DataError[] };
  predictions: EvalPrediction[];
}

export async function evaluate(options: EvaluateOptions): Promise<EvalResult> {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new XlmError('bad-option', `batch size must be a whole number of at least 1, got ${batchSize}`, { what: 'batchSize' });
  const ownCache = options.models === undefined;
  const models = options.models ?? new ModelCache();
  try {
    const model = await models.model(options.model);
    const maxLength = Math.min(options.maxLength ?? model.maxLength, model.maxLength);
    if (maxLength < 3) throw new XlmError('bad-option', `max length ${maxLength} leaves no room for text between <s> and </s>`, { what: 'maxLength' });
    // A missing head is the first thing to say (not a list of labels the model lacks): build the session now.
    const head = options.task === undefined ? undefined : HEAD_OF_TASK[options.task];
    if (head === 'token-cls' || head === 'seq-cls') await model.session(head);
    const classifies = model.hasHead('seq-cls') || model.hasHead('token-cls');
    const labels = options.task === 'masked-lm' || (options.task === undefined && !classifies) ? undefined : modelLabels(model, options.task);
    const read: ReadOptions = { ...options.readOptions };
    const kind = options.task ? tabularKindOf(options.task) : undefined;
    if (kind) read.kind = kind;
    if (labels) {
      read.labelsFrom = 'model';
      read.labels = labels;
      read.id2label = Object.fromEntries(labels.map((l, i) => [i, l]));
    }
    const data = await loadDataset(options.data, read);
    const task = options.task ?? taskOfKind(data.info.kind, options.data);
    checkTask(task, data, options.data);
    if (data.size === 0) {
      // The place names the file: the message says why no row is left.
      const { filtered } = data.info.report;
      const [skipped] = skippedRows(data.info.report, { fileNamed: true });
      const filter = filtered ? `${filtered} rows left out by the language filter` : '';
      throw new XlmError('eval-no-rows', said`no row to evaluate${skipped ? said`: ${skipped}` : ''}${filter ? `${skipped ? '; ' : ': '}${filter}` : ''}`, { file: options.data });
    }
    // Rows were read with the model's labels, so label ids index the model's classes.
    const taskLabels = task === 'masked-lm' ? undefined : (labels ?? modelLabels(model, task));
    const { languages, source } = rowLanguages(data);
    const context: RunContext = { model, data, languages, languagesAreLabels: source === 'label', batchSize, maxLength, options, models };
    const run = task === 'token-classification' ? evaluateTagging(context, taskLabels!) : task === 'masked-lm' ? evaluateMasked(context) : evaluateClassification(context, taskLabels!);
    const { scores, predictions, truncatedRows } = await run;
    const report = data.info.report;
    return {
      task,
      model: model.dir,
      data: options.data,
      examples: data.size,
      languageSource: source,
      ...(taskLabels ? { labels: [...taskLabels] } : {}),
      ...scores,
      truncatedRows,
      maxLength,
      skipped: { errorCount: report.errorCount, errors: report.errors.slice(0, 20) },
      predictions,
    };
  } finally {
    if (ownCache) await models.closeAll();
  }
}

interface RunContext {
  model: LoadedModel;
  data: LoadedDataset;
  languages: string[];
  /** Each row's language is its own label (no language column): per-language scores give that label's F1. */
  languagesAreLabels: boolean;
  batchSize: number;
  maxLength: number;
  options: EvaluateOptions;
  models: ModelCache;
}

interface TaskRun {
  scores: TaskScores;
  predictions: EvalPrediction[];
  truncatedRows: number;
}

function progress(ctx: RunContext, done: number): void {
  if (ctx.options.signal?.aborted) throw new XlmError('cancelled', 'evaluation was cancelled');
  ctx.options.onProgress?.({ done, total: ctx.data.size });
}

async function evaluateClassification(ctx: RunContext, labels: readonly string[]): Promise<TaskRun> {
  const { model, data } = ctx;
  const { session } = await model.session('seq-cls');
  const rows: { gold: string; predicted: string; loss: number; language: string }[] = [];
  const predictions: EvalPrediction[] = [];
  let truncatedRows = 0;
  for (let start = 0; start < data.size; start += ctx.batchSize) {
    progress(ctx, start);
    const indices = range(start, Math.min(data.size, start + ctx.batchSize));
    const batch = model.tokenizer.encodeBatch(
      indices.map((i) => (data.textPair(i) === undefined ? data.text(i) : ([data.text(i), data.textPair(i)!] as const))),
      { maxLength: ctx.maxLength },
    );
    truncatedRows += batch.encodings.filter((e) => e.truncatedTokens > 0).length;
    const out = await session.run({ ...modelInputs(batch) });
    const logits = out.logits.data as Float32Array;
    const classes = out.logits.dims[1];
    indices.forEach((i, r) => {
      const row = logits.subarray(r * classes, (r + 1) * classes);
      const goldId = data.labelId(i);
      const outcome = { gold: labels[goldId], predicted: labels[argmax(row)], loss: crossEntropyOf(row, goldId), language: ctx.languages[i] };
      rows.push(outcome);
      predictions.push({ line: data.line(i), ...outcome });
    });
  }
  progress(ctx, data.size);
  return { scores: classificationScores(rows, labels, ctx.languagesAreLabels), predictions, truncatedRows };
}

async function evaluateTagging(ctx: RunContext, labels: readonly string[]): Promise<TaskRun> {
  const { model, data } = ctx;
  const rows: { gold: string[]; predicted: string[]; lossSum: number; lossWords: number; language: string }[] = [];
  const predictions: EvalPrediction[] = [];
  let truncatedRows = 0;
  for (let start = 0; start < data.size; start += ctx.batchSize) {
    progress(ctx, start);
    const indices = range(start, Math.min(data.size, start + ctx.batchSize));
    const logits = await wordLogits(model, indices.map((i) => data.tokens(i)!), { maxLength: ctx.maxLength, batchSize: ctx.batchSize });
    indices.forEach((i, r) => {
      const tagIds = data.tagIds(i)!;
      const gold = Array.from(tagIds, (id) => labels[id]);
      let lossSum = 0;
      let lossWords = 0;
      const predicted = logits[r].map((row, w) => {
        if (row === null) return 'O';
        lossSum += crossEntropyOf(row, tagIds[w]);
        lossWords++;
        return labels[argmax(row)];
      });
      if (logits[r].some((row) => row === null)) truncatedRows++;
      rows.push({ gold, predicted, lossSum, lossWords, language: ctx.languages[i] });
      predictions.push({ line: data.line(i), language: ctx.languages[i], gold, predicted });
    });
  }
  progress(ctx, data.size);
  return { scores: taggingScores(rows, labels), predictions, truncatedRows };
}

async function evaluateMasked(ctx: RunContext): Promise<TaskRun> {
  const { model, data } = ctx;
  const o = ctx.options.mlm ?? {};
  const ks = o.topK ?? DEFAULT_TOP_K;
  const tokenizer = model.tokenizer;
  const masking: MaskingOptions = {
    probability: o.probability ?? 0.15,
    wholeWord: o.wholeWord ?? false,
    maskId: tokenizer.maskId,
    vocabSize: model.config.vocab_size,
    specialIds: new Set([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.unkId, tokenizer.maskId]),
  };
  const seed = o.seed ?? 42;
  const rows: { lossSum: number; masked: number; ranks: Int32Array; language: string }[] = [];
  const predictions: EvalPrediction[] = [];
  let truncatedRows = 0;
  try {
    for (let start = 0; start < data.size; start += ctx.batchSize) {
      progress(ctx, start);
      const indices = range(start, Math.min(data.size, start + ctx.batchSize));
      const inputs = indices.map((i) => {
        const encoding = tokenizer.encode(data.text(i), null, { maxLength: ctx.maxLength });
        if (encoding.truncatedTokens > 0) truncatedRows++;
        return maskTokens({ ids: encoding.ids, wordIds: encoding.wordIds }, masking, mixSeed(seed, i));
      });
      const scored = await scoreMasked(model, inputs, { batchSize: ctx.batchSize, runtime: ctx.models.options });
      indices.forEach((i, r) => {
        const { loss, rank } = scored[r];
        const lossSum = loss.reduce((s, x) => s + x, 0);
        rows.push({ lossSum, masked: loss.length, ranks: rank, language: ctx.languages[i] });
        const correct = rank.reduce((s, x) => s + (x === 0 ? 1 : 0), 0);
        predictions.push({ line: data.line(i), language: ctx.languages[i], masked: loss.length, loss: loss.length ? lossSum / loss.length : 0, correct });
      });
    }
  } finally {
    await releaseScoring(model);
  }
  progress(ctx, data.size);
  return { scores: maskedScores(rows, ks), predictions, truncatedRows };
}

/** The model's class names (id2label), which the data's labels must match by name. */
function modelLabels(model: LoadedModel, task: EvalTask | undefined): string[] | undefined {
  const labels = model.config.id2label;
  if (labels.length === 0) {
    if (task === undefined) return undefined;
    throw new XlmError('eval-no-labels', `${model.dir}/config.json has no id2label; ${task} evaluation compares the model's label names with the data's`, { file: `${model.dir}/config.json`, what: 'id2label' });
  }
  return labels;
}

function taskOfKind(kind: DataKind, file: string): EvalTask {
  const task = taskOfDataKind(kind);
  if (task === undefined) throw new XlmError('eval-bad-data', `${file} reads as parallel text, which no evaluation task scores; name the task`, { file, what: 'task' });
  return task;
}

function checkTask(task: EvalTask, data: LoadedDataset, file: string): void {
  const kind = data.info.kind;
  if (!dataFitsTask(task, kind)) throw new XlmError('eval-bad-data', `${task} needs rows with ${ROWS_OF_TASK[task]}; ${file} reads as ${kind}`, { file, what: 'task' });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}
