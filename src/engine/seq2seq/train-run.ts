/**
 * `xlm train --task translation`: fine-tuning a Marian, M2M100 / NLLB or MBart model on parallel pairs, as a
 * TrainingRun (src/engine/train/train.ts) whose model, data, batches and saved folder are a seq2seq model's. The
 * step loop, logging, checkpoints, cancelling and --resume are the base run's.
 *
 * The entry point takes plain {source, target} pairs (`pairs`), or reads `train` (and `trainTarget`) with the
 * data layer's parallel reader. Batches are grouped by source and then target length (features.ts bucketKey). The trained model
 * is an HF folder transformers loads (model.safetensors under its names, config.json and the tokenizer files
 * copied); a LoRA run saves the merged model and a PEFT adapter beside it.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { XlmError, field, said, type Said } from '../errors.js';
import { writeHfCheckpoint } from '../hf/checkpoint.js';
import { writeFileAtomic } from '../hf/atomic.js';
import { writeSafetensors, type TensorToWrite } from '../hf/safetensors-write.js';
import { readTokenizerFolder } from '../tokenize/tokenizer-files.js';
import { XlmTokenizer } from '../tokenize/tokenizer.js';
import { epochBatches } from '../train/batching.js';
import { baseModelNameOrPath, checkpointDir, mergedWeight, refuseEarlierRun, saveCheckpointFolder, saveFinalFolder } from '../train/checkpoint.js';
import type { CollatedBatch } from '../train/features.js';
import { isLoraName, loraNames, peftTargetModules, type LoraOptions } from '../train/lora.js';
import { StepRunner, resolveSpin } from '../train/runner.js';
import { TrainingRun, type TrainHooks, type TrainOptions, type TrainResult } from '../train/train.js';
import { mixSeed, shuffledIndices } from '../data/index.js';
import { createRng } from '../rng/rng.js';
import { readParallel } from '../data/parallel.js';
import { loadSeq2SeqConfig } from './config.js';
import { PairEncoder, bucketKey, collatePairs, type PairFeature, type TranslationPair } from './features.js';
import { evalScratchDir, TranslationEvaluation, translationMetricKey, type EvalPair } from './evaluation.js';
import { translationLoss } from './loss.js';
import { SEQ2SEQ_DEFAULT_LORA_TARGETS } from './loss.js';
import { openSeq2SeqWeights, seq2seqTensorSpecs, type TensorSpec } from './weights.js';
import { buildEncoderDecoderGraph, encodeXlmrPair, encoderDecoderConfig, encoderDecoderKind, encoderDecoderLoss, encoderDecoderTensorSpecs, openEncoderDecoder } from './xlmr-encoder-decoder.js';
import { buildSeq2SeqGraph } from './inference.js';
import type { Graph } from '../graph/graph.js';
import { DEFAULT_LORA_TARGETS } from '../train/lora.js';
import { positionLimit } from '../hf/config.js';
import type { ModelLoss } from '../train/model-loss.js';

export interface TranslationTrainOptions extends Omit<TrainOptions, 'task' | 'train'> {
  task: 'translation';
  /**
   * A parallel file (TSV, or JSONL with {"translation": {...}} or {"source", "target"}: src/engine/data/parallel.ts),
   * or with `trainTarget` the source side of two line-aligned files; unless `pairs` is given.
   */
  train?: string;
  trainTarget?: string;
  pairs?: readonly TranslationPair[];
  /** transformers' label_smoothing_factor (default 0). */
  labelSmoothing?: number;
  /** Language codes for models that take language tokens (M2M100 / NLLB: both; Marian with >>xx<< tokens: the target). */
  sourceLang?: string;
  targetLang?: string;
  /** With `eval`: the target side of two line-aligned eval files, `eval` being the source side. */
  evalTarget?: string;
  /** Eval pairs given by the caller instead of --eval. */
  evalPairs?: readonly EvalPair[];
  /** Beams of the evaluation's decoding (default 1: greedy). */
  evalBeams?: number;
}

/** Files of a translation model folder copied into every saved folder when present. */
const COPIED_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'source.spm', 'target.spm', 'vocab.json', 'sentencepiece.bpe.model', 'added_tokens.json'];

export async function trainTranslation(options: TranslationTrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  return new TranslationRun(options, hooks).run();
}

export class TranslationRun extends TrainingRun {
  private readonly pairs?: readonly TranslationPair[];
  private readonly trainTarget?: string;
  private readonly labelSmoothing: number;
  private readonly languages: { sourceLang?: string; targetLang?: string };
  private readonly evalInput: { target?: string; pairs?: readonly EvalPair[]; beams: number };
  private evaluation: TranslationEvaluation | undefined;
  private backbone!: Backbone;
  private pairFeatures!: PairFeature[];
  private batchCache: { epoch: number; batches: number[][] } | undefined;

  constructor(options: TranslationTrainOptions, hooks: TrainHooks = {}) {
    if (options.metricForBest !== undefined) translationMetricKey(options.metricForBest);
    if (options.evalTarget !== undefined && options.eval === undefined) throw new XlmError('bad-option', said`${field('evalTarget')} is the target side of ${field('eval')} FILE; give ${field('eval')} too`, { what: 'evalTarget' });
    if (!options.pairs && !options.train) throw new XlmError('bad-option', said`translation training needs ${field('train')} FILE (parallel pairs)`, { what: 'train' });
    const smoothing = options.labelSmoothing ?? 0;
    if (!(smoothing >= 0 && smoothing < 1)) throw new XlmError('bad-option', said`${field('labelSmoothing')} must be in [0, 1), got ${smoothing}`, { what: 'labelSmoothing' });
    // An XLM-R encoder-decoder names its projections as XLM-R does (query, value); the seq2seq families q_proj, v_proj.
    const defaultTargets = encoderDecoderKind(resolve(options.model)) ? DEFAULT_LORA_TARGETS : SEQ2SEQ_DEFAULT_LORA_TARGETS;
    super({ ...options, task: 'translation', train: options.train ?? '(pairs given by the caller)', loraTargets: options.loraTargets ?? defaultTargets }, hooks);
    this.pairs = options.pairs;
    this.trainTarget = options.trainTarget;
    this.labelSmoothing = smoothing;
    this.languages = { sourceLang: options.sourceLang, targetLang: options.targetLang };
    this.evalInput = { target: options.evalTarget, pairs: options.evalPairs, beams: options.evalBeams ?? 1 };
    Object.assign(this.fingerprint, { labelSmoothing: smoothing, ...this.languages });
  }

  protected override async phases(): Promise<TrainResult> {
    const o = this.o;
    this.hooks.onProgress?.({ step: 0, totalSteps: 0, epoch: 0, phase: 'loading' });
    if (!o.resume) refuseEarlierRun(this.out);
    const dir = resolve(o.model);
    const backbone = openBackbone(dir, o.maxLength, this.languages, (line) => this.log(line));
    this.own({ release: () => backbone.close() });
    this.backbone = backbone;
    const maxLength = Math.min(o.maxLength, backbone.maxPositions);

    let pairs: readonly EvalPair[] = this.pairs ?? (await readParallel(this.trainTarget ? { source: o.train, target: this.trainTarget } : { file: o.train }, { onError: o.readOptions?.onError })).units;
    if (pairs.length === 0) throw new XlmError('empty-data', 'no parallel pairs to train on', { file: o.train });
    let evalPairs = this.evalInput.pairs ?? (o.eval ? (await readParallel(this.evalInput.target ? { source: o.eval, target: this.evalInput.target } : { file: o.eval }, { onError: o.readOptions?.onError })).units : undefined);
    if (!evalPairs && o.evalFraction && pairs.length < (o.evalFractionMinRows ?? 0)) {
      this.log(`no evaluation: ${pairs.length} pairs are too few to hold ${Math.round(o.evalFraction * 100)}% out (it takes ${o.evalFractionMinRows}); give an eval file for BLEU and chrF curves`);
    } else if (!evalPairs && o.evalFraction) {
      const split = holdOut(pairs, o.evalFraction, o.seed);
      if (split) {
        ({ train: pairs, eval: evalPairs } = split);
        this.log(`holding out ${evalPairs.length} of ${pairs.length + evalPairs.length} pairs for evaluation (${Math.round(o.evalFraction * 100)}%)`);
      } else this.log(`no evaluation: ${pairs.length} pairs are too few to hold ${Math.round(o.evalFraction * 100)}% out`);
    }
    if ((o.metricForBest || o.patience) && !evalPairs) throw new XlmError('bad-option', said`${field(o.metricForBest ? 'metricForBest' : 'patience')} needs evaluation pairs (${field('eval')} FILE, or ${field('evalFraction')} with enough pairs)`, { what: o.metricForBest ? 'metricForBest' : 'patience' });
    if (evalPairs) {
      this.evaluation = new TranslationEvaluation({
        pairs: evalPairs, beams: this.evalInput.beams, maxLength, batchSize: o.batchSize, threads: o.threads, ...this.languages, metricForBest: o.metricForBest, patience: o.patience,
        scratch: evalScratchDir(this.out), writeSettings: (dir) => this.writeSettings(dir), settingsFrom: this.backbone.dir,
        buildGraph: (kind, params) => backbone.buildGraph(kind, this.modelTensor(params)),
      });
    }
    this.pairFeatures = pairs.map((p) => backbone.encode(p));
    const batchesPerEpoch = Math.ceil(pairs.length / o.batchSize);
    const stepsPerEpoch = Math.max(1, Math.floor(batchesPerEpoch / o.gradAccum));
    const totalSteps = o.maxSteps ?? o.epochs * stepsPerEpoch;
    this.plan = { features: [], lengths: this.pairFeatures.map(bucketKey), stepsPerEpoch, totalSteps, warmupSteps: Math.ceil(o.warmupRatio * totalSteps) };
    this.log(`${pairs.length} pairs, ${totalSteps} steps of ${o.batchSize}${o.gradAccum > 1 ? ` × ${o.gradAccum}` : ''} (${backbone.family}, ${o.method}${this.labelSmoothing ? `, label smoothing ${this.labelSmoothing}` : ''})`);

    const lora: LoraOptions | undefined = o.method === 'lora' ? { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, targets: o.loraTargets } : undefined;
    const model = backbone.loss({ method: o.method, lora, labelSmoothing: this.labelSmoothing, dropout: o.dropout, initSeed: o.seed });
    const runner = this.own(await StepRunner.create(model.build, {
      seed: o.seed, gradAccum: o.gradAccum, device: o.device, threads: o.threads, spin: resolveSpin(o.spin, (line) => this.log(line)), onNotice: (line) => this.log(line), inPlace: o.inPlace,
      schedule: { kind: o.schedule, lr: o.lr, warmupSteps: this.plan.warmupSteps, totalSteps },
      optimizer: { kind: o.optimizer, weightDecay: o.weightDecay, beta1: o.adamBeta1, beta2: o.adamBeta2, eps: o.adamEps, maxGradNorm: o.maxGradNorm },
    }));
    this.graphs = { model, numLabels: 0, lora, runner, evaluator: this.evaluation };
    mkdirSync(this.out, { recursive: true });
    if (o.resume) this.resume();
    await this.loop();
    await this.finish();
    this.progress('done');
    this.log(`peak memory of this process ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
    return {
      out: this.out, steps: runner.stepCount, cancelled: this.cancelled, lastLoss: this.lastLoss, checkpoints: this.checkpoints, device: runner.device,
      lastEval: this.lastEval, ...(this.evaluation?.lastScores ? { translationScores: this.evaluation.lastScores } : {}),
      ...(this.evaluation?.lastTranslations ? { translations: this.evaluation.lastTranslations } : {}),
    };
  }

  protected override microBatch(step: number, k: number): CollatedBatch {
    const o = this.o;
    const { stepsPerEpoch, lengths } = this.plan;
    const epoch = Math.floor(step / stepsPerEpoch);
    if (this.batchCache?.epoch !== epoch) this.batchCache = { epoch, batches: epochBatches(lengths, o.batchSize, o.shuffle, mixSeed(o.seed, 7), epoch) };
    const indices = this.batchCache.batches[(step % stepsPerEpoch) * o.gradAccum + k];
    return collatePairs(indices.map((i) => this.pairFeatures[i]), this.backbone.special);
  }

  protected override checkpoint(): void {
    const { runner } = this.graphs;
    this.progress('saving');
    this.checkpoints.push(saveCheckpointFolder(this.out, runner.stepCount, (dir) => this.writeModel(dir), this.trainerState(), runner.snapshot()));
    this.log(`saved ${checkpointDir(this.out, runner.stepCount)}`);
  }

  protected override saveModel(weights?: ReadonlyMap<string, Float32Array>): void {
    this.progress('saving');
    saveFinalFolder(this.out, (dir) => this.writeModel(dir, weights), this.trainerState());
    this.log(`saved ${this.out}`);
  }

  private trainerState(): Record<string, unknown> {
    const o = this.o;
    const { runner } = this.graphs;
    const { totalSteps, stepsPerEpoch } = this.plan;
    const { evaluator } = this.graphs;
    const best = evaluator?.tracker?.best;
    return {
      global_step: runner.stepCount, max_steps: totalSteps, epoch: runner.stepCount / stepsPerEpoch, num_train_epochs: Math.ceil(totalSteps / stepsPerEpoch),
      train_batch_size: o.batchSize, log_history: this.logHistory,
      ...(best ? { best_metric: best.value, best_global_step: best.step, best_model_checkpoint: checkpointDir(this.out, best.step) } : {}),
      xlm_lab: { fingerprint: this.fingerprint, rng_counter: runner.rngCounter, seed: o.seed, steps_per_epoch: stepsPerEpoch, best: evaluator?.trackerState() },
    };
  }

  /** A tensor of the saved model from `weights` (default: the runner's current ones), LoRA merged into its base weight. */
  private modelTensor(weights?: ReadonlyMap<string, Float32Array>): (name: string, shape: number[]) => Float32Array {
    const { runner, model, lora } = this.graphs;
    const current = weights ?? runner.currentParams();
    const value = (name: string, shape: number[]) => current.get(name) ?? model.weight(name, shape);
    return (name, shape) => {
      const names = loraNames(name.replace(/\.weight$/, ''));
      return lora && current.has(names.a)
        ? mergedWeight(value(name, shape), current.get(names.a)!, current.get(names.b)!, shape[0], shape[1], lora.r, lora.alpha / lora.r)
        : value(name, shape);
    };
  }

  /** config.json, the tokenizer files and the generation files of the saved folder, with `tensors` (none: settings only). */
  private writeSettings(dir: string, tensors = new Map<string, TensorToWrite>()): void {
    const { dir: base } = this.backbone;
    mkdirSync(dir, { recursive: true });
    writeHfCheckpoint(dir, { config: this.backbone.savedConfig(), tokenizerFrom: base, tensors });
    for (const name of COPIED_FILES) if (existsSync(join(base, name)) && !existsSync(join(dir, name))) copyFileSync(join(base, name), join(dir, name));
  }

  /** An HF folder: every tensor of the config (LoRA merged into its base weights), config.json, the tokenizer files; a LoRA run's PEFT adapter. */
  private writeModel(dir: string, weights?: ReadonlyMap<string, Float32Array>): void {
    const { runner, lora } = this.graphs;
    const current = weights ?? runner.currentParams();
    const tensor = this.modelTensor(current);
    this.writeSettings(dir, new Map(this.backbone.tensorSpecs.map((spec) => [spec.name, { dtype: 'F32', shape: spec.shape, data: tensor(spec.name, spec.shape) }])));
    const base = this.backbone.dir;
    // The encoder-decoder's cross-attention is trained whole (it starts random): the merged model is its LoRA run's result, with no adapter beside it.
    if (lora && this.backbone.family !== 'xlm-roberta encoder-decoder') {
      const adapter = new Map<string, TensorToWrite>();
      for (const name of runner.trainable.map((p) => p.name).filter(isLoraName)) {
        const p = runner.trainable.find((t) => t.name === name)!;
        adapter.set(`base_model.model.${name}`, { dtype: 'F32', shape: p.shape, data: current.get(name)! });
      }
      writeSafetensors(join(dir, 'adapter_model.safetensors'), adapter, { format: 'pt' });
      writeFileAtomic(join(dir, 'adapter_config.json'), JSON.stringify({
        peft_type: 'LORA', task_type: 'SEQ_2_SEQ_LM', base_model_name_or_path: baseModelNameOrPath(base), r: lora.r, lora_alpha: lora.alpha,
        lora_dropout: lora.dropout, target_modules: peftTargetModules(lora.targets), modules_to_save: null, bias: 'none', fan_in_fan_out: false,
        inference_mode: true, init_lora_weights: true, use_rslora: false, use_dora: false,
      }, null, 2) + '\n');
    }
  }
}

/**
 * The model a translation run trains: a seq2seq family (Marian, M2M100 / NLLB, MBart) read by its own graph
 * builder, or an XLM-R encoder-decoder (transformers' EncoderDecoderModel), warm-started from an XLM-R
 * checkpoint or continued from a folder such a run saved.
 */
interface Backbone {
  dir: string;
  family: string;
  maxPositions: number;
  special: { padTokenId: number; decoderStartTokenId: number };
  tensorSpecs: TensorSpec[];
  encode(pair: TranslationPair): PairFeature;
  loss(o: { method: 'full' | 'lora'; lora?: LoraOptions; labelSmoothing: number; dropout?: number; initSeed: number }): ModelLoss;
  /** config.json of the saved folder. */
  savedConfig(): Record<string, unknown>;
  /** An inference graph of the model (optimum's encoder or merged decoder) with the given weights. */
  buildGraph(kind: 'encoder' | 'decoder-merged', weight: (name: string, shape: number[]) => Float32Array): Graph;
  close(): void;
}

function openBackbone(dir: string, maxLengthAsked: number, languages: { sourceLang?: string; targetLang?: string }, log: (line: string | Said) => void): Backbone {
  const files = readTokenizerFolder(dir);
  const tokenizer = new XlmTokenizer(files);
  const cap = (maxPositions: number) => {
    if (maxPositions < maxLengthAsked) log(said`${field('maxLength')} ${maxLengthAsked} is longer than this model's ${maxPositions} positions: using ${maxPositions}`);
    return Math.min(maxLengthAsked, maxPositions);
  };
  if (encoderDecoderKind(dir)) {
    if (languages.sourceLang || languages.targetLang) throw new XlmError('bad-option', said`an XLM-R encoder-decoder has no language tokens, so ${field('sourceLang')} and ${field('targetLang')} have nothing to choose; leave them out`, { what: languages.sourceLang ? 'sourceLang' : 'targetLang' });
    const source = openEncoderDecoder(dir);
    const config = source.config;
    const maxLength = cap(positionLimit(config));
    if (encoderDecoderKind(dir) === 'warm-start') log(`warm-starting an encoder-decoder from the XLM-R checkpoint ${dir} (cross-attention drawn at random)`);
    return {
      dir, family: 'xlm-roberta encoder-decoder', maxPositions: positionLimit(config),
      special: { padTokenId: config.pad_token_id, decoderStartTokenId: config.bos_token_id ?? 0 },
      tensorSpecs: encoderDecoderTensorSpecs(config),
      encode: (pair) => encodeXlmrPair(tokenizer, pair, maxLength),
      loss: (o) => encoderDecoderLoss({ config, weight: source.weight, ...o }),
      savedConfig: () => encoderDecoderConfig(config),
      buildGraph: (kind, weight) => buildEncoderDecoderGraph(kind, config, weight),
      close: () => source.close(),
    };
  }
  const config = loadSeq2SeqConfig(dir);
  const weights = openSeq2SeqWeights(dir, config);
  try {
    weights.check();
    const encoder = new PairEncoder(tokenizer, files.tokenizerJson, config, { ...languages, maxLength: cap(config.maxPositions) });
    const forcedBosTokenId = encoder.forcedBosTokenId;
    return {
      dir, family: config.family, maxPositions: config.maxPositions,
      special: config, tensorSpecs: seq2seqTensorSpecs(config),
      encode: (pair) => encoder.encode(pair),
      loss: (o) => translationLoss({ config, weights, ...o }),
      // Generation then starts each sentence with the trained target language, as the labels did.
      savedConfig: () => ({ ...config.raw, ...(forcedBosTokenId !== undefined ? { forced_bos_token_id: forcedBosTokenId } : {}) }),
      buildGraph: (kind, weight) => buildSeq2SeqGraph(kind, config, { get: (name, shape) => weight(name, [...shape]) }),
      close: () => weights.close(),
    };
  } catch (e) {
    weights.close();
    throw e;
  }
}

/** A seeded share of the pairs held out for evaluation (same seed, same split); undefined when too few pairs leave both sides non-empty. */
function holdOut<T>(pairs: readonly T[], fraction: number, seed: number): { train: T[]; eval: T[] } | undefined {
  const n = Math.round(pairs.length * fraction);
  if (n < 1 || n >= pairs.length) return undefined;
  const order = shuffledIndices(pairs.length, createRng(mixSeed(seed, 31)));
  const held = new Set(Array.from(order.subarray(0, n)));
  return { train: pairs.filter((_, i) => !held.has(i)), eval: pairs.filter((_, i) => held.has(i)) };
}
