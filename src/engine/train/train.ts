/**
 * `train(options, hooks)`: a whole fine-tuning run, used by `xlm train` and by the engine's train/start
 * request. A `TrainingRun` does the work in named phases: loads the model folder and data, builds the step
 * graphs, resumes, runs the steps, logs one metrics line per logged step (hooks.onMetrics and
 * OUT/metrics.jsonl), evaluates, saves checkpoints and the final model, and releases its sessions.
 *
 * Where a run stands is (step, rng counter, weights, optimizer moments): the data order of every epoch
 * is a function of (seed, epoch) and the step fixes the position in it, so a resumed run continues
 * exactly where the checkpoint was taken.
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertReadable, loadDataset, mixSeed, stratifiedSplit, type LoadedDataset } from '../data/index.js';
import { skippedRows } from '../data/issues.js';
import { XlmError, field, joinSaid, render, said, type Said } from '../errors.js';
import type { BestTracker, BestTrackerState, BestVerdict } from '../eval/best-tracker.js';
import { TrainingEvaluation } from '../eval/training.js';
import { positionLimit, type XlmrConfig } from '../hf/config.js';
import { loadModelFolder, type ModelFolder } from '../hf/folder.js';
import { encoderTensorSpecs, headTensorSpecs } from '../hf/names.js';
import { XlmTokenizer } from '../tokenize/tokenizer.js';
import { epochBatches } from './batching.js';
import { checkpointDir, latestCheckpoint, refuseEarlierRun, readTrainerState, readTrainingState, saveCheckpoint, saveFinal, type SaveContents } from './checkpoint.js';
import { collate, encodeDataset, type CollatedBatch, type Feature, type MaskingOptions } from './features.js';
import type { LoraTarget } from './lora.js';
import { DEFAULT_EVALUATIONS, defaultsInWords, trainingDefaults } from './defaults.js';
import { checkTrainingMemory, type MemoryCheck } from './memory.js';
import { truncateMetricsToStep } from './metrics-file.js';
import { modelLoss, type ModelLoss } from './model-loss.js';
import { resolveOptions, type ResolvedTrainOptions, type TrainEvalMetrics, type TrainHooks, type TrainOptions, type TrainProgress, type TrainResult, type TrainStepMetrics } from './options.js';
import { canonicalNliLabels } from '../model/nli-labels.js';
import { StepRunner, type StepResult, resolveSpin } from './runner.js';
import { runStepLoop } from './step-loop.js';
import { VERDICT_FILE, describeVerdict, judgeLearning, labelCounts, type LearningVerdict } from './verdict.js';
import { HEAD_OF_TASK, ROWS_OF_TASK, dataFitsTask, tabularKindOf, type HeadKind, type Task } from '../tasks/vocabulary.js';
import { readJsonFile } from '../hf/json.js';

export * from './options.js';

const GENERIC_LABEL = /^LABEL_\d+$/;

/** Options that must not change between a run and its resumption. */
const FINGERPRINT_KEYS = ['task', 'method', 'loraR', 'loraAlpha', 'loraTargets', 'batchSize', 'gradAccum', 'maxLength', 'seed', 'shuffle', 'optimizer', 'lr', 'schedule'] as const;

/** What a run opens and must close however it ends: onnxruntime sessions (step runner, evaluator), the model folder's weight file. */
interface Resource {
  release(): void | Promise<void>;
}

/** The model folder as the run reads it (phase loadModel). */
export interface RunModel {
  folder: ModelFolder;
  tokenizer: XlmTokenizer;
  config: XlmrConfig;
  /** The requested --max-length, capped at the model's positions. */
  maxLength: number;
  memory: MemoryCheck;
}

/** The run's data (phases loadData and split). */
interface RunData {
  train: LoadedDataset;
  eval?: LoadedDataset;
  /** Class names or tags by label id; undefined for mlm. */
  labels?: string[];
}

/** The data as features and the step plan (phase encode); a task with other features (QA) keeps its own and leaves these empty. */
export interface RunPlan {
  features: Feature[];
  evalFeatures?: Feature[];
  lengths: number[];
  stepsPerEpoch: number;
  totalSteps: number;
  /** --eval-every, or about DEFAULT_EVALUATIONS evaluations a run when there are eval rows. */
  evalEvery?: number;
  warmupSteps: number;
  masking?: MaskingOptions;
}

/**
 * What scores the current weights at an eval step: TrainingEvaluation for the XLM-R tasks, the QA run's own
 * evaluator (src/engine/qa/train-run.ts), TranslationEvaluation (src/engine/seq2seq/evaluation.ts) for translation
 * runs. Its result is the eval line's content; with --metric-for-best its tracker gives the verdict.
 */
export interface RunEvaluator {
  readonly tracker: BestTracker | undefined;
  run(step: number, params: ReadonlyMap<string, Float32Array>): Promise<Omit<TrainEvalMetrics, 'step' | 'epoch'> & { verdict?: BestVerdict }>;
  trackerState(): BestTrackerState | undefined;
  /** Closes the sessions it keeps open between evaluations. */
  release(): Promise<void>;
}

/** The loss graph and the sessions that run it (phase buildSessions). */
export interface RunGraphs {
  model: ModelLoss;
  numLabels: number;
  lora?: { r: number; alpha: number; dropout: number; targets: string[] };
  runner: StepRunner;
  evaluator?: RunEvaluator;
}

/**
 * One fine-tuning run, phase by phase: loadModel, loadData, split, encode, buildSessions, resume, the step loop
 * (step, evaluate, checkpoint), finish (final evaluation and the model in OUT/). `run()` calls them in that order
 * and, in a `finally`, releases every onnxruntime session and file the run opened, whether it ends, is cancelled
 * or throws (a diverged run inside the long-lived engine leaks nothing).
 *
 * A task or a kind of run that needs something else subclasses it and overrides the phase that differs (its data
 * reading, its loss graph, its evaluation); anything it opens goes through `own()` so that `run()` releases it.
 */
export class TrainingRun {
  /** The options with every default filled; the table's learning rate, epochs and warm-up once the data is read (phase chooseDefaults). */
  o: ResolvedTrainOptions;
  /** The output folder, absolute. */
  readonly out: string;
  /** Set by the phases, in order; a phase reads only what the phases before it set. */
  protected model!: RunModel;
  protected data!: RunData;
  protected plan!: RunPlan;
  protected graphs!: RunGraphs;
  protected fingerprint: Record<string, unknown>;
  /** trainer_state.json's log_history: every metrics line of the run, resumed ones included. */
  protected readonly logHistory: Record<string, unknown>[] = [];
  protected readonly checkpoints: string[] = [];
  protected lastEval: TrainEvalMetrics | undefined;
  protected lastLoss: number | undefined;
  protected stopEarly = false;
  protected cancelled = false;
  private readonly resources: Resource[] = [];
  private started = false;
  private epochCache: { epoch: number; batches: number[][] } | undefined;

  constructor(private readonly given: TrainOptions, protected readonly hooks: TrainHooks = {}) {
    this.o = resolveOptions(given);
    this.out = resolve(this.o.out);
    this.fingerprint = Object.fromEntries(FINGERPRINT_KEYS.map((k) => [k, this.o[k]]));
  }

  /** The XLM-R task of this run; a translation run overrides every phase that would ask. */
  protected get encoderTask(): Task {
    const task = this.o.task;
    if (task === 'translation') throw new XlmError('bad-option', 'the translation task trains a seq2seq model; it runs as a TranslationRun', { what: 'task' });
    return task;
  }

  /** The head this run trains. */
  protected get head(): HeadKind {
    return HEAD_OF_TASK[this.encoderTask];
  }

  /** Runs the phases once; resolves with the result or rejects with the phase's error, every owned resource released either way. */
  async run(): Promise<TrainResult> {
    if (this.started) throw new Error('a TrainingRun runs once; create another for the next run');
    this.started = true;
    let failed = true;
    try {
      const result = await this.phases();
      failed = false;
      return result;
    } finally {
      await this.releaseAll(failed);
    }
  }

  /** The phases in order; a subclass that adds one overrides this or the phase it follows. */
  protected async phases(): Promise<TrainResult> {
    this.hooks.onProgress?.({ step: 0, totalSteps: 0, epoch: 0, phase: 'loading' });
    if (!this.o.resume) refuseEarlierRun(this.out);
    // A missing data file is said before the model is read and its memory estimated.
    for (const file of [this.o.train, this.o.eval]) if (file) await assertReadable(file);
    this.model = this.loadModel();
    this.chooseDefaults(await this.readData());
    this.plan = this.encode();
    this.graphs = await this.buildSessions();
    mkdirSync(this.out, { recursive: true });
    if (this.o.resume) this.resume();
    await this.loop();
    await this.finish();
    const verdict = this.cancelled ? undefined : this.judge();
    return this.result(verdict);
  }

  /**
   * Phase: the training rows (and eval rows, or a held-out share of the training rows), refused when there are
   * none; returns how many rows train, for the defaults table. A task with data of its own kind overrides it.
   */
  protected async readData(): Promise<number> {
    this.data = await this.loadData();
    this.split();
    if (this.data.train.size === 0) throw new XlmError('empty-data', 'the training file has no examples', { file: this.o.train });
    return this.data.train.size;
  }

  /** What the run returns, once finished or cancelled (with the learning verdict where the task has one). */
  protected result(verdict?: LearningVerdict): TrainResult {
    const { runner } = this.graphs;
    this.progress('done');
    this.log(`peak memory of this process ${Math.round(process.resourceUsage().maxRSS / 1024)} MB (estimated ${Math.round(this.model.memory.estimate.totalMB)} MB)`);
    return { out: this.out, steps: runner.stepCount, cancelled: this.cancelled, lastLoss: this.lastLoss, checkpoints: this.checkpoints, device: runner.device, lastEval: this.lastEval, verdict };
  }

  /** Registers something `run()` releases at its end, last opened first. */
  protected own<T extends Resource>(resource: T): T {
    this.resources.push(resource);
    return resource;
  }

  /** Releases every owned resource; a release failure is thrown only when the run itself did not fail (its error wins). */
  private async releaseAll(runFailed: boolean): Promise<void> {
    let firstError: unknown;
    for (const r of this.resources.splice(0).reverse()) {
      try {
        await r.release();
      } catch (e) {
        firstError ??= e;
      }
    }
    if (!runFailed && firstError !== undefined) throw firstError;
  }

  protected log(line: string | Said): void {
    this.hooks.onLog?.(render(line, this.hooks.nameOption));
  }

  /** Where the run stands, for the onProgress hook (from the step loop on). */
  protected progress(phase: TrainProgress['phase']): void {
    const step = this.graphs.runner.stepCount;
    this.hooks.onProgress?.({ step, totalSteps: this.plan.totalSteps, epoch: step / this.plan.stepsPerEpoch, phase });
  }

  /** Phase: the model folder and tokenizer; the length cap and the memory check, before anything large is read or built. */
  protected loadModel(): RunModel {
    const o = this.o;
    const folder = loadModelFolder(o.model, { head: this.head });
    this.own({ release: () => folder.close() });
    const tokenizer = XlmTokenizer.fromFolder(folder.dir);
    const config = folder.config;
    // Longer inputs would index past the position table, so the length is capped there (as transformers caps at
    // the tokenizer's model_max_length), with a line saying so.
    const positions = positionLimit(config);
    const maxLength = Math.min(o.maxLength, positions);
    if (maxLength < o.maxLength) this.log(said`${field('maxLength')} ${o.maxLength} is longer than this model's ${positions} positions (max_position_embeddings ${config.max_position_embeddings} in config.json): using ${maxLength}`);
    // A run that cannot fit is refused with the figure and what would fit.
    const memory = checkTrainingMemory({ config, task: this.head, method: o.method, loraR: o.loraR, loraTargets: o.loraTargets as LoraTarget[], batchSize: o.batchSize, maxLength, optimizer: o.optimizer, inPlace: o.inPlace }, o.memoryLimitMB);
    this.log(`estimated peak memory ${Math.round(memory.estimate.totalMB)} MB of ${memory.limitSource}`);
    return { folder, tokenizer, config, maxLength, memory };
  }

  /** Phase: the training and eval files, read as the task's kind with the model's labels (or the training file's). */
  protected async loadData(): Promise<RunData> {
    const o = this.o;
    const config = this.model.config;
    const modelLabels = config.id2label.length && !config.id2label.every((l) => GENERIC_LABEL.test(l)) ? config.id2label : undefined;
    // Labels by id: the model's own (a classifier trained further), else the label map given with the data.
    const byId = o.labelNames ?? modelLabels;
    const readOpts = this.head === 'mlm' || !byId ? {} : { labels: byId, id2label: Object.fromEntries(byId.map((l, i) => [i, l])), ...(o.labelNames ? {} : { labelsFrom: 'model' as const }) };
    const train = await loadDataset(o.train, { ...o.readOptions, kind: tabularKindOf(this.encoderTask), ...readOpts, ...(o.trainLanguage ? { onlyLanguages: o.trainLanguage } : {}) });
    checkKind(train, this.encoderTask, o.train);
    if (o.trainLanguage) this.log(`training on ${o.trainLanguage.join(', ')}: ${train.size} rows (${train.info.report.filtered} rows in other languages left out)`);
    const labels = this.head === 'mlm' ? undefined : [...train.labels];
    const evalData = o.eval ? await loadDataset(o.eval, { ...o.readOptions, kind: train.info.kind, ...(labels ? { labels, id2label: Object.fromEntries(labels.map((l, i) => [i, l])) } : {}) }) : undefined;
    for (const line of [train, evalData].flatMap((d) => (d ? skippedRows(d.info.report) : []))) this.log(line);
    if (this.head === 'seq-cls' || this.head === 'token-cls') checkTwoLabels(train, this.head, o.train);
    return { train, eval: evalData, labels };
  }

  /** Phase: without an eval file, hold out a stratified share of the training rows (same seed, same split). */
  protected split(): void {
    const o = this.o;
    const data = this.data;
    if (data.eval || !o.evalFraction) return;
    if (data.train.size < (o.evalFractionMinRows ?? 0)) {
      this.log(`no evaluation: ${data.train.size} rows are too few to hold ${Math.round(o.evalFraction * 100)}% out (it takes ${o.evalFractionMinRows}); give an eval file for eval metrics`);
      return;
    }
    const split = stratifiedSplit(data.train, { evalFraction: o.evalFraction, seed: o.seed });
    data.train = split.train;
    data.eval = split.eval;
    this.log(`holding out ${split.eval.size} of ${split.train.size + split.eval.size} rows for evaluation (${Math.round(o.evalFraction * 100)}%, stratified)`);
  }

  /**
   * Phase: the learning rate, epochs and warm-up the defaults table gives for this task, method, model size and
   * number of training rows (`rows`: a task with other data, QA, counts its questions), for each of them the run was
   * not given; one log line says which were chosen and why.
   */
  protected chooseDefaults(rows: number): void {
    const g = this.given;
    const table = trainingDefaults({ task: this.o.task, method: this.o.method, hiddenSize: this.model.config.hidden_size, rows, batchSize: this.o.batchSize });
    this.o = resolveOptions(g, table);
    this.fingerprint = Object.fromEntries(FINGERPRINT_KEYS.map((k) => [k, this.o[k]]));
    const taken = ([g.lr === undefined && 'lr', g.epochs === undefined && g.maxSteps === undefined && 'epochs', g.warmupRatio === undefined && 'warmupRatio'] as const).filter((k) => k !== false);
    // Only the values this run takes from the table: a run given --lr and --epochs is not told the table's.
    if (taken.length) this.log(said`${table.rowName}: ${defaultsInWords(table, taken)} (${joinSaid(taken.map((k) => said`${field(k)}`), ', ')} from the defaults table; give ${taken.length > 1 ? 'them' : 'it'} to override)`);
  }

  /** Phase: rows to token ids, and how many steps the run takes. */
  protected encode(): RunPlan {
    const o = this.o;
    const { tokenizer, config, maxLength } = this.model;
    const cut = { train: { truncated: 0 }, eval: { truncated: 0 } };
    const features = encodeDataset(this.data.train, tokenizer, this.head, maxLength, cut.train);
    const evalFeatures = this.data.eval ? encodeDataset(this.data.eval, tokenizer, this.head, maxLength, cut.eval) : undefined;
    // Rows longer than the limit are cut, as evaluation says of its rows: said, so a user can raise maxLength.
    for (const [which, n, of] of [['training', cut.train.truncated, features.length], ['evaluation', cut.eval.truncated, evalFeatures?.length ?? 0]] as const) {
      if (n) this.log(said`${n} of ${of} ${which} rows were cut at ${maxLength} tokens (${this.head === 'token-cls' ? 'their cut-off words are not read' : 'the rest of each is not read'}; ${field('maxLength')} sets the limit, up to the model's positions)`);
    }
    const batchesPerEpoch = Math.ceil(features.length / o.batchSize);
    const stepsPerEpoch = Math.max(1, Math.floor(batchesPerEpoch / o.gradAccum));
    const totalSteps = o.maxSteps ?? o.epochs * stepsPerEpoch;
    const specialIds = new Set([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.unkId, tokenizer.maskId]);
    // Without --eval-every, a run with eval rows evaluates about ten times, so each eval metric is a curve, not a dot.
    const evalEvery = o.evalEvery ?? (evalFeatures ? Math.max(1, Math.round(totalSteps / DEFAULT_EVALUATIONS)) : undefined);
    return {
      features,
      evalFeatures,
      lengths: features.map((f) => f.ids.length),
      stepsPerEpoch,
      totalSteps,
      evalEvery,
      warmupSteps: Math.ceil(o.warmupRatio * totalSteps),
      masking: this.head === 'mlm' ? { probability: o.mlmProbability, wholeWord: o.wholeWordMask, maskId: tokenizer.maskId, vocabSize: config.vocab_size, specialIds } : undefined,
    };
  }

  /** Phase: the task's loss graph, the step sessions (StepRunner) and the evaluation session; `run()` releases both. */
  protected async buildSessions(): Promise<RunGraphs> {
    const o = this.o;
    const { config, folder, tokenizer } = this.model;
    const { labels } = this.data;
    const lora = o.method === 'lora' ? { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, targets: o.loraTargets } : undefined;
    const numLabels = labels?.length ?? 0;
    const model = modelLoss({ head: this.head, config, numLabels, weights: folder.weights, method: o.method, lora, dropout: o.dropout, initSeed: o.seed });
    const spin = resolveSpin(o.spin, (line) => this.log(line));
    const runner = this.own(await StepRunner.create(model.build, {
      seed: o.seed, gradAccum: o.gradAccum, device: o.device, threads: o.threads, spin, onNotice: (line) => this.log(line), inPlace: o.inPlace,
      schedule: { kind: o.schedule, lr: o.lr, warmupSteps: this.plan.warmupSteps, totalSteps: this.plan.totalSteps },
      optimizer: { kind: o.optimizer, weightDecay: o.weightDecay, beta1: o.adamBeta1, beta2: o.adamBeta2, eps: o.adamEps, maxGradNorm: o.maxGradNorm },
    }));
    const { eval: evalData } = this.data;
    const { evalFeatures } = this.plan;
    const evaluator = evalData && evalFeatures
      ? this.own(await TrainingEvaluation.create(model.build, { threads: o.threads, device: runner.device as 'cpu', spin }, {
        task: this.head, data: evalData, features: evalFeatures, labels: labels ?? [], batchSize: o.batchSize, padId: tokenizer.padId, masking: this.plan.masking,
        metricForBest: o.metricForBest, patience: o.patience,
      }))
      : undefined;
    // The eval line's per-language keys are scripts where the file names no language ("accuracy/Latin" covers many).
    if (evaluator?.languageSource === 'label') this.log('per-language scores: the eval file has no language column and its labels are languages, so each row counts under its own label');
    if (evaluator?.languageSource === 'script') this.log(said`per-language scores: the eval file has no language column, so rows are grouped by script where a script stands for several languages (Latin, Cyrillic, Arabic ...); ${field('languageColumn')} names the column`);
    return { model, numLabels, lora, runner, evaluator };
  }

  /** Phase (--resume): the latest complete checkpoint's weights, optimizer state, step, random counter and best evaluation. */
  protected resume(): void {
    const out = this.out;
    const { runner, evaluator } = this.graphs;
    const dir = latestCheckpoint(out);
    if (!dir) throw new XlmError('no-checkpoint', said`${field('resume')}: no complete checkpoint-N folder in ${out}`, { file: out });
    const state = readTrainerState(dir);
    const saved = (state.xlm_lab ?? {}) as { fingerprint?: Record<string, unknown>; rng_counter?: number; best?: BestTrackerState };
    for (const k of FINGERPRINT_KEYS) {
      if (JSON.stringify(saved.fingerprint?.[k]) !== JSON.stringify(this.fingerprint[k])) {
        throw new XlmError('resume-mismatch', said`${field('resume')}: ${field(k)} was ${JSON.stringify(saved.fingerprint?.[k])} in ${dir}, now ${JSON.stringify(this.fingerprint[k])}; use the run's settings or a new ${field('out')}`, { file: join(dir, 'trainer_state.json'), what: k });
      }
    }
    // Another label set would put the saved classifier rows under other labels (or fail on their count).
    const savedLabels = checkpointLabels(dir);
    const labels = this.labelNames();
    if (savedLabels && labels && JSON.stringify(savedLabels) !== JSON.stringify(labels)) {
      throw new XlmError('resume-mismatch', said`${field('resume')}: the run in ${out} was trained on the labels ${savedLabels.join(', ')}; this training data has ${labels.join(', ')}. Resume with the run's data, or give a new ${field('out')}`, { file: join(dir, 'config.json'), what: 'labels' });
    }
    try {
      runner.restore(readTrainingState(dir, state.global_step as number, saved.rng_counter ?? 0));
    } catch (e) {
      if (e instanceof XlmError) throw e;
      throw new XlmError('resume-mismatch', said`${field('resume')}: the checkpoint in ${dir} does not fit this run (its weights are of another model, task or LoRA setting); resume with the run's settings, or give a new ${field('out')}`, { file: dir });
    }
    this.logHistory.push(...((state.log_history as Record<string, unknown>[]) ?? []));
    evaluator?.tracker?.restore(saved.best);
    this.log(`resuming from ${dir} at step ${runner.stepCount}`);
    const dropped = truncateMetricsToStep(join(out, 'metrics.jsonl'), runner.stepCount);
    if (dropped) this.log(`metrics.jsonl: dropped ${dropped} line${dropped === 1 ? '' : 's'} logged after step ${runner.stepCount}, which this run trains again`);
  }

  /** Phase: optimizer steps until the last one, a cancel (which checkpoints) or early stopping. */
  protected async loop(): Promise<void> {
    const o = this.o;
    const { runner } = this.graphs;
    const { totalSteps } = this.plan;
    const ended = await runStepLoop({
      runner,
      until: totalSteps,
      signal: this.hooks.signal,
      step: () => this.step(),
      diverged: (loss, done) => new XlmError('diverged', said`the loss became ${loss} at step ${done}; lower ${field('lr')} or check the data`, {}),
      after: async (done) => {
        const evalEvery = this.plan.evalEvery ?? o.evalEvery;
        if (evalEvery && done % evalEvery === 0 && done < totalSteps) await this.evaluate();
        if (o.saveEvery && done % o.saveEvery === 0 && done < totalSteps && !this.checkpoints.includes(checkpointDir(this.out, done))) this.checkpoint();
        return this.stopEarly ? 'stop' : undefined;
      },
    });
    this.cancelled = ended === 'cancelled';
    if (this.cancelled) {
      this.checkpoint();
      this.log(said`cancelled at step ${runner.stepCount}; ${field('resume')} continues from ${checkpointDir(this.out, runner.stepCount)}`);
    }
  }

  /** One optimizer step over gradAccum micro-batches and its metrics line (the loop checks the loss). */
  protected async step(): Promise<StepResult> {
    const o = this.o;
    const { runner } = this.graphs;
    const { totalSteps, stepsPerEpoch } = this.plan;
    const step = runner.stepCount;
    const micro = Array.from({ length: o.gradAccum }, (_, k) => this.microBatch(step, k));
    const started = performance.now();
    const r = await runner.step(micro.map((b) => b.feeds));
    const seconds = (performance.now() - started) / 1000;
    this.lastLoss = r.loss;
    const done = runner.stepCount;
    this.progress('training');
    if (done % o.logEvery === 0 || done === totalSteps) {
      const examples = micro.reduce((s, b) => s + b.examples, 0);
      const tokens = micro.reduce((s, b) => s + b.tokens, 0);
      this.emit({ step: done, epoch: round(done / stepsPerEpoch), loss: r.loss, lr: r.lr, grad_norm: r.gradNorm, examples_per_s: round(examples / seconds), tokens_per_s: round(tokens / seconds) });
    }
    return r;
  }

  /** Micro-batch k of a step: the epoch's batch order is a function of (seed, epoch), so a resumed run draws the same. */
  protected microBatch(step: number, k: number): CollatedBatch {
    const o = this.o;
    const { stepsPerEpoch, lengths, features, masking } = this.plan;
    const epoch = Math.floor(step / stepsPerEpoch);
    if (this.epochCache?.epoch !== epoch) this.epochCache = { epoch, batches: epochBatches(lengths, o.batchSize, o.shuffle, o.seed, epoch) };
    const indices = this.epochCache.batches[(step % stepsPerEpoch) * o.gradAccum + k];
    const rows: Feature[] = indices.map((i) => features[i]);
    const seeds = indices.map((i) => mixSeed(mixSeed(o.seed, epoch), i));
    return collate(rows, this.head, this.model.tokenizer.padId, masking ? { options: masking, seeds } : undefined);
  }

  /** Evaluates the current weights (once per step); with --metric-for-best keeps the best as a checkpoint and decides early stopping. */
  protected async evaluate(): Promise<void> {
    const { runner, evaluator } = this.graphs;
    if (!evaluator || this.lastEval?.step === runner.stepCount) return;
    const step = runner.stepCount;
    this.progress('evaluating');
    const { verdict, ...metrics } = await evaluator.run(step, runner.currentParams());
    this.lastEval = { step, epoch: round(step / this.plan.stepsPerEpoch), ...metrics };
    this.emit(this.lastEval);
    if (!verdict) return;
    const key = evaluator.tracker!.options.key;
    // The best evaluation's weights are kept as a checkpoint, which becomes the final model at the end.
    if (verdict.improved && !this.checkpoints.includes(checkpointDir(this.out, step))) this.checkpoint();
    if (verdict.improved) this.log(`new best ${key} ${verdict.bestValue} at step ${step}`);
    if (verdict.stop) {
      this.stopEarly = true;
      this.log(`early stopping at step ${step}: ${key} has not improved for ${this.o.patience} evaluations (best ${verdict.bestValue} at step ${verdict.bestStep})`);
    }
  }

  /** Phase (unless cancelled): the last evaluation and checkpoint, then the final model in OUT/: the best checkpoint's weights if one was tracked. */
  protected async finish(): Promise<void> {
    if (this.cancelled) return;
    const { runner, evaluator } = this.graphs;
    await this.evaluate();
    if (!this.checkpoints.includes(checkpointDir(this.out, runner.stepCount))) this.checkpoint();
    const best = evaluator?.tracker?.best;
    if (best && best.step !== runner.stepCount) {
      const dir = checkpointDir(this.out, best.step);
      this.log(`the final model in ${this.out} is the best checkpoint, ${dir} (${evaluator!.tracker!.options.key} ${best.value})`);
      this.saveModel(readTrainingState(dir, best.step, 0).params);
    } else this.saveModel();
  }

  /** Whether the run learned (loss below chance, eval above the majority class): logged and written to OUT/verdict.json. */
  protected judge(): LearningVerdict {
    const o = this.o;
    const { train, eval: evalData } = this.data;
    const losses = this.logHistory.filter((m) => typeof m.loss === 'number' && !('eval' in m)).map((m) => m.loss as number);
    const defaultLr = trainingDefaults({ task: o.task, method: o.method, hiddenSize: this.model.config.hidden_size, rows: train.size }).lr;
    const verdict = judgeLearning({
      head: this.head, method: o.method, lr: o.lr, defaultLr, epochs: o.epochs, losses,
      trainLabelCounts: this.head === 'mlm' ? undefined : labelCounts(train, this.head),
      evalMetrics: this.lastEval?.eval,
      evalLabelCounts: evalData && this.head !== 'mlm' ? labelCounts(evalData, this.head) : undefined,
      steps: this.graphs.runner.stepCount,
    });
    writeFileSync(join(this.out, VERDICT_FILE), JSON.stringify(verdict, null, 2) + '\n');
    this.log(describeVerdict(verdict));
    return verdict;
  }

  /** OUT/checkpoint-STEP: the weights, optimizer state and trainer state of the current step. */
  protected checkpoint(): void {
    const { runner } = this.graphs;
    this.progress('saving');
    this.checkpoints.push(saveCheckpoint(this.out, runner.stepCount, this.contents(), runner.snapshot()));
    this.log(`saved ${checkpointDir(this.out, runner.stepCount)}`);
  }

  /** The final model in OUT/ (the current weights, or `weights`). */
  protected saveModel(weights?: ReadonlyMap<string, Float32Array>): void {
    this.progress('saving');
    saveFinal(this.out, this.contents(weights));
    this.log(`saved ${this.out}`);
  }

  /** One metrics line: trainer_state's log_history, OUT/metrics.jsonl and the onMetrics hook. */
  protected emit(m: TrainStepMetrics | TrainEvalMetrics): void {
    this.logHistory.push({ ...m });
    appendFileSync(join(this.out, 'metrics.jsonl'), JSON.stringify(m) + '\n');
    this.hooks.onMetrics?.(m);
  }

  /** The class names (or tags) config.json's id2label gets; none for mlm and qa. */
  protected labelNames(): string[] | undefined {
    // NLI labels in any spelling are saved as entailment / neutral / contradiction, the names the NLI panel needs.
    const labels = this.data.labels;
    return this.head === 'seq-cls' && labels ? canonicalNliLabels(labels) : labels;
  }

  /** Whether a sequence classifier reads single texts or pairs (saved with the model); undefined for other tasks. */
  protected inputKind(): 'pair' | 'single' | undefined {
    return this.head === 'seq-cls' ? (this.data.train.info.kind === 'pair-classification' ? 'pair' : 'single') : undefined;
  }

  /** What a checkpoint or the final folder holds: every weight (trained ones from `weights` or the runner) and the trainer state. */
  protected contents(weights?: ReadonlyMap<string, Float32Array>): SaveContents {
    const o = this.o;
    const { config } = this.model;
    const { runner, evaluator, model, numLabels, lora } = this.graphs;
    const { totalSteps, stepsPerEpoch } = this.plan;
    const shapes = new Map([...encoderTensorSpecs(config), ...(this.head === 'mlm' ? headTensorSpecs(config, 'mlm', 0) : headTensorSpecs(config, this.head, numLabels))].map((t) => [t.name, t.shape]));
    const current = weights ?? runner.currentParams();
    const best = evaluator?.tracker?.best;
    return {
      head: this.head, method: o.method, config, labels: this.labelNames(), input: this.inputKind(),
      baseModel: resolve(o.model), numLabels, lora,
      weight: (name) => current.get(name) ?? model.weight(name, shapes.get(name) ?? missing(name)),
      trainableNames: runner.trainable.map((p) => p.name),
      trainerState: {
        global_step: runner.stepCount, max_steps: totalSteps, epoch: runner.stepCount / stepsPerEpoch, num_train_epochs: Math.ceil(totalSteps / stepsPerEpoch),
        train_batch_size: o.batchSize, log_history: this.logHistory,
        ...(best ? { best_metric: best.value, best_global_step: best.step, best_model_checkpoint: checkpointDir(this.out, best.step) } : {}),
        xlm_lab: { fingerprint: this.fingerprint, rng_counter: runner.rngCounter, seed: o.seed, steps_per_epoch: stepsPerEpoch, best: evaluator?.trackerState() },
      },
    };
  }
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function missing(name: string): never {
  throw new Error(`no value for weight ${name}`);
}

function checkKind(data: LoadedDataset, task: Task, file: string): void {
  const kind = data.info.kind;
  if (!dataFitsTask(task, kind)) throw new XlmError('wrong-data-kind', `${task} needs rows with ${ROWS_OF_TASK[task]}; this file reads as ${kind}`, { file, what: 'task' });
}

/**
 * A classifier learns to tell labels apart: a training file whose rows (words) all carry one label would train a
 * model that answers it whatever the text, and its loss of 0 would look like success.
 */
function checkTwoLabels(data: LoadedDataset, head: 'seq-cls' | 'token-cls', file: string): void {
  const counts = labelCounts(data, head);
  const present = counts.flatMap((c, k) => (c > 0 ? [data.labels[k]] : []));
  if (present.length >= 2 || data.size === 0) return;
  const what = head === 'token-cls' ? ['word', 'tag'] : ['row', 'label'];
  throw new XlmError(
    'train-one-label',
    present.length ? `every ${what[0]} read has the ${what[1]} '${present[0]}'; a classifier learns to tell ${what[1]}s apart, so it needs rows of at least two` : `no ${what[0]} read has a ${what[1]}`,
    { file },
  );
}

/** A checkpoint's labels in id order (its config.json's id2label), or undefined when it names none. */
function checkpointLabels(dir: string): string[] | undefined {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return undefined;
  const config = readJsonFile(file) as { id2label?: Record<string, string> };
  if (!config.id2label) return undefined;
  return Object.entries(config.id2label).sort(([a], [b]) => Number(a) - Number(b)).map(([, l]) => l);
}
