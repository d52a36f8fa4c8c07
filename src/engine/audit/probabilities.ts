/**
 * Predicted probabilities for every row (sequence and pair classification) or every word (token
 * classification) that no model saw the label of: k-fold LoRA fine-tuning from the given model (each fold a
 * TrainingRun on the other folds' rows, then the saved fold model's classify inference on its own rows), or,
 * with `noFolds`, the given fine-tuned model's own predictions (cheap, but it has seen the labels it judges if it
 * was trained on this file).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { shuffledIndices, type LoadedDataset } from '../data/index.js';
import { XlmError, field, said } from '../errors.js';
import { CancelledError } from '../runtime/inputs.js';
import { ModelCache, type LoadedModel } from '../runtime/model-cache.js';
import { classifyLogits, softmax } from '../tasks/classify.js';
import { wordLogits } from '../tasks/token-classify.js';
import { TrainingRun, type TrainOptions, type TrainProgress } from '../train/train.js';
import { createRng } from '../rng/rng.js';
import { normaliseText } from './checks.js';
import type { HeadKind } from '../tasks/vocabulary.js';

/** The heads an audit fine-tunes per fold: sequence classifiers (single texts or pairs) and token classifiers. */
export type AuditTask = Extract<HeadKind, 'seq-cls' | 'token-cls'>;

/** The fine-tuning each fold runs: cheap settings that learn on the shipped default model (see README). */
export interface FoldTraining {
  lr: number;
  epochs: number;
  batchSize: number;
  maxLength: number;
  loraR: number;
  seed: number;
}

export const DEFAULT_FOLD_TRAINING: FoldTraining = { lr: 5e-3, epochs: 5, batchSize: 32, maxLength: 64, loraR: 8, seed: 42 };

export interface AuditProgress {
  /** 'fold' while fold `fold` trains (steps of totalSteps), 'predicting' while its rows are scored. */
  phase: 'loading' | 'fold' | 'predicting' | 'checks' | 'done';
  fold?: number;
  folds?: number;
  step?: number;
  totalSteps?: number;
  /** 0..1 over the whole audit. */
  fraction: number;
}

export interface ProbabilityOptions {
  model: string;
  data: LoadedDataset;
  task: AuditTask;
  /** 0: the model's own predictions (--no-folds). */
  folds: number;
  training: FoldTraining;
  /** The run folder: fold-K/ models are trained here and removed once they have predicted. */
  out: string;
  threads?: number;
  signal?: AbortSignal;
  onProgress?(p: AuditProgress): void;
  onLog?(line: string): void;
}

/**
 * Row probabilities [row][class] (seq-cls) or word probabilities [row][word][class] (token-cls, null where
 * truncation cut the word off), over the data's label ids.
 */
export type Probabilities = { task: 'seq-cls'; rows: Float64Array[] } | { task: 'token-cls'; rows: (Float64Array | null)[][] };

export async function outOfSampleProbabilities(o: ProbabilityOptions): Promise<Probabilities> {
  const n = o.data.size;
  const seq: Float64Array[] = new Array(n);
  const tok: (Float64Array | null)[][] = new Array(n);
  const store = (indices: readonly number[], predicted: Probabilities) => {
    indices.forEach((row, r) => {
      if (predicted.task === 'seq-cls') seq[row] = predicted.rows[r];
      else tok[row] = predicted.rows[r];
    });
  };
  if (o.folds === 0) {
    o.onProgress?.({ phase: 'predicting', fraction: 0 });
    const models = new ModelCache({ threads: o.threads });
    try {
      const model = await models.model(o.model);
      checkLabels(model, o.data, o.model);
      const all = Array.from({ length: n }, (_, i) => i);
      store(all, await predict(model, o.data, all, o.task, o.training, o.signal, (done) => o.onProgress?.({ phase: 'predicting', fraction: done / n })));
    } finally {
      await models.closeAll();
    }
  } else {
    const folds = foldsOf(o.data, o.task, o.folds, o.training.seed);
    for (let k = 0; k < folds.length; k++) {
      const held = folds[k];
      const rest = folds.filter((_, j) => j !== k).flat().sort((a, b) => a - b);
      const dir = join(o.out, `fold-${k + 1}`);
      const at = (share: number) => (k + share) / folds.length;
      o.onLog?.(`fold ${k + 1} of ${folds.length}: fine-tuning on ${rest.length} rows, predicting ${held.length}`);
      const run = new FoldRun(
        {
          model: o.model, task: o.task === 'token-cls' ? 'token-classification' : 'sequence-classification', train: o.data.info.path, out: dir, method: 'lora', loraR: o.training.loraR, loraAlpha: 2 * o.training.loraR,
          lr: o.training.lr, maxSteps: foldSteps(rest.length, o.training), batchSize: o.training.batchSize, maxLength: o.training.maxLength,
          warmupRatio: 0.1, seed: o.training.seed + k, logEvery: 10_000, threads: o.threads,
        },
        {
          signal: o.signal,
          onProgress: (p: TrainProgress) => {
            if (p.totalSteps > 0) o.onProgress?.({ phase: 'fold', fold: k + 1, folds: folds.length, step: p.step, totalSteps: p.totalSteps, fraction: at(0.9 * (p.step / p.totalSteps)) });
          },
          onLog: (line) => {
            if (/^(estimated peak|device |peak memory|saved )/.test(line)) return;
            o.onLog?.(`fold ${k + 1}: ${line}`);
          },
        },
        o.data.select(rest),
        [...o.data.labels],
      );
      const result = await run.run();
      if (result.cancelled || o.signal?.aborted) {
        rmSync(dir, { recursive: true, force: true });
        throw new CancelledError();
      }
      o.onProgress?.({ phase: 'predicting', fold: k + 1, folds: folds.length, fraction: at(0.9) });
      const models = new ModelCache({ threads: o.threads });
      try {
        const model = await models.model(dir);
        store(held, await predict(model, o.data, held, o.task, o.training, o.signal, (done) => o.onProgress?.({ phase: 'predicting', fold: k + 1, folds: folds.length, fraction: at(0.9 + (0.1 * done) / held.length) })));
      } finally {
        await models.closeAll();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return o.task === 'seq-cls' ? { task: 'seq-cls', rows: seq } : { task: 'token-cls', rows: tok };
}

/** Fewer steps than this and a small file's folds learn nothing: its epochs are repeated until they reach it. */
const MIN_FOLD_STEPS = 60;

/** The fold's optimizer steps: its epochs over its rows, at least MIN_FOLD_STEPS. */
function foldSteps(rows: number, t: FoldTraining): number {
  return Math.max(t.epochs * Math.ceil(rows / t.batchSize), MIN_FOLD_STEPS);
}

/** A fine-tuning run on rows already in memory (one fold's training rows) with the whole file's label set. */
class FoldRun extends TrainingRun {
  constructor(options: TrainOptions, hooks: ConstructorParameters<typeof TrainingRun>[1], private readonly rows: LoadedDataset, private readonly labelSet: string[]) {
    super(options, hooks);
  }

  protected override async loadData() {
    return { train: this.rows, labels: this.labelSet };
  }
}

/**
 * Rows into k folds: for classification stratified by label (each class's rows shuffled and dealt round the
 * folds, so every fold trains on every class with at least k rows); for NER sentences shuffled and dealt. Rows
 * whose normalised texts are equal go to one fold together: a duplicate in the training folds would let the model
 * recall its row's label instead of predicting it (and a conflicting duplicate's label would decide the other's).
 */
export function foldsOf(data: LoadedDataset, task: AuditTask, k: number, seed: number): number[][] {
  if (!Number.isInteger(k) || k < 2) throw new XlmError('bad-option', said`${field('folds')} must be a whole number of at least 2, got ${k}`, { what: 'folds' });
  if (data.size < k) throw new XlmError('bad-option', `${data.info.path} has ${data.size} rows, fewer than the ${k} folds`, { what: 'folds' });
  const order = shuffledIndices(data.size, createRng(seed));
  const units = new Map<string, number[]>();
  for (const i of order) {
    const pair = data.textPair(i);
    const key = normaliseText(data.text(i)) + (pair === undefined ? '' : '\u0000' + normaliseText(pair));
    const unit = units.get(key || `row ${i}`);
    if (unit) unit.push(i);
    else units.set(key || `row ${i}`, [i]);
  }
  const strata = new Map<number, number[][]>();
  for (const unit of units.values()) {
    const stratum = task === 'seq-cls' ? data.labelId(unit[0]) : 0;
    const list = strata.get(stratum);
    if (list) list.push(unit);
    else strata.set(stratum, [unit]);
  }
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const stratum of [...strata.keys()].sort((a, b) => a - b)) {
    for (const unit of strata.get(stratum)!) folds[next++ % k].push(...unit);
  }
  return folds.map((f) => f.sort((a, b) => a - b));
}

async function predict(model: LoadedModel, data: LoadedDataset, indices: readonly number[], task: AuditTask, training: FoldTraining, signal: AbortSignal | undefined, onDone: (done: number) => void): Promise<Probabilities> {
  const batch = 32;
  if (task === 'seq-cls') {
    const rows: Float64Array[] = [];
    for (let start = 0; start < indices.length; start += batch) {
      if (signal?.aborted) throw new CancelledError();
      const chunk = indices.slice(start, start + batch);
      const logits = await classifyLogits(model, chunk.map((i) => (data.textPair(i) === undefined ? { text: data.text(i) } : { text: data.text(i), textPair: data.textPair(i)! })));
      rows.push(...logits.map((l) => Float64Array.from(softmax(l))));
      onDone(start + chunk.length);
    }
    return { task, rows };
  }
  const rows: (Float64Array | null)[][] = [];
  for (let start = 0; start < indices.length; start += batch) {
    if (signal?.aborted) throw new CancelledError();
    const chunk = indices.slice(start, start + batch);
    const logits = await wordLogits(model, chunk.map((i) => data.tokens(i)!), { maxLength: training.maxLength, batchSize: batch });
    rows.push(...logits.map((words) => words.map((l) => (l === null ? null : Float64Array.from(softmax(l))))));
    onDone(start + chunk.length);
  }
  return { task, rows };
}

/** --no-folds: the model's classes must be the data's, in the same order (the data was read with them). */
function checkLabels(model: LoadedModel, data: LoadedDataset, dir: string): void {
  const names = model.config.id2label;
  if (names.length !== data.labels.length || names.some((l, i) => l !== data.labels[i])) {
    throw new XlmError('bad-option', said`${field('noFolds')}: ${dir} predicts ${names.join(', ')}, but the file's labels are read as ${data.labels.join(', ')}; give the model fine-tuned on these labels, or leave ${field('noFolds')} out`, { file: dir });
  }
}
