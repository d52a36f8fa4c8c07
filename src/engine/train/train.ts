/**
 * `train(options, hooks)`: a whole fine-tuning run, used by `xlm train` and by the engine's train/start
 * request. Loads the model folder and data, builds the step graphs, runs the steps, logs one metrics line
 * per logged step (hooks.onMetrics and OUT/metrics.jsonl), evaluates, saves checkpoints, resumes.
 *
 * Where a run stands is (step, rng counter, weights, optimizer moments): the data order of every epoch
 * is a function of (seed, epoch) and the step fixes the position in it, so a resumed run continues
 * exactly where the checkpoint was taken.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDataset, mixSeed, stratifiedSplit, type DataKind, type LoadedDataset } from '../data/index.js';
import { XlmError } from '../errors.js';
import { positionLimit } from '../hf/config.js';
import { loadModelFolder } from '../hf/folder.js';
import { encoderTensorSpecs, headTensorSpecs } from '../hf/names.js';
import { XlmTokenizer } from '../tokenize/tokenizer.js';
import { epochBatches } from './batching.js';
import { checkpointDir, latestCheckpoint, readTrainerState, readTrainingState, saveCheckpoint, saveFinal, type SaveContents } from './checkpoint.js';
import type { BestTrackerState } from '../eval/best-tracker.js';
import { TrainingEvaluation } from '../eval/training.js';
import { collate, encodeDataset, type Feature, type MaskingOptions } from './features.js';
import type { LoraTarget } from './lora.js';
import { checkTrainingMemory } from './memory.js';
import { truncateMetricsToStep } from './metrics-file.js';
import { modelLoss } from './model-loss.js';
import { resolveOptions, type TrainEvalMetrics, type TrainHooks, type TrainOptions, type TrainResult, type TrainStepMetrics } from './options.js';
import { StepRunner } from './runner.js';

export * from './options.js';

const DATA_KIND: Record<string, DataKind | undefined> = { 'seq-cls': undefined, 'token-cls': 'token-classification', mlm: 'masked-lm' };
const GENERIC_LABEL = /^LABEL_\d+$/;

/** Options that must not change between a run and its resumption. */
const FINGERPRINT_KEYS = ['task', 'method', 'loraR', 'loraAlpha', 'loraTargets', 'batchSize', 'gradAccum', 'maxLength', 'seed', 'shuffle', 'optimizer', 'lr', 'schedule'] as const;

export async function train(options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const o = resolveOptions(options);
  const out = resolve(o.out);
  const log = (line: string) => hooks.onLog?.(line);
  hooks.onProgress?.({ step: 0, totalSteps: 0, epoch: 0, phase: 'loading' });

  const folder = loadModelFolder(o.model, { task: o.task === 'mlm' ? 'mlm' : o.task });
  try {
    const tokenizer = XlmTokenizer.fromFolder(folder.dir);
    const config = folder.config;
    // Longer inputs would index past the position table, so the length is capped there (as transformers caps at
    // the tokenizer's model_max_length), with a line saying so.
    const positions = positionLimit(config);
    const maxLength = Math.min(o.maxLength, positions);
    if (maxLength < o.maxLength) log(`--max-length ${o.maxLength} is longer than this model's ${positions} positions (max_position_embeddings ${config.max_position_embeddings} in config.json): using ${maxLength}`);
    // Before anything large is read or built: a run that cannot fit is refused with the figure and what would fit.
    const memory = checkTrainingMemory({ config, task: o.task, method: o.method, loraR: o.loraR, loraTargets: o.loraTargets as LoraTarget[], batchSize: o.batchSize, maxLength, optimizer: o.optimizer, inPlace: o.inPlace }, o.memoryLimitMB);
    log(`estimated peak memory ${Math.round(memory.estimate.totalMB)} MB of ${memory.limitSource}`);
    const modelLabels = config.id2label.length && !config.id2label.every((l) => GENERIC_LABEL.test(l)) ? config.id2label : undefined;
    const readOpts = o.task === 'mlm' ? {} : modelLabels ? { labels: modelLabels, id2label: Object.fromEntries(modelLabels.map((l, i) => [i, l])) } : {};
    let trainData = await loadDataset(o.train, { ...o.readOptions, kind: DATA_KIND[o.task], ...readOpts, ...(o.trainLanguage ? { onlyLanguages: o.trainLanguage } : {}) });
    checkKind(trainData, o.task, o.train);
    if (o.trainLanguage) log(`training on ${o.trainLanguage.join(', ')}: ${trainData.size} rows (${trainData.info.report.filtered} rows in other languages left out)`);
    const labels = o.task === 'mlm' ? undefined : [...trainData.labels];
    let evalData = o.eval ? await loadDataset(o.eval, { ...o.readOptions, kind: trainData.info.kind, ...(labels ? { labels, id2label: Object.fromEntries(labels.map((l, i) => [i, l])) } : {}) }) : undefined;
    if (!evalData && o.evalFraction && trainData.size < (o.evalFractionMinRows ?? 0)) {
      log(`no evaluation: ${trainData.size} rows are too few to hold ${Math.round(o.evalFraction * 100)}% out (it takes ${o.evalFractionMinRows}); give an eval file for eval metrics`);
    } else if (!evalData && o.evalFraction) {
      // No eval file: hold out a stratified share of the training rows (same seed, same split).
      const split = stratifiedSplit(trainData, { evalFraction: o.evalFraction, seed: o.seed });
      trainData = split.train;
      evalData = split.eval;
      log(`holding out ${evalData.size} of ${trainData.size + evalData.size} rows for evaluation (${Math.round(o.evalFraction * 100)}%, stratified)`);
    }
    if (trainData.size === 0) throw new XlmError('empty-data', 'the training file has no examples', { file: o.train });

    const features = encodeDataset(trainData, tokenizer, o.task, maxLength);
    const evalFeatures = evalData ? encodeDataset(evalData, tokenizer, o.task, maxLength) : undefined;
    const lengths = features.map((f) => f.ids.length);
    const batchesPerEpoch = Math.ceil(features.length / o.batchSize);
    const stepsPerEpoch = Math.max(1, Math.floor(batchesPerEpoch / o.gradAccum));
    const totalSteps = o.maxSteps ?? o.epochs * stepsPerEpoch;
    const warmupSteps = Math.ceil(o.warmupRatio * totalSteps);
    const specialIds = new Set([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.unkId, tokenizer.maskId]);
    const masking: MaskingOptions | undefined = o.task === 'mlm' ? { probability: o.mlmProbability, wholeWord: o.wholeWordMask, maskId: tokenizer.maskId, vocabSize: config.vocab_size, specialIds } : undefined;

    const lora = o.method === 'lora' ? { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, targets: o.loraTargets } : undefined;
    const numLabels = labels?.length ?? 0;
    const model = modelLoss({ task: o.task, config, numLabels, weights: folder.weights, method: o.method, lora, dropout: o.dropout, initSeed: o.seed });
    const runner = await StepRunner.create(model.build, {
      seed: o.seed, gradAccum: o.gradAccum, device: o.device, threads: o.threads, onNotice: log, inPlace: o.inPlace,
      schedule: { kind: o.schedule, lr: o.lr, warmupSteps, totalSteps },
      optimizer: { kind: o.optimizer, weightDecay: o.weightDecay, beta1: o.adamBeta1, beta2: o.adamBeta2, eps: o.adamEps, maxGradNorm: o.maxGradNorm },
    });
    const evaluator = evalData && evalFeatures
      ? await TrainingEvaluation.create(model.build, { threads: o.threads, device: runner.device as 'cpu' }, {
        task: o.task, data: evalData, features: evalFeatures, labels: labels ?? [], batchSize: o.batchSize, padId: tokenizer.padId, masking,
        metricForBest: o.metricForBest, patience: o.patience,
      })
      : undefined;

    const fingerprint = Object.fromEntries(FINGERPRINT_KEYS.map((k) => [k, o[k]]));
    const logHistory: Record<string, unknown>[] = [];
    mkdirSync(out, { recursive: true });
    if (o.resume) {
      const dir = latestCheckpoint(out);
      if (!dir) throw new XlmError('no-checkpoint', `--resume: no complete checkpoint-N folder in ${out}`, { file: out });
      const state = readTrainerState(dir);
      const saved = (state.xlm_lab ?? {}) as { fingerprint?: Record<string, unknown>; rng_counter?: number; best?: BestTrackerState };
      for (const k of FINGERPRINT_KEYS) {
        if (JSON.stringify(saved.fingerprint?.[k]) !== JSON.stringify(fingerprint[k])) {
          throw new XlmError('resume-mismatch', `--resume: ${k} was ${JSON.stringify(saved.fingerprint?.[k])} in ${dir}, now ${JSON.stringify(fingerprint[k])}; use the run's settings or a new --out`, { file: join(dir, 'trainer_state.json'), what: k });
        }
      }
      runner.restore(readTrainingState(dir, state.global_step as number, saved.rng_counter ?? 0));
      logHistory.push(...((state.log_history as Record<string, unknown>[]) ?? []));
      evaluator?.tracker?.restore(saved.best);
      log(`resuming from ${dir} at step ${runner.stepCount}`);
      const dropped = truncateMetricsToStep(join(out, 'metrics.jsonl'), runner.stepCount);
      if (dropped) log(`metrics.jsonl: dropped ${dropped} line${dropped === 1 ? '' : 's'} logged after step ${runner.stepCount}, which this run trains again`);
    }

    const shapes = new Map([...encoderTensorSpecs(config), ...(o.task === 'mlm' ? headTensorSpecs(config, 'mlm', 0) : headTensorSpecs(config, o.task, numLabels))].map((t) => [t.name, t.shape]));
    const contents = (weights?: ReadonlyMap<string, Float32Array>): SaveContents => {
      const current = weights ?? runner.currentParams();
      const best = evaluator?.tracker?.best;
      return {
        task: o.task, method: o.method, config, labels, baseModel: resolve(o.model), numLabels, lora,
        weight: (name) => current.get(name) ?? model.weight(name, shapes.get(name) ?? missing(name)),
        trainableNames: runner.trainable.map((p) => p.name),
        trainerState: {
          global_step: runner.stepCount, max_steps: totalSteps, epoch: runner.stepCount / stepsPerEpoch, num_train_epochs: Math.ceil(totalSteps / stepsPerEpoch),
          train_batch_size: o.batchSize, log_history: logHistory,
          ...(best ? { best_metric: best.value, best_global_step: best.step, best_model_checkpoint: checkpointDir(out, best.step) } : {}),
          xlm_lab: { fingerprint, rng_counter: runner.rngCounter, seed: o.seed, steps_per_epoch: stepsPerEpoch, best: evaluator?.trackerState() },
        },
      };
    };
    const checkpoints: string[] = [];
    const save = (final: boolean, weights?: ReadonlyMap<string, Float32Array>) => {
      hooks.onProgress?.({ step: runner.stepCount, totalSteps, epoch: runner.stepCount / stepsPerEpoch, phase: 'saving' });
      const c = contents(weights);
      if (final) saveFinal(out, c);
      else checkpoints.push(saveCheckpoint(out, runner.stepCount, c, runner.snapshot()));
      log(`saved ${final ? out : checkpointDir(out, runner.stepCount)}`);
    };
    const emit = (m: TrainStepMetrics | TrainEvalMetrics) => {
      logHistory.push({ ...m });
      appendFileSync(join(out, 'metrics.jsonl'), JSON.stringify(m) + '\n');
      hooks.onMetrics?.(m);
    };
    let lastEval: TrainEvalMetrics | undefined;
    let stopEarly = false;
    const evaluate = async () => {
      if (!evaluator || lastEval?.step === runner.stepCount) return;
      hooks.onProgress?.({ step: runner.stepCount, totalSteps, epoch: runner.stepCount / stepsPerEpoch, phase: 'evaluating' });
      const { verdict, ...metrics } = await evaluator.run(runner.stepCount, runner.currentParams());
      lastEval = { step: runner.stepCount, epoch: round(runner.stepCount / stepsPerEpoch), ...metrics };
      emit(lastEval);
      if (!verdict) return;
      const key = evaluator.tracker!.options.key;
      // The best evaluation's weights are kept as a checkpoint, which becomes the final model at the end.
      if (verdict.improved && !checkpoints.includes(checkpointDir(out, runner.stepCount))) save(false);
      if (verdict.improved) log(`new best ${key} ${verdict.bestValue} at step ${runner.stepCount}`);
      if (verdict.stop) {
        stopEarly = true;
        log(`early stopping at step ${runner.stepCount}: ${key} has not improved for ${o.patience} evaluations (best ${verdict.bestValue} at step ${verdict.bestStep})`);
      }
    };

    let epochCache: { epoch: number; batches: number[][] } | undefined;
    const microBatch = (step: number, k: number) => {
      const epoch = Math.floor(step / stepsPerEpoch);
      if (epochCache?.epoch !== epoch) epochCache = { epoch, batches: epochBatches(lengths, o.batchSize, o.shuffle, o.seed, epoch) };
      const indices = epochCache.batches[(step % stepsPerEpoch) * o.gradAccum + k];
      const rows: Feature[] = indices.map((i) => features[i]);
      const seeds = indices.map((i) => mixSeed(mixSeed(o.seed, epoch), i));
      return collate(rows, o.task, tokenizer.padId, masking ? { options: masking, seeds } : undefined);
    };

    let lastLoss: number | undefined;
    let cancelled = false;
    while (runner.stepCount < totalSteps) {
      if (hooks.signal?.aborted) { cancelled = true; break; }
      const step = runner.stepCount;
      const micro = Array.from({ length: o.gradAccum }, (_, k) => microBatch(step, k));
      const started = performance.now();
      const r = await runner.step(micro.map((b) => b.feeds));
      const seconds = (performance.now() - started) / 1000;
      lastLoss = r.loss;
      const done = runner.stepCount;
      hooks.onProgress?.({ step: done, totalSteps, epoch: done / stepsPerEpoch, phase: 'training' });
      if (done % o.logEvery === 0 || done === totalSteps) {
        const examples = micro.reduce((s, b) => s + b.examples, 0);
        const tokens = micro.reduce((s, b) => s + b.tokens, 0);
        emit({ step: done, epoch: round(done / stepsPerEpoch), loss: r.loss, lr: r.lr, grad_norm: r.gradNorm, examples_per_s: round(examples / seconds), tokens_per_s: round(tokens / seconds) });
      }
      if (!Number.isFinite(r.loss)) throw new XlmError('diverged', `the loss became ${r.loss} at step ${done}; lower --lr or check the data`, {});
      if (o.evalEvery && done % o.evalEvery === 0 && done < totalSteps) await evaluate();
      if (o.saveEvery && done % o.saveEvery === 0 && done < totalSteps && !checkpoints.includes(checkpointDir(out, done))) save(false);
      if (stopEarly) break;
    }
    if (cancelled) {
      save(false);
      log(`cancelled at step ${runner.stepCount}; --resume continues from ${checkpointDir(out, runner.stepCount)}`);
    } else {
      await evaluate();
      if (!checkpoints.includes(checkpointDir(out, runner.stepCount))) save(false);
      const best = evaluator?.tracker?.best;
      if (best && best.step !== runner.stepCount) {
        const dir = checkpointDir(out, best.step);
        log(`the final model in ${out} is the best checkpoint, ${dir} (${evaluator!.tracker!.options.key} ${best.value})`);
        save(true, readTrainingState(dir, best.step, 0).params);
      } else save(true);
    }
    hooks.onProgress?.({ step: runner.stepCount, totalSteps, epoch: runner.stepCount / stepsPerEpoch, phase: 'done' });
    log(`peak memory of this process ${Math.round(process.resourceUsage().maxRSS / 1024)} MB (estimated ${Math.round(memory.estimate.totalMB)} MB)`);
    const device = runner.device;
    await runner.release();
    await evaluator?.release();
    return { out, steps: runner.stepCount, cancelled, lastLoss, checkpoints, device, lastEval };
  } finally {
    folder.close();
  }
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function missing(name: string): never {
  throw new Error(`no value for weight ${name}`);
}

function checkKind(data: LoadedDataset, task: string, file: string): void {
  const kind = data.info.kind;
  const ok = task === 'seq-cls' ? kind === 'sequence-classification' || kind === 'pair-classification' : kind === DATA_KIND[task];
  if (!ok) throw new XlmError('wrong-data-kind', `--task ${task} needs ${task === 'seq-cls' ? 'text (+ pair) and label' : task === 'token-cls' ? 'tokens and tags' : 'text'} rows; this file reads as ${kind}`, { file });
}
