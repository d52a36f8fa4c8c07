/**
 * `xlm train --task qa`: a TrainingRun whose data is SQuAD-format questions, whose features are run_qa.py's
 * windows (a window without the whole answer points at `<s>`), and whose evaluation decodes answers over each
 * question's windows and scores them with exact match and F1 (SQuAD's rules, MLQA's per language), pooled and per
 * language. The steps, checkpoints, resume, LoRA and the saved HF folder (XLMRobertaForQuestionAnswering) are the
 * base run's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../rng/rng.js';
import { mixSeed, readQaFile, shuffledIndices, type QaDataset, type QaExample } from '../data/index.js';
import { XlmError } from '../errors.js';
import { BestTracker, metricForBestKey, type BestTrackerState, type BestVerdict, type MetricForBest } from '../eval/best-tracker.js';
import type { LanguageEvalResult } from '../eval/training.js';
import { scoreQa } from '../metrics/qa.js';
import { ort, type Device } from '../runtime/session.js';
import { epochBatches } from '../train/batching.js';
import { DEFAULT_EVALUATIONS, trainingDefaults } from '../train/defaults.js';
import { describeVerdict, judgeLearning, VERDICT_FILE, type LearningVerdict } from '../train/verdict.js';
import type { TrainableParam } from '../train/context.js';
import type { CollatedBatch } from '../train/features.js';
import { modelLoss } from '../train/model-loss.js';
import { StepRunner, createTrainingSession, type TrainingSession, resolveSpin } from '../train/runner.js';
import { buildEvalGraph, COUNTER_INPUT, SEED_INPUT, type LossBuilder } from '../train/step-graph.js';
import { TrainingRun, type RunEvaluator, type RunGraphs, type RunPlan } from '../train/train.js';
import { DEFAULT_DECODE, type QaDecodeOptions } from './decode.js';
import { collateQa, encodeQaExamples, QA_STRIDE, type QaFeature } from './features.js';
import { predictAnswers, splitQaLogits } from './predict.js';
import { firstSentence } from './sentences.js';

interface QaRunData {
  train: QaExample[];
  eval?: QaExample[];
  /** SQuAD v2.0 data (some question has no answer): decoding may answer nothing. */
  allowNull: boolean;
}

export class QaTrainingRun extends TrainingRun {
  protected qa!: QaRunData;
  private trainFeatures: QaFeature[] = [];
  private batchCache: { epoch: number; batches: number[][] } | undefined;

  private windowOptions() {
    return { maxLength: this.model.maxLength, stride: this.o.qa?.stride ?? Math.min(QA_STRIDE, Math.floor(this.model.maxLength / 3)) };
  }

  private decodeOptions(): QaDecodeOptions {
    const q = this.o.qa ?? {};
    return { nBest: q.nBest ?? DEFAULT_DECODE.nBest, maxAnswerLength: q.maxAnswerLength ?? DEFAULT_DECODE.maxAnswerLength, allowNull: this.qa.allowNull, nullThreshold: q.nullThreshold ?? DEFAULT_DECODE.nullThreshold };
  }

  /** Phase: the questions, as the other tasks' rows (readData): loaded, a share held out without an eval file, refused when none train. */
  protected override async readData(): Promise<number> {
    this.qa = await this.loadQa();
    this.holdOut();
    if (this.qa.train.length === 0) throw new XlmError('empty-data', 'the training file has no questions', { file: this.o.train });
    return this.qa.train.length;
  }

  /** The training and eval questions (--train-language keeps the training file's languages named). */
  private async loadQa(): Promise<QaRunData> {
    const o = this.o;
    const read = { onError: o.readOptions?.onError, maxErrors: o.readOptions?.maxErrors, language: o.readOptions?.language };
    const train: QaDataset = await readQaFile(o.train, { ...read, ...(o.trainLanguage ? { onlyLanguages: o.trainLanguage } : {}) });
    if (o.trainLanguage) this.log(`training on ${o.trainLanguage.join(', ')}: ${train.examples.length} questions (${train.filtered} in other languages left out)`);
    const evalData = o.eval ? await readQaFile(o.eval, read) : undefined;
    const all = [...train.examples, ...(evalData?.examples ?? [])];
    return { train: train.examples, eval: evalData?.examples, allowNull: all.some((e) => e.impossible) };
  }

  /** Without an eval file: a seeded share of the questions held out for evaluation. */
  private holdOut(): void {
    const o = this.o;
    if (this.qa.eval || !o.evalFraction) return;
    const n = this.qa.train.length;
    if (n < (o.evalFractionMinRows ?? 0)) {
      this.log(`no evaluation: ${n} questions are too few to hold ${Math.round(o.evalFraction * 100)}% out (it takes ${o.evalFractionMinRows}); give an eval file for eval metrics`);
      return;
    }
    const order = shuffledIndices(n, createRng(mixSeed(o.seed, 7)));
    const held = Math.max(1, Math.round(n * o.evalFraction));
    const evalSet = new Set(Array.from(order.slice(0, held)));
    this.qa.eval = this.qa.train.filter((_, i) => evalSet.has(i));
    this.qa.train = this.qa.train.filter((_, i) => !evalSet.has(i));
    this.log(`holding out ${held} of ${n} questions for evaluation (${Math.round(o.evalFraction * 100)}%)`);
  }

  protected override encode(): RunPlan {
    const o = this.o;
    this.trainFeatures = encodeQaExamples(this.qa.train, this.model.tokenizer, this.windowOptions());
    const batchesPerEpoch = Math.ceil(this.trainFeatures.length / o.batchSize);
    const stepsPerEpoch = Math.max(1, Math.floor(batchesPerEpoch / o.gradAccum));
    const totalSteps = o.maxSteps ?? o.epochs * stepsPerEpoch;
    this.log(`${this.qa.train.length} questions in ${this.trainFeatures.length} windows of at most ${this.model.maxLength} tokens`);
    // As the other tasks: without --eval-every, a run with eval questions evaluates about ten times (EM/F1 curves).
    const evalEvery = o.evalEvery ?? (this.qa.eval?.length ? Math.max(1, Math.round(totalSteps / DEFAULT_EVALUATIONS)) : undefined);
    return { features: [], lengths: this.trainFeatures.map((f) => f.ids.length), stepsPerEpoch, totalSteps, evalEvery, warmupSteps: Math.ceil(o.warmupRatio * totalSteps) };
  }

  /**
   * Whether the run learned: its last eval F1 against the better of two answers that need no model, the context's
   * first sentence and (SQuAD v2.0 data) no answer, scored by the same rules; without eval questions, whether the
   * loss fell. Logged and written to OUT/verdict.json, as for the other tasks.
   */
  protected override judge(): LearningVerdict {
    const o = this.o;
    const losses = this.logHistory.filter((m) => typeof m.loss === 'number' && !('eval' in m)).map((m) => m.loss as number);
    const defaultLr = trainingDefaults({ task: 'question-answering', method: o.method, hiddenSize: this.model.config.hidden_size, rows: this.qa.train.length }).lr;
    const examples = this.qa.eval ?? [];
    const f1Of = (answer: (e: QaExample) => string) => scoreQa(examples.map((e) => ({ id: e.id, language: e.language ?? 'unknown', predicted: answer(e), gold: e.answers.map((a) => a.text) }))).f1 / 100;
    const baselines = [{ name: 'the first sentence of the context', f1: f1Of((e) => firstSentence(e.context)) }];
    if (this.qa.allowNull) baselines.push({ name: 'nothing (no answer)', f1: f1Of(() => '') });
    const qaBaseline = examples.length ? baselines.reduce((a, b) => (b.f1 > a.f1 ? b : a)) : undefined;
    const verdict = judgeLearning({ head: 'qa', method: o.method, lr: o.lr, defaultLr, epochs: o.epochs, losses, evalMetrics: this.lastEval?.eval, qaBaseline });
    writeFileSync(join(this.out, VERDICT_FILE), JSON.stringify(verdict, null, 2) + '\n');
    this.log(describeVerdict(verdict));
    return verdict;
  }

  protected override async buildSessions(): Promise<RunGraphs> {
    const o = this.o;
    const { config, folder, tokenizer } = this.model;
    const lora = o.method === 'lora' ? { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, targets: o.loraTargets } : undefined;
    const model = modelLoss({ head: 'qa', config, numLabels: 2, weights: folder.weights, method: o.method, lora, dropout: o.dropout, initSeed: o.seed });
    const spin = resolveSpin(o.spin, (line) => this.log(line));
    const runner = this.own(await StepRunner.create(model.build, {
      seed: o.seed, gradAccum: o.gradAccum, device: o.device, threads: o.threads, spin, onNotice: (line) => this.log(line), inPlace: o.inPlace,
      schedule: { kind: o.schedule, lr: o.lr, warmupSteps: this.plan.warmupSteps, totalSteps: this.plan.totalSteps },
      optimizer: { kind: o.optimizer, weightDecay: o.weightDecay, beta1: o.adamBeta1, beta2: o.adamBeta2, eps: o.adamEps, maxGradNorm: o.maxGradNorm },
    }));
    const examples = this.qa.eval;
    const evaluator = examples?.length
      ? this.own(await QaEvaluator.create(model.build, { threads: o.threads, device: runner.device as 'cpu', spin }, {
        examples, features: encodeQaExamples(examples, tokenizer, this.windowOptions()), batchSize: o.batchSize, padId: tokenizer.padId,
        decode: this.decodeOptions(), metricForBest: o.metricForBest, patience: o.patience,
      }))
      : undefined;
    return { model, numLabels: 2, lora, runner, evaluator };
  }

  protected override microBatch(step: number, k: number): CollatedBatch {
    const o = this.o;
    const { stepsPerEpoch, lengths } = this.plan;
    const epoch = Math.floor(step / stepsPerEpoch);
    if (this.batchCache?.epoch !== epoch) this.batchCache = { epoch, batches: epochBatches(lengths, o.batchSize, o.shuffle, o.seed, epoch) };
    const indices = this.batchCache.batches[(step % stepsPerEpoch) * o.gradAccum + k];
    return collateQa(indices.map((i) => this.trainFeatures[i]), this.model.tokenizer.padId);
  }

  protected override labelNames(): undefined {
    return undefined;
  }
}

interface QaEvaluatorOptions {
  examples: readonly QaExample[];
  features: readonly QaFeature[];
  batchSize: number;
  padId: number;
  decode: QaDecodeOptions;
  metricForBest?: MetricForBest;
  patience?: number;
}

/** Evaluation during QA training: answers decoded from the forward graph fed the current weights, scored per language. */
class QaEvaluator implements RunEvaluator {
  readonly tracker: BestTracker | undefined;

  private constructor(private readonly session: TrainingSession, private readonly trainable: TrainableParam[], private readonly o: QaEvaluatorOptions) {
    this.tracker = o.metricForBest ? new BestTracker({ ...metricForBestKey('qa', o.metricForBest), patience: o.patience }) : undefined;
  }

  static async create(build: LossBuilder, sessionOpts: { threads?: number; device?: Device; spin?: boolean }, o: QaEvaluatorOptions): Promise<QaEvaluator> {
    const built = buildEvalGraph(build);
    return new QaEvaluator(await createTrainingSession(built, sessionOpts), built.trainable, o);
  }

  async run(step: number, params: ReadonlyMap<string, Float32Array>): Promise<LanguageEvalResult & { verdict?: BestVerdict }> {
    const weights: Record<string, ort.Tensor> = {};
    for (const p of this.trainable) weights[p.name] = new ort.Tensor('float32', params.get(p.name)!, p.shape);
    const rng = { [SEED_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []), [COUNTER_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []) };
    let lossSum = 0;
    let windows = 0;
    const decoded = await predictAnswers(this.o.examples.map((e) => e.context), this.o.features, async (batch) => {
      const { feeds } = collateQa(batch, this.o.padId);
      const out = await this.session.session.run({ ...feeds, ...weights, ...this.session.frozen, ...rng });
      lossSum += Number(out.loss.data[0]) * batch.length;
      windows += batch.length;
      return splitQaLogits(out.logits.data as Float32Array, batch.length, feeds.input_ids.dims[1]);
    }, this.o.batchSize, this.o.decode);
    const scores = scoreQa(this.o.examples.map((e, i) => ({ id: e.id, language: e.language ?? 'unknown', predicted: decoded[i].answer, gold: e.answers.map((a) => a.text) })));
    // Fractions, as every other eval line holds them (the table prints them as percentages).
    const flat: Record<string, number> = { loss: windows ? lossSum / windows : 0, exact_match: scores.exact_match / 100, f1: scores.f1 / 100 };
    for (const [lang, s] of Object.entries(scores.perLanguage)) {
      flat[`exact_match/${lang}`] = s.exact_match / 100;
      flat[`f1/${lang}`] = s.f1 / 100;
    }
    const result: LanguageEvalResult = { eval: flat };
    return this.tracker ? { ...result, verdict: this.tracker.update(step, flat) } : result;
  }

  trackerState(): BestTrackerState | undefined {
    return this.tracker?.state();
  }

  async release(): Promise<void> {
    await this.session.session.release();
  }
}
