/**
 * `xlm pretrain`: a recipe in, an ordinary XLM-R folder out (config.json, tokenizer files,
 * model.safetensors with the masked-LM head, and xlm-lab-pretrain.json saying how it was made).
 *
 * 1. The UDHR corpus of the recipe's languages; its held-out articles are never read below.
 * 2. The Unigram tokenizer (udhr-tokenizer.ts), languages weighted with the recipe's smoothing.
 * 3. A random XLM-R (pretrain-model.ts) trained with the training engine's step graph (AdamW, linear
 *    warm-up and decay, clipping at 1.0), one optimizer step per session.run, on batches of the
 *    recipe's objectives (objectives.ts).
 * 4. The trained weights written as an HF checkpoint.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ModelCache } from '../runtime/model-cache.js';

/** Steps whose exact loss xlm-lab-pretrain.json keeps, for replaying a recipe against shipped weights. */
export const REPLAY_STEPS = 20;
import { loadCldrAnnotations, loadCldrLocalenames, loadQuran, packageVersion, SOURCE_PACKAGES, udhrSegments, type CorpusSegment, type SourceName } from './sources.js';
import { buildValidationSets, evaluateValidation, validationLine, type ValidationReport, type ValidationSets } from './validation.js';
import { XlmError } from '../errors.js';
import { writeHfCheckpoint } from '../hf/checkpoint.js';
import { encoderTensorSpecs, headTensorSpecs } from '../hf/names.js';
import type { TensorToWrite } from '../hf/safetensors-write.js';
import { XlmTokenizer } from '../tokenize/tokenizer.js';
import { StepRunner, type StepResult } from '../train/runner.js';
import { runStepLoop } from '../train/step-loop.js';
import { LOSS_KERNEL } from '../graph/ops/loss.js';
import { loadUdhrCorpus, udhrDeclarationDir } from './corpus.js';
import { PretrainBatcher, pretrainFeeds, pretrainMaterials, segmentMaterials } from './objectives.js';
import { pretrainConfig, pretrainConfigJson, pretrainLoss } from './pretrain-model.js';
import { LATER_STAGES, canonicalRecipe, firstStage, laterStages, stagesUpTo, unseenArticles, type LaterStageKey, type PretrainRecipe, type RecipeEvaluation, type RecipeStage } from './recipe.js';
import { decodeF16, floatToHalfBits } from '../hf/dtype.js';
import { openSafetensors } from '../hf/safetensors.js';
import { trainSegmentTokenizer, trainUdhrTokenizer, writeTokenizerFolder } from './udhr-tokenizer.js';

/**
 * Bump when the objectives, the initialisation or the saved layout change in a way that changes the model
 * a recipe produces: cached default models built by older code are then rebuilt.
 */
export const PRETRAIN_CODE_VERSION = 4;
export const PRETRAIN_INFO_FILE = 'xlm-lab-pretrain.json';
/** A shipped model's manifest (written by shipped-model.ts; a second stage reads its recipe and step). */
export const MANIFEST_FILE = 'manifest.json';

export type PretrainPhase = 'corpus' | 'tokenizer' | 'model' | 'train' | 'save' | 'done';

export interface PretrainProgress {
  phase: PretrainPhase;
  message: string;
  /** 0..1 of the whole build (training dominates). */
  fraction: number;
  step?: number;
  steps?: number;
  loss?: number;
  /** True on the line that reports a validation mark. */
  validation?: boolean;
  elapsedSeconds: number;
}

export interface PretrainOptions {
  onProgress?: (p: PretrainProgress) => void;
  signal?: AbortSignal;
  /** onnxruntime intra-op threads (0: one per core). */
  threads?: number;
  /** The udhr declarations folder (tests); default: the installed package's. */
  corpusDir?: string;
  /** Where validation records and mark checkpoints go (default: OUT.run beside the output folder). */
  runDir?: string;
  /**
   * Train this many steps of the recipe (its schedule unchanged) and return their losses; nothing is written. The
   * first stage's steps, or with startFrom the steps of the stage that starts from that folder.
   */
  stopAfter?: number;
  /**
   * A recipe with later stages: start from this folder instead of training what made it again. It must be the first
   * stage's model shipped at the second stage's fromStep, or the model of the stages before a later one shipped at
   * that stage's fromStep (the first two at the third's, the first three at the fourth's, the first four at the fifth's, the first five at the sixth's; its manifest says which;
   * its weights are float16, which is what a later stage starts from either way). With stopAfter, that many steps of
   * the stage that starts there.
   */
  startFrom?: string;
}

export interface PretrainResult {
  dir: string;
  hash: string;
  steps: number;
  /** Loss of every step, in order. */
  losses: number[];
  tokenizerSeconds: number;
  trainSeconds: number;
  totalSeconds: number;
}

/** The udhr package's version: the corpus a model was built from. */
export function corpusVersion(corpusDir?: string, recipe?: PretrainRecipe): string {
  if (corpusDir) return `dir:${corpusDir}`;
  const pkg = JSON.parse(readFileSync(join(dirname(udhrDeclarationDir()), 'package.json'), 'utf8')) as { version?: string };
  const udhr = `udhr@${pkg.version ?? 'unknown'}`;
  if (!recipe?.corpus) return udhr;
  return [udhr, ...recipeSources(recipe).filter((s) => s !== 'udhr').map((s) => `${SOURCE_PACKAGES[s]}@${packageVersion(SOURCE_PACKAGES[s]).version}`)].join(' ');
}

/** The sources a recipe reads (the held-out one included: validation reads it). */
export function recipeSources(recipe: PretrainRecipe): SourceName[] {
  const c = recipe.corpus;
  if (!c) return ['udhr'];
  const out: SourceName[] = ['udhr'];
  if (c.quran) out.push('quran');
  if (c.cldrLocalenames) out.push('cldr-localenames');
  if (c.heldOutSource && !out.includes(c.heldOutSource)) out.push(c.heldOutSource);
  return out;
}

/** Every segment of a multi-source recipe, the held-out source's included (marked by its source name). */
export function loadRecipeSegments(recipe: PretrainRecipe, corpus: ReturnType<typeof loadUdhrCorpus>): CorpusSegment[] {
  const c = recipe.corpus!;
  const langs = new Set(recipe.languages);
  const parts = [udhrSegments(corpus, recipe.validationArticles, recipe.heldOutArticles)];
  if (c.quran) parts.push(loadQuran(langs, c.quran));
  if (c.cldrLocalenames) parts.push(loadCldrLocalenames(langs, c.cldrLocalenames));
  if (c.heldOutSource === 'cldr-annotations') parts.push(loadCldrAnnotations(langs));
  return parts.flat();
}

/** The CPU's model name and the widest vector instruction set onnxruntime can pick kernels for. */
export function cpuDescription(): { model: string; isa: string } {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux: the model name from Node, the instruction set unknown.
  }
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  const isa = flags.has('avx512f') ? (flags.has('avx512_vnni') ? 'avx512-vnni' : 'avx512') : flags.has('avx2') ? 'avx2' : flags.has('avx') ? 'avx' : text ? 'sse' : `${process.arch}-unknown`;
  return { model: cpus()[0]?.model ?? 'unknown', isa };
}

/** What decides the model: the recipe, the corpus and the code of the objectives. Equal hash, same model. */
export function pretrainHash(recipe: PretrainRecipe, corpus: string): string {
  return createHash('sha256').update(`${canonicalRecipe(recipe)}\n${corpus}\ncode ${PRETRAIN_CODE_VERSION}`).digest('hex');
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new XlmError('cancelled', 'pre-training was cancelled', { what: 'pretrain' });
}

/** Share of the progress bar before training starts (corpus, tokenizer, graph) and after it (saving). */
const SETUP_SHARE = 0.06;
const SAVE_SHARE = 0.02;

export async function pretrain(recipe: PretrainRecipe, outDir: string, options: PretrainOptions = {}): Promise<PretrainResult> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const report = (p: Omit<PretrainProgress, 'elapsedSeconds'>) => options.onProgress?.({ ...p, elapsedSeconds: elapsed() });
  const { signal } = options;
  const later = laterStages(recipe);
  const second = recipe.secondStage;
  const start = options.startFrom ? readStageStart(options.startFrom, recipe) : undefined;

  report({ phase: 'corpus', message: `reading the UDHR in ${recipe.languages.length} languages${recipe.corpus ? ' and the other corpora' : ''}`, fraction: 0 });
  const corpus = loadUdhrCorpus(recipe.languages, { dir: options.corpusDir });
  const segments = recipe.corpus ? loadRecipeSegments(recipe, corpus) : undefined;
  const hash = pretrainHash(recipe, corpusVersion(options.corpusDir, recipe));
  checkAborted(signal);

  const tokenizerStart = performance.now();
  const trainable = segments?.filter((s) => s.source !== recipe.corpus?.heldOutSource);
  const tokenizerDir = mkdtempSync(join(tmpdir(), 'xlm-pretrain-tokenizer-'));
  try {
    if (start) {
      // The first stage's tokenizer is the one its shipped model has.
      for (const name of TOKENIZER_FILES) if (existsSync(join(start.dir, name))) copyFileSync(join(start.dir, name), join(tokenizerDir, name));
    } else {
      report({ phase: 'tokenizer', message: `training a ${recipe.vocabSize}-piece Unigram tokenizer`, fraction: 0.01 });
      const pieces = trainable
        ? trainSegmentTokenizer(trainable, { vocabSize: recipe.vocabSize, alpha: recipe.alpha })
        : trainUdhrTokenizer(corpus, { vocabSize: recipe.vocabSize, alpha: recipe.alpha, heldOutArticles: unseenArticles(recipe) });
      writeTokenizerFolder(tokenizerDir, pieces, recipe.maxLength);
    }
    const tokenizer = XlmTokenizer.fromFolder(tokenizerDir);
    const tokenizerSeconds = start ? start.info.tokenizerSeconds : (performance.now() - tokenizerStart) / 1000;
    checkAborted(signal);

    report({ phase: 'model', message: `building a ${recipe.model.layers}-layer, hidden-${recipe.model.hidden} XLM-R and its training graph`, fraction: 0.03 });
    const config = pretrainConfig(recipe, tokenizer.vocabSize);
    const special = { cls: tokenizer.clsId, sep: tokenizer.sepId, pad: tokenizer.padId, mask: tokenizer.maskId, vocabSize: tokenizer.vocabSize };
    const materials = trainable ? segmentMaterials(trainable, tokenizer, recipe.corpus!.parallelMix) : pretrainMaterials(corpus, tokenizer, unseenArticles(recipe));
    const runDir = options.runDir ?? `${resolve(outDir)}.run`;
    const anyMarks = recipe.evaluation !== undefined || later.some((l) => l.stage.evaluation !== undefined);
    const validation = anyMarks && segments && options.stopAfter === undefined ? buildValidationSets(segments, materials.streams, tokenizer, recipe.corpus?.heldOutSource) : undefined;
    const markContext = { recipe, vocabSize: tokenizer.vocabSize, tokenizerDir, tokenizerPad: special.pad, config, sets: validation, threads: options.threads, runDir };
    const firstSteps = second ? second.fromStep : recipe.steps;
    const totalSteps = later.length ? later[later.length - 1].end : firstSteps;
    // Progress over every stage: the first stage's steps, then each later stage's.
    const fractionAt = (step: number) => SETUP_SHARE + (1 - SETUP_SHARE - SAVE_SHARE) * (step / totalSteps);

    let first: StageResult;
    let params: Map<string, Float32Array>;
    // The later stages' results, in order (those a start folder already holds first).
    const results: StageResult[] = [];
    if (start) {
      first = { losses: start.info.losses, firstLosses: start.info.firstLosses ?? [], trainSeconds: start.info.trainSeconds, curve: withoutCheckpoints(start.info.validation), rowsPerBatch: start.info.rowsPerBatch ?? {} };
      params = start.params;
      // The earlier later stages as the start folder's run recorded them (their marks' checkpoints are that run's, not kept).
      for (const l of later.slice(0, start.done)) {
        const done = start.info[l.key]!;
        results.push({ losses: done.losses, firstLosses: done.firstLosses, trainSeconds: done.trainSeconds, curve: withoutCheckpoints(done.validation), rowsPerBatch: done.rowsPerBatch ?? {} });
      }
      const next = later[start.done];
      const made = start.done === 0 ? 'the first stage is' : `the first ${next.before} stages are`;
      report({ phase: 'train', message: `${made} ${start.dir} (step ${next.stage.fromStep}); the ${next.ordinal} stage starts from its weights`, fraction: fractionAt(next.stage.fromStep), step: next.stage.fromStep, steps: totalSteps });
    } else {
      const batcher = new PretrainBatcher(materials, recipe, special);
      const counts = recipe.init === 'structured' ? tokenCounts(materials.streams, tokenizer.vocabSize) : undefined;
      const loss = pretrainLoss(config, batcher.hasNsp, batcher.hasRank, recipe.seed, recipe.init, counts);
      const runner = await stageRunner(loss.build, recipe.weightDecay, recipe, options.threads);
      try {
        first = await trainStage({ label: '', runner, batcher, steps: firstSteps, offset: 0, evaluation: recipe.evaluation, stopAfter: options.stopAfter, signal, report, fractionAt, totalSteps, mark: markContext, describe: (stage) => describeRun(stage, []) });
        // A second stage starts from these weights as a shipped mark has them: float16.
        params = second ? roundToHalf(runner.currentParams()) : runner.currentParams();
      } finally {
        await runner.release();
      }
      if (options.stopAfter !== undefined) {
        return { dir: outDir, hash, steps: first.losses.length, losses: first.losses, tokenizerSeconds, trainSeconds: first.trainSeconds, totalSeconds: elapsed() };
      }
    }

    // How the model was made, as xlm-lab-pretrain.json holds it; also written to the run folder at every mark,
    // so a run that dies later can still ship one of its marks (scripts/ship-default-model.ts --run RUN).
    function describeRun(head: StageResult, done: readonly StageResult[]) {
      return {
        recipe,
        hash,
        corpus: corpusVersion(options.corpusDir, recipe),
        cpu: cpuDescription(),
        threads: options.threads ?? 0,
        // Exact float32 values (a double prints them exactly): what a replay compares bit for bit, with the loss
        // kernel that computed them (a first stage read from a shipped folder keeps its own; absent: onnxruntime's fused).
        firstLosses: head.firstLosses,
        ...(start ? (start.info.lossKernel ? { lossKernel: start.info.lossKernel } : {}) : { lossKernel: LOSS_KERNEL }),
        validation: head.curve,
        codeVersion: PRETRAIN_CODE_VERSION,
        rowsPerBatch: head.rowsPerBatch,
        firstLoss: head.losses[0],
        lastLoss: head.losses[head.losses.length - 1],
        tokenizerSeconds: round(tokenizerSeconds),
        trainSeconds: round(head.trainSeconds),
        losses: head.losses.map(round),
        ...Object.fromEntries(done.map((result, i) => [later[i].key, laterRecord(i, result)])),
      };
    }
    // A later stage's record: one the start folder holds keeps where it started and its loss kernel.
    function laterRecord(i: number, result: StageResult) {
      const held = start && i < start.done ? start.info[later[i].key]! : undefined;
      const from = held ? held.startedFrom : start?.done === i ? start.dir : i === 0 ? 'the first stage of this run' : `the ${later[i - 1].ordinal} stage of this run`;
      return stageRecord(later[i].stage, result, from, held ? held.lossKernel : LOSS_KERNEL);
    }
    function stageRecord(stage: RecipeStage, result: StageResult, from: string, lossKernel: string | undefined) {
      return { name: stage.name, fromStep: stage.fromStep, startedFrom: from, firstLosses: result.firstLosses, ...(lossKernel ? { lossKernel } : {}), rowsPerBatch: result.rowsPerBatch, trainSeconds: round(result.trainSeconds), losses: result.losses.map(round), validation: result.curve };
    }

    // A later stage: its own batches and schedule from `params`, a fresh optimizer; the weights it ends with.
    const laterStage = async ({ stage, end }: (typeof later)[number], describe: (result: StageResult) => ReturnType<typeof describeRun>): Promise<{ result: StageResult; params: Map<string, Float32Array> }> => {
      const stageRecipe = { ...recipe, objectives: stage.objectives, batchSize: stage.batchSize, maxLength: stage.maxLength, seed: stage.seed };
      const batcher = new PretrainBatcher(materials, stageRecipe, special, stage.rankWindow);
      const loss = pretrainLoss(config, false, batcher.hasRank, stage.seed, recipe.init, undefined, { rankWeight: stage.rankWeight, start: params });
      const runner = await stageRunner(loss.build, recipe.weightDecay, stage, options.threads);
      try {
        const result = await trainStage({ label: stage.name, runner, batcher, steps: end - stage.fromStep, offset: stage.fromStep, evaluation: stage.evaluation, stopAfter: options.stopAfter, signal, report, fractionAt, totalSteps, mark: markContext, describe });
        return { result, params: runner.currentParams() };
      } finally {
        await runner.release();
      }
    };
    const stopped = (result: StageResult): PretrainResult => ({ dir: outDir, hash, steps: result.losses.length, losses: result.losses, tokenizerSeconds, trainSeconds: result.trainSeconds, totalSeconds: elapsed() });

    for (const l of later.slice(start?.done ?? 0)) {
      const before = [...results];
      const done = await laterStage(l, (stage) => describeRun(first, [...before, stage]));
      results.push(done.result);
      // The next stage starts from these weights as a shipped model has them: float16.
      params = l.index < later.length - 1 ? roundToHalf(done.params) : done.params;
      if (options.stopAfter !== undefined) return stopped(done.result);
    }

    const trainSeconds = first.trainSeconds + results.reduce((n, r) => n + r.trainSeconds, 0);
    report({ phase: 'save', message: `writing the model to ${outDir}`, fraction: 1 - SAVE_SHARE });
    const tensors = new Map<string, TensorToWrite>();
    for (const spec of [...encoderTensorSpecs(config), ...headTensorSpecs(config, 'mlm', 0)]) {
      const data = params.get(spec.name);
      if (!data) throw new Error(`pre-training has no weight ${spec.name}`);
      tensors.set(spec.name, { dtype: 'F32', shape: spec.shape, data });
    }
    const info = describeRun(first, results);
    writeHfCheckpoint(outDir, {
      config: pretrainConfigJson(recipe, tokenizer.vocabSize),
      tokenizerFrom: tokenizerDir,
      tensors,
      extraFiles: { [PRETRAIN_INFO_FILE]: JSON.stringify(info, null, 2) + '\n' },
    });
    const losses = [...first.losses.slice(0, firstSteps), ...results.flatMap((r) => r.losses)];
    const totalSeconds = elapsed();
    report({ phase: 'done', message: `pre-trained in ${totalSeconds.toFixed(0)} s (loss ${losses[0].toFixed(2)} -> ${losses[losses.length - 1].toFixed(2)})`, fraction: 1 });
    return { dir: outDir, hash, steps: totalSteps, losses, tokenizerSeconds, trainSeconds, totalSeconds };
  } finally {
    rmSync(tokenizerDir, { recursive: true, force: true });
  }
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'sentencepiece.bpe.model'];

interface StageResult {
  losses: number[];
  firstLosses: number[];
  trainSeconds: number;
  curve: ValidationRecord[];
  rowsPerBatch: Record<string, number>;
}

interface StageLoop {
  /** A later stage's name ('' for the first): validation marks and progress lines say it. */
  label: string;
  runner: StepRunner;
  batcher: PretrainBatcher;
  /** Steps to run (the first stage of a two-stage recipe stops at the second's fromStep). */
  steps: number;
  /** Steps before this stage: mark folders and progress count the whole run's steps. */
  offset: number;
  evaluation?: RecipeEvaluation;
  stopAfter?: number;
  signal?: AbortSignal;
  report: (p: Omit<PretrainProgress, 'elapsedSeconds'>) => void;
  fractionAt: (step: number) => number;
  totalSteps: number;
  mark: Omit<MarkContext, 'params' | 'keep'> & { runDir: string };
  describe: (stage: StageResult) => object;
}

/** One stage's training loop: its steps, its validation marks, the losses. */
async function trainStage(s: StageLoop): Promise<StageResult> {
  const result: StageResult = { losses: [], firstLosses: [], trainSeconds: 0, curve: [], rowsPerBatch: Object.fromEntries(s.batcher.counts) };
  const marks = new MarkSchedule(s.evaluation, s.steps);
  const prefix = s.label ? `${s.label}: ` : '';
  const trainStart = performance.now();
  let evalMs = 0;
  const trainedSeconds = () => (performance.now() - trainStart - evalMs) / 1000;
  const last = s.stopAfter === undefined ? s.steps : Math.min(s.steps, s.stopAfter);
  // After each step: its loss, a validation mark when one is due, the progress line.
  const afterStep = async (step: number, out: StepResult): Promise<void> => {
    result.losses.push(out.loss);
    if (result.firstLosses.length < REPLAY_STEPS) result.firstLosses.push(out.loss);
    result.trainSeconds = trainedSeconds();
    const due = s.stopAfter === undefined ? marks.due(step, result.trainSeconds, step === s.steps) : undefined;
    if (due) {
      const evalStart = performance.now();
      const record = await validateAt(s.mark.runDir, `${prefix}${due}`, s.offset + step, result.trainSeconds, result.losses, { ...s.mark, params: s.runner.currentParams(), keep: s.evaluation?.keepCheckpoints ?? true });
      result.curve.push(record);
      writeFileSync(join(s.mark.runDir, PRETRAIN_INFO_FILE), JSON.stringify({ ...s.describe(result), partial: true }, null, 2) + '\n');
      s.report({ phase: 'train', message: `validation at ${prefix}${due} (step ${s.offset + step}, ${(record.trainSeconds / 60).toFixed(1)} min): ${record.report ? validationLine(record.report) : 'checkpoint only'}`, fraction: s.fractionAt(s.offset + step), step: s.offset + step, steps: s.totalSteps, validation: true });
      evalMs += performance.now() - evalStart;
    }
    const eta = (result.trainSeconds / step) * (s.steps - step);
    s.report({
      phase: 'train',
      message: `${prefix}step ${s.offset + step}/${s.totalSteps}  loss ${out.loss.toFixed(3)}  ${result.trainSeconds.toFixed(0)} s, about ${eta.toFixed(0)} s left${s.label ? ' in this stage' : ''}`,
      fraction: s.fractionAt(s.offset + step),
      step: s.offset + step,
      steps: s.totalSteps,
      loss: out.loss,
    });
  };
  const ended = await runStepLoop({
    runner: s.runner,
    until: last,
    signal: s.signal,
    step: () => s.runner.step([pretrainFeeds(s.batcher.next(), s.mark.tokenizerPad, s.batcher.hasNsp)]),
    diverged: (loss, step) => new XlmError('pretrain-diverged', `the loss became ${loss} at step ${s.offset + step}; lower ${s.label ? `the learningRate of the stage "${s.label}"` : '"learningRate"'} in the recipe`, { what: 'learningRate' }),
    after: afterStep,
  });
  if (ended === 'cancelled') checkAborted(s.signal);
  result.trainSeconds = trainedSeconds();
  return result;
}

/** Weights as float16 holds them (round to nearest even), back in float32. */
function roundToHalf(params: Map<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, data] of params) {
    const bits = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) bits[i] = floatToHalfBits(data[i]);
    const rounded = new Float32Array(data.length);
    decodeF16(new Uint8Array(bits.buffer), rounded, 0, data.length);
    out.set(name, rounded);
  }
  return out;
}


/**
 * The step runner of one stage: AdamW as RoBERTa pre-trains (betas 0.9 / 0.98, eps 1e-6, clipping at 1), the stage's
 * own learning rate, warm-up, length and seed over the recipe's weight decay.
 */
function stageRunner(build: Parameters<typeof StepRunner.create>[0], weightDecay: number, stage: { learningRate: number; warmupSteps: number; steps: number; seed: number }, threads: number | undefined): Promise<StepRunner> {
  return StepRunner.create(build, {
    optimizer: { kind: 'adamw', weightDecay, beta1: 0.9, beta2: 0.98, eps: 1e-6, maxGradNorm: 1 },
    schedule: { kind: 'linear', lr: stage.learningRate, warmupSteps: stage.warmupSteps, totalSteps: stage.steps },
    gradAccum: 1,
    seed: stage.seed,
    threads,
  });
}

/** A later stage's record in xlm-lab-pretrain.json. */
export interface StageInfo {
  name: string;
  fromStep: number;
  startedFrom: string;
  firstLosses: number[];
  lossKernel?: string;
  rowsPerBatch?: Record<string, number>;
  trainSeconds: number;
  losses: number[];
  validation?: ValidationRecord[];
}

interface StageStart {
  dir: string;
  /** How many later stages this folder's weights already hold (0: the first stage's model); the next one starts from them. */
  done: number;
  params: Map<string, Float32Array>;
  info: { tokenizerSeconds: number; trainSeconds: number; losses: number[]; firstLosses?: number[]; lossKernel?: string; validation?: ValidationRecord[]; rowsPerBatch?: Record<string, number> } & { [key in LaterStageKey]?: StageInfo };
}

/** Validation marks of an earlier run, without their checkpoint folders (that run's, not kept here). */
function withoutCheckpoints(marks: readonly ValidationRecord[] | undefined): ValidationRecord[] {
  return (marks ?? []).map(({ checkpoint: _c, ...r }) => r);
}

/**
 * A shipped folder to start a later stage from, checked against the recipe: a first-stage model at the second
 * stage's fromStep (the second stage starts from it), or a model of the stages before a later one at that stage's
 * fromStep (the first two at the third's, the first three at the fourth's, the first four at the fifth's, the first five at the sixth's).
 */
function readStageStart(dirArg: string, recipe: PretrainRecipe): StageStart {
  const dir = resolve(dirArg);
  const later = laterStages(recipe);
  if (!later.length) throw new XlmError('pretrain-start', `the recipe "${recipe.name}" has one stage; a start folder is for a recipe with a secondStage`, { file: dir });
  const read = (name: string) => {
    const file = join(dir, name);
    if (!existsSync(file)) throw new XlmError('pretrain-start', `has no ${name}: pass a folder that scripts/ship-default-model.ts wrote from a run of this recipe`, { file: dir });
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  };
  const manifest = read(MANIFEST_FILE) as { step?: number; recipe?: PretrainRecipe };
  const info = read(PRETRAIN_INFO_FILE) as unknown as StageStart['info'] & { recipe: PretrainRecipe };
  // The first stage's own recipe (a one-stage run shipped at that step), or this recipe (a later stage's mark).
  if (!manifest.recipe || canonicalRecipe(firstStage(manifest.recipe)) !== canonicalRecipe(firstStage(recipe))) {
    throw new XlmError('pretrain-start', `was made by another recipe than the first stage of "${recipe.name}" (everything but ${LATER_STAGES.join(', ')} must be equal)`, { file: join(dir, MANIFEST_FILE), what: 'recipe' });
  }
  const at = later.find((l) => l.stage.fromStep === manifest.step);
  if (!at) {
    const starts = later.map((l, i) => `${i === 0 ? 'the second stage starts' : `or the ${l.ordinal}`} from step ${l.stage.fromStep} (${l.key}.fromStep)`).join(', ');
    throw new XlmError('pretrain-start', `holds step ${manifest.step}; ${starts}`, { file: join(dir, MANIFEST_FILE), what: 'step' });
  }
  if (at.index > 0) {
    // The end of an earlier later stage: the recipe's stages before this one must be those that made it, and recorded there.
    const before = LATER_STAGES.slice(0, at.index);
    const previous = later[at.index - 1].ordinal;
    if (canonicalRecipe(stagesUpTo(manifest.recipe, at.index)) !== canonicalRecipe(stagesUpTo(recipe, at.index)) || before.some((key) => !info[key])) {
      throw new XlmError('pretrain-start', `holds step ${manifest.step}, the end of a ${previous} stage, but not of the ${previous} stage of "${recipe.name}" (${before.join(' and ')} must be equal)`, { file: join(dir, MANIFEST_FILE), what: 'recipe' });
    }
    // A mark within the stage before (this stage starts within it): the folder's record of that stage may run on
    // past the mark (the run went on); the stage as this recipe runs it stops at the mark, so its record does too.
    const prev = later[at.index - 1];
    const record = info[prev.key]!;
    const ran = at.stage.fromStep - prev.stage.fromStep;
    if (record.losses.length > ran) {
      const mark = record.validation?.find((v) => v.step === at.stage.fromStep);
      info[prev.key] = { ...record, losses: record.losses.slice(0, ran), validation: record.validation?.filter((v) => v.step <= at.stage.fromStep), trainSeconds: mark ? mark.trainSeconds : (record.trainSeconds * ran) / record.losses.length };
    }
  }
  const weights = openSafetensors(join(dir, 'model.safetensors'));
  const params = new Map<string, Float32Array>();
  try {
    for (const name of weights.names()) params.set(name, weights.readFloat32(name));
  } finally {
    weights.close();
  }
  return { dir, done: at.index, params: roundToHalf(params), info };
}

/** When validation is due: a stage's minute and step marks, and its last step. */
class MarkSchedule {
  private readonly minutes: number[];
  private readonly steps: number[];

  constructor(private readonly evaluation: RecipeEvaluation | undefined, readonly lastStep: number) {
    this.minutes = [...(evaluation?.minutes ?? [])];
    this.steps = [...(evaluation?.steps ?? [])];
  }

  /** The label of the mark reached at this step (minutes first), or undefined. */
  due(step: number, trainedSeconds: number, last: boolean): string | undefined {
    if (!this.evaluation) return undefined;
    let label: string | undefined;
    while (this.minutes.length && trainedSeconds >= this.minutes[0] * 60) label = `${this.minutes.shift()} min`;
    while (this.steps.length && step >= this.steps[0]) label ??= `step ${this.steps.shift()}`;
    if (!label && last) label = 'end';
    return label;
  }
}

export interface ValidationRecord {
  mark: string;
  step: number;
  trainSeconds: number;
  /** Mean training loss over the last 100 steps. */
  trainLoss: number;
  /** CPU seconds this process has used so far (user + system, all threads): on a busy machine, a truer clock than wall time. */
  cpuSeconds: number;
  checkpoint?: string;
  report?: ValidationReport;
}

interface MarkContext {
  recipe: PretrainRecipe;
  vocabSize: number;
  tokenizerDir: string;
  /** The pad id, for the batches' feeds. */
  tokenizerPad: number;
  params: Map<string, Float32Array>;
  config: ReturnType<typeof pretrainConfig>;
  sets?: ValidationSets;
  threads?: number;
  keep: boolean;
}

/** Writes the model as it is now, measures it on validation, appends the record to RUN/validation.jsonl. */
async function validateAt(
  runDir: string,
  mark: string,
  step: number,
  trainSeconds: number,
  losses: readonly number[],
  ctx: MarkContext,
): Promise<ValidationRecord> {
  const dir = join(runDir, 'marks', `step-${String(step).padStart(6, '0')}`);
  const tensors = new Map<string, TensorToWrite>();
  for (const spec of [...encoderTensorSpecs(ctx.config), ...headTensorSpecs(ctx.config, 'mlm', 0)]) tensors.set(spec.name, { dtype: 'F32', shape: spec.shape, data: ctx.params.get(spec.name)! });
  rmSync(dir, { recursive: true, force: true });
  writeHfCheckpoint(dir, { config: pretrainConfigJson(ctx.recipe, ctx.vocabSize), tokenizerFrom: ctx.tokenizerDir, tensors });
  const recent = losses.slice(-100);
  const cpu = process.cpuUsage();
  const record: ValidationRecord = { mark, step, trainSeconds: round(trainSeconds), trainLoss: round(recent.reduce((s, x) => s + x, 0) / recent.length), cpuSeconds: round((cpu.user + cpu.system) / 1e6) };
  if (ctx.sets) {
    const cache = new ModelCache({ threads: ctx.threads });
    try {
      record.report = await evaluateValidation(await cache.model(dir), ctx.sets);
    } finally {
      await cache.closeAll();
    }
  }
  if (ctx.keep) record.checkpoint = dir;
  else rmSync(dir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  appendFileSync(join(runDir, 'validation.jsonl'), JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
  return record;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** How often each piece occurs in the training streams. */
function tokenCounts(streams: Map<string, number[]>, vocabSize: number): Uint32Array {
  const counts = new Uint32Array(vocabSize);
  for (const ids of streams.values()) for (const id of ids) counts[id]++;
  return counts;
}
