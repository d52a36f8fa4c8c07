/**
 * Predicted probabilities for every row (sequence and pair classification) or every word (token
 * classification) that no model saw the label of, by one of two methods:
 * - `features` (the default): the frozen model's features of every row or word, computed once (features.ts), and
 *   for each fold a multinomial logistic regression (logistic.ts) fitted on the other folds' features;
 * - `lora`: for each fold a LoRA fine-tuning from the given model (a TrainingRun on the other folds' rows), then
 *   the saved fold model's classify inference on its own rows.
 * With `noFolds`, the given fine-tuned model's own predictions (cheap, but it has seen the labels it judges if it
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
import { rowFeatures, wordFeatures } from './features.js';
import { fitLogistic, predictLogistic, standardise } from './logistic.js';
import { crossEntropy, languageGroups, neighbourProbabilities, unitVectors } from './neighbours.js';
import type { HeadKind } from '../tasks/vocabulary.js';

/** The heads an audit fine-tunes per fold: sequence classifiers (single texts or pairs) and token classifiers. */
export type AuditTask = Extract<HeadKind, 'seq-cls' | 'token-cls'>;

/** How the out-of-fold probabilities are made: see the file's comment. */
export type AuditMethod = 'features' | 'lora';
export const AUDIT_METHODS: readonly AuditMethod[] = ['features', 'lora'];

/**
 * The logistic regression of the features method: its L2 penalty (on standardised features) and L-BFGS
 * iterations. The penalty was chosen with bench/audit-flip.ts on the examples' language identification (5% and 10% of
 * labels flipped, uniform and class-conditional, flip seeds 1-6; README, *Label audit*) among 1e-3, 1e-2, 3e-2, 0.1
 * and 0.3: at 1e-3 a fold's regression learns its flipped rows (3 Armenian paragraphs labelled Korean make other
 * Armenian paragraphs "Korean"), so class-conditional flips were found at a mean precision of 0.83; a larger penalty
 * flags fewer correct rows but also misses more flipped ones (mean recall at 5% uniform: 0.89 at 1e-3, 0.80 at
 * 3e-2, 0.78 at 0.1). 3e-2 keeps every setting's mean precision at 0.91-0.97 and mean recall at 0.80-0.86.
 */
const FEATURE_L2 = 3e-2;
const FEATURE_ITERATIONS = 200;

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
  /**
   * 'features' while the model reads every row (features method; step rows of totalSteps), 'fold' while fold
   * `fold` trains (steps of totalSteps: optimizer steps, or L-BFGS iterations), 'predicting' while its rows are scored.
   */
  phase: 'loading' | 'features' | 'fold' | 'neighbours' | 'predicting' | 'checks' | 'done';
  /** With 'neighbours': which pass over the rows (their vectors as they are, then centred on their language). */
  pass?: number;
  passes?: number;
  /** With 'fold': what the fold trains. */
  method?: AuditMethod;
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
  method: AuditMethod;
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
export type Probabilities = { task: 'seq-cls'; rows: Float64Array[]; estimate?: EstimateChoice } | { task: 'token-cls'; rows: (Float64Array | null)[][] };

/**
 * The features method's out-of-fold estimates for rows (sequence and pair classification): the logistic
 * regression, the rows' nearest neighbours (neighbours.ts) by their vectors as they are and, with a language column,
 * centred on their language's mean, and the mean of the regression's and the better neighbours' probabilities.
 */
export type Estimate = 'logistic' | 'neighbours' | 'neighbours-by-language' | 'blend';

/**
 * Which estimate the audit used: for each fold the one whose out-of-fold probabilities give the other folds' labels the
 * least cross-entropy (`byFold`); `chosen` is the one most folds used.
 */
export interface EstimateChoice {
  chosen: Estimate;
  byFold: Estimate[];
  /** Mean cross-entropy of the given labels under each estimate over the whole file (nats; lower predicts the file better). */
  crossEntropy: Partial<Record<Estimate, number>>;
}

/** Files with fewer rows use the logistic regression alone: choosing among estimates on so few labels is noise. */
export const MIN_ROWS_FOR_NEIGHBOURS = 200;

/** Each estimate in words (the log, the CLI's table), long and short. */
const ESTIMATE_WORDS: Record<Estimate, [string, string]> = {
  logistic: ["a logistic regression on the model's features", 'regression'],
  neighbours: ["each row's 20 nearest rows of the other folds, by sentence vector", 'nearest rows'],
  'neighbours-by-language': ["each row's 20 nearest rows of the other folds, by sentence vector centred on its language", 'nearest rows by language'],
  blend: ['the mean of the logistic regression and the nearest rows', 'mean of both'],
};

/** Which estimate was used, in words, with what made it the choice. */
export function describeEstimate(e: EstimateChoice): string {
  const [long] = ESTIMATE_WORDS[e.chosen];
  const others = Object.entries(e.crossEntropy).filter(([name]) => name !== e.chosen).map(([name, x]) => `${ESTIMATE_WORDS[name as Estimate][1]} ${x!.toFixed(3)}`);
  const folds = e.byFold.every((x) => x === e.chosen) ? '' : `; by fold: ${e.byFold.map((x) => ESTIMATE_WORDS[x][1]).join(', ')}`;
  return `${long}, which predicts the given labels best out of fold (cross-entropy ${e.crossEntropy[e.chosen]!.toFixed(3)} against ${others.join(', ')}${folds})`;
}

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
  } else if (o.method === 'features') {
    const estimate = await featureFolds(o, store);
    if (estimate) return { task: 'seq-cls', rows: seq, estimate };
  } else {
    const folds = foldsOf(o.data, o.task, o.folds, o.training.seed);
    for (let k = 0; k < folds.length; k++) {
      const held = folds[k];
      const rest = folds.filter((_, j) => j !== k).flat().sort((a, b) => a - b);
      const dir = join(o.out, `fold-${k + 1}`);
      // A fold folder is scratch: one left by an audit that failed there is cleared, so a new run may use it.
      rmSync(dir, { recursive: true, force: true });
      const at = (share: number) => (k + share) / folds.length;
      o.onLog?.(`fold ${k + 1} of ${folds.length}: fine-tuning on ${rest.length} rows, predicting ${held.length}`);
      // Not kept in a variable: a finished run still holds its model's weights (every frozen one under LoRA), which
      // would stay alive beside the fold model loaded below for predicting.
      const result = await new FoldRun(
        {
          model: o.model, task: o.task === 'token-cls' ? 'token-classification' : 'sequence-classification', train: o.data.info.path, out: dir, method: 'lora', loraR: o.training.loraR, loraAlpha: 2 * o.training.loraR,
          lr: o.training.lr, maxSteps: foldSteps(rest.length, o.training), batchSize: o.training.batchSize, maxLength: o.training.maxLength,
          warmupRatio: 0.1, seed: o.training.seed + k, logEvery: 10_000, threads: o.threads,
        },
        {
          signal: o.signal,
          onProgress: (p: TrainProgress) => {
            if (p.totalSteps > 0) o.onProgress?.({ phase: 'fold', method: 'lora', fold: k + 1, folds: folds.length, step: p.step, totalSteps: p.totalSteps, fraction: at(0.9 * (p.step / p.totalSteps)) });
          },
          onLog: (line) => {
            if (/^(estimated peak|device |peak memory|saved )/.test(line)) return;
            o.onLog?.(`fold ${k + 1}: ${line}`);
          },
        },
        o.data.select(rest),
        [...o.data.labels],
      ).run();
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

/**
 * The features method: every row's (or word's) features once, then a logistic regression per fold; for rows, the
 * nearest-neighbour estimates too, and the estimate that predicts the file's labels best out of fold (EstimateChoice).
 */
async function featureFolds(o: ProbabilityOptions, store: (indices: readonly number[], predicted: Probabilities) => void): Promise<EstimateChoice | undefined> {
  const n = o.data.size;
  const K = o.data.labels.length;
  const models = new ModelCache({ threads: o.threads });
  let features: (Float64Array | null)[][];
  let hidden: number;
  try {
    const model = await models.model(o.model);
    hidden = model.config.hidden_size;
    const progress = (done: number) => o.onProgress?.({ phase: 'features', step: done, totalSteps: n, fraction: 0.6 * (done / n) });
    features = o.task === 'seq-cls' ? (await rowFeatures(model, o.data, o.signal, progress)).map((v) => [v]) : await wordFeatures(model, o.data, o.training.maxLength, o.signal, progress);
  } finally {
    await models.closeAll();
  }
  const folds = foldsOf(o.data, o.task, o.folds, o.training.seed);
  const itemsOf = (rows: readonly number[]) => {
    const x: Float64Array[] = [];
    const y: number[] = [];
    for (const i of rows) {
      const labels = o.task === 'seq-cls' ? [o.data.labelId(i)] : o.data.tagIds(i)!;
      features[i].forEach((v, w) => {
        if (v === null) return;
        x.push(v);
        y.push(labels[w]);
      });
    }
    return { x, y };
  };
  const logistic: Float64Array[] = new Array(n);
  for (let k = 0; k < folds.length; k++) {
    const held = folds[k];
    const train = itemsOf(folds.filter((_, j) => j !== k).flat());
    const test = itemsOf(held);
    o.onLog?.(`fold ${k + 1} of ${folds.length}: logistic regression on ${train.x.length} ${o.task === 'seq-cls' ? 'rows' : 'words'}, predicting ${test.x.length}`);
    const scaled = standardise(train.x, [...train.x, ...test.x]);
    let iteration = 0;
    const at = (share: number) => 0.6 + (0.3 * (k + share)) / folds.length;
    const fitted = await fitLogistic(scaled.slice(0, train.x.length), train.y, K, {
      l2: FEATURE_L2, iterations: FEATURE_ITERATIONS, threads: o.threads,
      stop: () => {
        iteration++;
        o.onProgress?.({ phase: 'fold', method: 'features', fold: k + 1, folds: folds.length, step: iteration, totalSteps: FEATURE_ITERATIONS, fraction: at(iteration / FEATURE_ITERATIONS) });
        return o.signal?.aborted ?? false;
      },
    });
    if (o.signal?.aborted) throw new CancelledError();
    const predicted = scaled.slice(train.x.length).map((v) => predictLogistic(fitted, v));
    if (o.task === 'seq-cls') held.forEach((i, r) => (logistic[i] = predicted[r]));
    else {
      let next = 0;
      store(held, { task: 'token-cls', rows: held.map((i) => features[i].map((v) => (v === null ? null : predicted[next++]))) });
    }
  }
  if (o.task !== 'seq-cls') return undefined;
  if (n < MIN_ROWS_FOR_NEIGHBOURS) {
    store(Array.from({ length: n }, (_, i) => i), { task: 'seq-cls', rows: logistic });
    return undefined;
  }
  const choice = await chooseRowEstimate(o, features.map((f) => sentenceVector(f[0]!, hidden)), folds, logistic);
  const all = Array.from({ length: n }, (_, i) => i);
  store(all, { task: 'seq-cls', rows: choice.rows });
  o.onLog?.(`out-of-fold probabilities from ${describeEstimate(choice.estimate)}`);
  return choice.estimate;
}

/** A row's sentence vector from its features: the mean last hidden state of its text (and of its pair's, side by side). */
function sentenceVector(features: Float64Array, hidden: number): Float32Array {
  const texts = features.length / (2 * hidden);
  const out = new Float32Array(texts * hidden);
  for (let t = 0; t < texts; t++) out.set(features.subarray(2 * t * hidden, (2 * t + 1) * hidden), t * hidden);
  return out;
}

/**
 * The out-of-fold estimates of the rows' labels, and for each fold the one that gives the given labels of the other
 * folds' rows the least cross-entropy (a row's own label takes no part in choosing how its fold is predicted).
 */
async function chooseRowEstimate(o: ProbabilityOptions, vectors: Float32Array[], folds: number[][], logistic: Float64Array[]): Promise<{ rows: Float64Array[]; estimate: EstimateChoice }> {
  const n = o.data.size;
  const K = o.data.labels.length;
  const labels = Int32Array.from({ length: n }, (_, i) => o.data.labelId(i));
  const groups = languageGroups(o.data);
  const spaces: [Estimate, Float32Array[]][] = [['neighbours', unitVectors(vectors)]];
  if (groups) spaces.push(['neighbours-by-language', unitVectors(vectors, groups)]);
  const candidates = new Map<Estimate, Float64Array[]>([['logistic', logistic]]);
  for (const [s, [name, unit]] of spaces.entries()) {
    const rows: Float64Array[] = new Array(n);
    for (const [k, held] of folds.entries()) {
      o.onProgress?.({ phase: 'neighbours', pass: s + 1, passes: spaces.length, fold: k + 1, folds: folds.length, fraction: 0.9 + (0.1 * (s * folds.length + k)) / (spaces.length * folds.length) });
      const pool = folds.filter((_, j) => j !== k).flat();
      (await neighbourProbabilities(unit, labels, K, held, pool, o.signal)).forEach((p, r) => (rows[held[r]] = p));
    }
    candidates.set(name, rows);
  }
  const blendWith = (near: Float64Array[]) => logistic.map((p, i) => p.map((x, c) => (x + near[i][c]) / 2));
  /** The best estimate judged on `only` (every row when absent), the blend's partner being the better neighbours there; each loss computed once. */
  const best = (only?: number[]) => {
    const losses = new Map<Estimate, number>([...candidates].map(([name, rows]) => [name, crossEntropy(labels, rows, only)]));
    const nearest = spaces.map(([name]) => name).reduce((a, b) => (losses.get(b)! < losses.get(a)! ? b : a));
    const blend = blendWith(candidates.get(nearest)!);
    losses.set('blend', crossEntropy(labels, blend, only));
    const chosen = [...losses].reduce((a, b) => (b[1] < a[1] ? b : a))[0];
    return { chosen, rows: chosen === 'blend' ? blend : candidates.get(chosen)!, losses };
  };
  const out: Float64Array[] = new Array(n);
  const byFold = folds.map((held, k) => {
    const { chosen, rows } = best(folds.filter((_, j) => j !== k).flat());
    for (const i of held) out[i] = rows[i];
    return chosen;
  });
  const crossEntropies: Partial<Record<Estimate, number>> = {};
  for (const [name, x] of best().losses) crossEntropies[name] = Math.round(x * 1000) / 1000;
  const counts = new Map<Estimate, number>();
  for (const e of byFold) counts.set(e, (counts.get(e) ?? 0) + 1);
  const chosen = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return { rows: out, estimate: { chosen, byFold, crossEntropy: crossEntropies } };
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
