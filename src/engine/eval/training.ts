/**
 * Evaluation during training, per language: the training's forward-only graph (dropout off) fed the current
 * trainable weights, over the eval set in file order; each row's prediction and loss are read from the logits,
 * so every metric comes pooled and per language (`accuracy`, `accuracy/de`, ...: the eval-line layout the
 * dashboard draws). With `--metric-for-best` the BestTracker says which evaluation is the best so far and
 * when `--patience` is used up.
 *
 * Metric names are the ones `xlm eval` reports (scores.ts), so a training curve and eval.json agree.
 */
import { mixSeed, type LoadedDataset } from '../data/index.js';
import { ort, type Device } from '../runtime/session.js';
import { collate, IGNORE, type Feature, type MaskingOptions } from '../train/features.js';
import { buildEvalGraph, COUNTER_INPUT, SEED_INPUT, type LossBuilder } from '../train/step-graph.js';
import { createTrainingSession, type TrainingSession } from '../train/runner.js';
import type { TrainableParam } from '../train/context.js';
import { argmax } from '../tasks/token-classify.js';
import { BestTracker, metricForBestKey, type BestTrackerState, type BestVerdict, type MetricForBest } from './best-tracker.js';
import { rowLanguages, type LanguageSource } from './languages.js';
import { classificationScores, crossEntropyOf, maskedScores, taggingScores, type ClassifiedRow, type MaskedRowScore, type TaggedRow, type TaskScores } from './scores.js';
import { rankOf } from '../metrics/index.js';
import type { HeadKind } from '../tasks/vocabulary.js';

/** Masks of evaluation rows come from this fixed seed, so every evaluation scores the same masked tokens. */
const EVAL_MASK_SEED = 12345;

export interface LanguageEvalOptions {
  batchSize: number;
  padId: number;
  masking?: MaskingOptions;
  /** Class names (or NER tags) by label id. */
  labels: readonly string[];
  /** The language of each feature; absent: pooled metrics only. */
  languages?: readonly string[];
  /** Each row's language is its own label (no language column): per-language scores give that label's F1. */
  languagesAreLabels?: boolean;
}

/** What an eval line carries besides step and epoch (protocol MetricsRecord layout). */
export interface LanguageEvalResult {
  /** Pooled metrics and `name/language` keys. */
  eval: Record<string, number>;
  confusion?: number[][];
  labels?: string[];
}

export class LanguageEvaluator {
  private constructor(private readonly session: TrainingSession, private readonly trainable: TrainableParam[], private readonly task: HeadKind) {}

  static async create(build: LossBuilder, task: HeadKind, sessionOpts: { threads?: number; device?: Device; spin?: boolean }): Promise<LanguageEvaluator> {
    const built = buildEvalGraph(build);
    return new LanguageEvaluator(await createTrainingSession(built, sessionOpts), built.trainable, task);
  }

  async evaluate(features: readonly Feature[], params: ReadonlyMap<string, Float32Array>, o: LanguageEvalOptions): Promise<LanguageEvalResult> {
    const weights: Record<string, ort.Tensor> = {};
    for (const p of this.trainable) weights[p.name] = new ort.Tensor('float32', params.get(p.name)!, p.shape);
    const rng = { [SEED_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []), [COUNTER_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []) };
    const language = (i: number) => o.languages?.[i] ?? '';
    const classified: ClassifiedRow[] = [];
    const tagged: TaggedRow[] = [];
    const masked: MaskedRowScore[] = [];
    for (let start = 0; start < features.length; start += o.batchSize) {
      const rows = features.slice(start, start + o.batchSize);
      const masking = o.masking ? { options: o.masking, seeds: rows.map((_, k) => mixSeed(EVAL_MASK_SEED, start + k)) } : undefined;
      const batch = collate([...rows], this.task, o.padId, masking);
      const out = await this.session.session.run({ ...batch.feeds, ...weights, ...this.session.frozen, ...rng });
      const logits = out.logits.data as Float32Array;
      const classes = out.logits.dims[out.logits.dims.length - 1];
      const at = (row: number) => logits.subarray(row * classes, (row + 1) * classes);
      if (this.task === 'seq-cls') {
        rows.forEach((f, r) => {
          const scores = at(r);
          classified.push({ gold: o.labels[f.label!], predicted: o.labels[argmax(scores)], loss: crossEntropyOf(scores, f.label!), language: language(start + r) });
        });
      } else if (this.task === 'token-cls') {
        const seq = batch.feeds.input_ids.dims[1];
        rows.forEach((f, r) => {
          const row: TaggedRow = { gold: [], predicted: [], lossSum: 0, lossWords: 0, language: language(start + r) };
          f.tokenLabels!.forEach((label, s) => {
            if (label === IGNORE) return;
            const scores = at(r * seq + s);
            (row.gold as string[]).push(o.labels[label]);
            (row.predicted as string[]).push(o.labels[argmax(scores)]);
            row.lossSum += crossEntropyOf(scores, label);
            row.lossWords++;
          });
          tagged.push(row);
        });
      } else {
        // Masked positions come row by row (collate's order); their flat index says whose they are.
        const seq = batch.feeds.input_ids.dims[1];
        const positions = batch.feeds.mlm_positions.data as BigInt64Array;
        const gold = batch.feeds.mlm_labels.data as BigInt64Array;
        const perRow = rows.map((_, r): MaskedRowScore & { ranks: number[] } => ({ lossSum: 0, masked: 0, ranks: [], language: language(start + r) }));
        positions.forEach((flat, p) => {
          const row = perRow[Math.floor(Number(flat) / seq)];
          const scores = at(p);
          const label = Number(gold[p]);
          row.lossSum += crossEntropyOf(scores, label);
          row.masked++;
          row.ranks.push(rankOf(scores, label));
        });
        masked.push(...perRow);
      }
    }
    const scores: TaskScores =
      this.task === 'seq-cls' ? classificationScores(classified, o.labels, o.languagesAreLabels) : this.task === 'token-cls' ? taggingScores(tagged, o.labels) : maskedScores(masked);
    const flat: Record<string, number> = { ...scores.metrics };
    if (o.languages) for (const [lang, metrics] of Object.entries(scores.perLanguage)) for (const [name, value] of Object.entries(metrics)) flat[`${name}/${lang}`] = value;
    // A count, not a metric: it would only draw a flat line on the dashboard.
    for (const key of Object.keys(flat)) if (key.startsWith('masked_tokens')) delete flat[key];
    const result: LanguageEvalResult = { eval: flat };
    if (scores.confusion) {
      result.confusion = scores.confusion.matrix;
      result.labels = scores.confusion.labels;
    }
    return result;
  }

  async release(): Promise<void> {
    await this.session.session.release();
  }
}

export interface TrainingEvaluationOptions {
  task: HeadKind;
  /** The eval file as loaded; its rows' languages group the metrics. */
  data: LoadedDataset;
  features: readonly Feature[];
  labels: readonly string[];
  batchSize: number;
  padId: number;
  masking?: MaskingOptions;
  metricForBest?: MetricForBest;
  patience?: number;
}

/**
 * Everything the trainer needs at an eval step: per-language metrics for the eval line, and the verdict of the
 * best-checkpoint tracker (when --metric-for-best is set).
 */
export class TrainingEvaluation {
  readonly tracker: BestTracker | undefined;
  readonly languages: readonly string[];
  /** Where the rows' languages come from: the file's language column, or each row's script (Latin stands for many). */
  readonly languageSource: LanguageSource;

  private constructor(private readonly evaluator: LanguageEvaluator, private readonly o: TrainingEvaluationOptions) {
    const { languages, source } = rowLanguages(o.data);
    this.languages = languages;
    this.languageSource = source;
    this.tracker = o.metricForBest ? new BestTracker({ ...metricForBestKey(o.task, o.metricForBest), patience: o.patience }) : undefined;
  }

  static async create(build: LossBuilder, sessionOpts: { threads?: number; device?: Device; spin?: boolean }, o: TrainingEvaluationOptions): Promise<TrainingEvaluation> {
    // The tracker checks its options before a session is built, so a bad flag fails fast.
    if (o.metricForBest) metricForBestKey(o.task, o.metricForBest);
    return new TrainingEvaluation(await LanguageEvaluator.create(build, o.task, sessionOpts), o);
  }

  async run(step: number, params: ReadonlyMap<string, Float32Array>): Promise<LanguageEvalResult & { verdict?: BestVerdict }> {
    const result = await this.evaluator.evaluate(this.o.features, params, {
      batchSize: this.o.batchSize, padId: this.o.padId, masking: this.o.masking, labels: this.o.labels, languages: this.languages, languagesAreLabels: this.languageSource === 'label',
    });
    return this.tracker ? { ...result, verdict: this.tracker.update(step, result.eval) } : result;
  }

  trackerState(): BestTrackerState | undefined {
    return this.tracker?.state();
  }

  async release(): Promise<void> {
    await this.evaluator.release();
  }
}
