/**
 * Training options with their defaults (resolveOptions: what `xlm train --help` states, the learning rate, epochs
 * and warm-up from the defaults table in defaults.ts; where it states none, transformers' Trainer's), and the hooks the engine's RPC layer passes in.
 */
import type { SpinDecision } from './runner.js';
import type { ReadOptions } from '../data/index.js';
import { XlmError, field, said, type NameOption } from '../errors.js';
import type { MetricForBest } from '../eval/best-tracker.js';
import type { TranslationScores } from '../metrics/translation.js';
import type { Device } from '../runtime/session.js';
import { trainingDefaults, type TrainingDefaults } from './defaults.js';
import { DEFAULT_LORA_TARGETS } from './lora.js';
import type { TrainMethod } from './model-loss.js';
import type { Task } from '../tasks/vocabulary.js';
import type { LearningVerdict } from './verdict.js';
import type { OptimizerKind } from './optimizer.js';
import type { ScheduleKind } from './schedule.js';

export interface TrainOptions {
  model: string;
  /** An XLM-R task, or translation (a seq2seq model: src/engine/seq2seq/train-run.ts runs it). */
  task: Task | 'translation';
  train: string;
  eval?: string;
  out: string;
  method?: TrainMethod;
  loraR?: number;
  loraAlpha?: number;
  loraDropout?: number;
  loraTargets?: string[];
  lr?: number;
  epochs?: number;
  /** Overrides epochs when given (the data is cycled as often as needed). */
  maxSteps?: number;
  batchSize?: number;
  gradAccum?: number;
  maxLength?: number;
  warmupRatio?: number;
  schedule?: ScheduleKind;
  weightDecay?: number;
  maxGradNorm?: number;
  optimizer?: OptimizerKind;
  adamBeta1?: number;
  adamBeta2?: number;
  adamEps?: number;
  /** Replaces every dropout probability of the config (0: off); absent keeps the config's. */
  dropout?: number;
  seed?: number;
  shuffle?: boolean;
  /** Evaluate every N steps; absent: about TrainingDefaults.evaluations times a run when there is eval data. */
  evalEvery?: number;
  saveEvery?: number;
  logEvery?: number;
  resume?: boolean;
  device?: Device;
  /** onnxruntime intra-op threads; results are bit-identical for a given thread count (see README). */
  threads?: number;
  /**
   * Let the threads of the step and evaluation sessions spin between operations (RunnerOptions.spin): faster on idle
   * cores, slower on shared ones. `xlm train` gives spinWhenIdle's decision (logged when the sessions are made);
   * VS Code's runs give nothing: off.
   */
  spin?: boolean | SpinDecision;
  mlmProbability?: number;
  wholeWordMask?: boolean;
  /** Write updates over their inputs instead of a second buffer set (RunnerOptions.inPlace): half the optimizer memory, faster; always, unless a caller of train() asks otherwise. */
  inPlace?: boolean;
  /** Without `eval`: hold out this share of the training rows (stratified by label and language) for evaluation. */
  evalFraction?: number;
  /**
   * With evalFraction: hold rows out only when the training file has at least this many (the editor's automatic
   * split); below it, train on every row and say so. Without it, --eval-fraction always splits.
   */
  evalFractionMinRows?: number;
  /** Names of integer labels 0, 1, 2, … in order (a dataset's label map, e.g. MNLI's entailment,neutral,contradiction); names in the file must be among them. */
  labelNames?: string[];
  /** Train only on rows in these languages (zero-shot cross-lingual transfer); evaluation keeps every language. */
  trainLanguage?: string[];
  /** Track the best evaluation by this metric: its checkpoint is kept and becomes the final model in OUT/. */
  metricForBest?: MetricForBest;
  /** With metricForBest: stop after this many evaluations without improvement. */
  patience?: number;
  /** How to read the training and eval files (format, columns, tag scheme, error policy); the task's kind and labels are set by the trainer. */
  readOptions?: ReadOptions;
  /** Refuse to start when the estimated peak memory is above this many MB (0 or absent: the machine's memory). */
  memoryLimitMB?: number;
  /** Question answering: window stride and answer decoding (run_qa.py's doc_stride 128, n_best_size 20, max_answer_length 30). */
  qa?: QaTrainOptions;
}

export interface QaTrainOptions {
  stride?: number;
  nBest?: number;
  maxAnswerLength?: number;
  /** SQuAD v2.0: unanswerable questions; an empty answer wins when the null score beats the best span by this much. */
  nullThreshold?: number;
}

export type ResolvedTrainOptions = Required<Omit<TrainOptions, 'eval' | 'maxSteps' | 'dropout' | 'evalEvery' | 'saveEvery' | 'trainLanguage' | 'metricForBest' | 'patience' | 'evalFraction' | 'evalFractionMinRows' | 'readOptions' | 'memoryLimitMB' | 'labelNames' | 'qa'>> &
  Pick<TrainOptions, 'eval' | 'maxSteps' | 'dropout' | 'evalEvery' | 'saveEvery' | 'trainLanguage' | 'metricForBest' | 'patience' | 'evalFraction' | 'evalFractionMinRows' | 'readOptions' | 'memoryLimitMB' | 'labelNames' | 'qa'>;

/**
 * Every option with its default. `table`: the learning rate, epochs and warm-up the defaults table gives for this
 * run's task, method, model and data (src/engine/train/defaults.ts); before the model and data are read, the
 * table's row for a base-size model of unknown data size.
 */
export function resolveOptions(o: TrainOptions, table?: Pick<TrainingDefaults, 'lr' | 'epochs' | 'warmupRatio' | 'batchSize'>): ResolvedTrainOptions {
  const d = table ?? trainingDefaults({ task: o.task, method: o.method ?? 'full', hiddenSize: 768, batchSize: o.batchSize });
  const r: ResolvedTrainOptions = {
    method: 'full', loraR: 8, loraAlpha: 16, loraDropout: 0.1, loraTargets: [...DEFAULT_LORA_TARGETS],
    // Question answering's windows are run_qa.py's 384 tokens.
    lr: d.lr, epochs: d.epochs, batchSize: d.batchSize, gradAccum: 1, maxLength: o.task === 'question-answering' ? 384 : 128, warmupRatio: d.warmupRatio, schedule: 'linear',
    weightDecay: 0.01, maxGradNorm: 1.0, optimizer: 'adamw', adamBeta1: 0.9, adamBeta2: 0.999, adamEps: 1e-8,
    seed: 42, shuffle: true, logEvery: 1, resume: false, device: 'auto', threads: 0, spin: false, mlmProbability: 0.15, wholeWordMask: false, inPlace: true,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  } as ResolvedTrainOptions;
  const positiveInt = (name: keyof TrainOptions, v: number | undefined) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new XlmError('bad-option', said`${field(name)} must be a positive integer, got ${v}`, { what: name });
  };
  positiveInt('batchSize', r.batchSize);
  positiveInt('gradAccum', r.gradAccum);
  positiveInt('maxLength', r.maxLength);
  positiveInt('epochs', r.epochs);
  positiveInt('maxSteps', r.maxSteps);
  positiveInt('evalEvery', r.evalEvery);
  positiveInt('saveEvery', r.saveEvery);
  positiveInt('logEvery', r.logEvery);
  positiveInt('loraR', r.loraR);
  positiveInt('patience', r.patience);
  if (r.memoryLimitMB !== undefined && !(Number.isInteger(r.memoryLimitMB) && r.memoryLimitMB >= 0)) {
    throw new XlmError('bad-option', said`${field('memoryLimitMB')} must be a whole number of MB (0: no limit but the machine's memory), got ${r.memoryLimitMB}`, { what: 'memoryLimitMB' });
  }
  const needsEval = r.metricForBest ? 'metricForBest' : 'patience';
  if ((r.metricForBest || r.patience) && !r.eval && r.task !== 'translation') throw new XlmError('bad-option', said`${field(needsEval)} needs evaluation data (${field('eval')} FILE)`, { what: needsEval });
  if (r.patience && !r.metricForBest) throw new XlmError('bad-option', said`${field('patience')} counts evaluations without improvement of ${field('metricForBest')}; give that too`, { what: 'patience' });
  const probability = (name: keyof TrainOptions, v: number | undefined) => {
    if (v !== undefined && !(v >= 0 && v < 1)) throw new XlmError('bad-option', said`${field(name)} must be at least 0 and below 1, got ${v}`, { what: name });
  };
  probability('dropout', r.dropout);
  probability('loraDropout', r.loraDropout);
  probability('mlmProbability', r.mlmProbability);
  probability('adamBeta1', r.adamBeta1);
  probability('adamBeta2', r.adamBeta2);
  if (r.warmupRatio !== undefined && !(r.warmupRatio >= 0 && r.warmupRatio <= 1)) throw new XlmError('bad-option', said`${field('warmupRatio')} must be from 0 to 1 (the share of steps that warm up), got ${r.warmupRatio}`, { what: 'warmupRatio' });
  const atLeastZero = (name: keyof TrainOptions, v: number | undefined, what: string) => {
    if (v !== undefined && !(v >= 0)) throw new XlmError('bad-option', said`${field(name)} must be 0 or more (${what}), got ${v}`, { what: name });
  };
  atLeastZero('weightDecay', r.weightDecay, '0: no weight decay');
  atLeastZero('maxGradNorm', r.maxGradNorm, '0: no clipping');
  if (!(r.adamEps > 0)) throw new XlmError('bad-option', said`${field('adamEps')} must be above 0, got ${r.adamEps}`, { what: 'adamEps' });
  if (r.evalFraction !== undefined && !(r.evalFraction > 0 && r.evalFraction < 1)) throw new XlmError('bad-option', said`${field('evalFraction')} must be between 0 and 1, got ${r.evalFraction}`, { what: 'evalFraction' });
  // No upper bound: SGD takes larger rates than AdamW, and too large a rate is said when the loss diverges.
  if (!(r.lr > 0 && Number.isFinite(r.lr))) throw new XlmError('bad-option', said`${field('lr')} must be above 0, got ${r.lr}`, { what: 'lr' });
  if (r.maxLength < 3) throw new XlmError('bad-option', said`${field('maxLength')} must leave room for <s> and </s>, got ${r.maxLength}`, { what: 'maxLength' });
  return r;
}

export interface TrainStepMetrics {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  grad_norm: number;
  examples_per_s: number;
  tokens_per_s: number;
}

/** An evaluation line, in the protocol's MetricsRecord layout (src/engine/rpc/protocol.ts) that the dashboard reads. */
export interface TrainEvalMetrics {
  step: number;
  epoch: number;
  /** loss, and the task's metrics: accuracy and macro_f1 (seq-cls), accuracy and entity_f1 (token-cls), perplexity (mlm), exact_match and f1 (qa). */
  eval: Record<string, number>;
  /** seq-cls: rows are gold labels, columns predictions, in `labels` order. */
  confusion?: number[][];
  labels?: string[];
  /** Translation: sacreBLEU's signature of each pooled score (bleu, chrf, chrf++). */
  signatures?: Record<string, string>;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  phase: 'loading' | 'training' | 'evaluating' | 'saving' | 'done';
}

export interface TrainHooks {
  /** Aborting stops at the next step boundary and writes a checkpoint. */
  signal?: AbortSignal;
  onProgress?(p: TrainProgress): void;
  onMetrics?(m: TrainStepMetrics | TrainEvalMetrics): void;
  /** Human-readable notices (device fallback, resume, saves). */
  onLog?(line: string): void;
  /** How the log lines name an option (the CLI: its flag); by default as the option (batchSize). */
  nameOption?: NameOption;
}

export interface TrainResult {
  out: string;
  steps: number;
  cancelled: boolean;
  lastLoss: number | undefined;
  checkpoints: string[];
  device: string;
  lastEval?: TrainEvalMetrics;
  /** Whether the run learned (absent when it was cancelled). */
  verdict?: LearningVerdict;
  /** Translation runs: the last evaluation's scores per language pair (src/engine/metrics/translation.ts). */
  translationScores?: { pairs: TranslationScores[]; all: TranslationScores };
  /** Translation runs: the last evaluation's translations of the eval sources, in order, with their log-probability scores. */
  translations?: { text: string; score: number }[];
}
