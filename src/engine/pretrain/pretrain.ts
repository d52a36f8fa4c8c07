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
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { StepRunner } from '../train/runner.js';
import { LOSS_KERNEL } from '../graph/ops/loss.js';
import { loadUdhrCorpus, udhrDeclarationDir } from './corpus.js';
import { PretrainBatcher, pretrainFeeds, pretrainMaterials, segmentMaterials } from './objectives.js';
import { pretrainConfig, pretrainConfigJson, pretrainLoss } from './pretrain-model.js';
import { canonicalRecipe, unseenArticles, type PretrainRecipe } from './recipe.js';
import { trainSegmentTokenizer, trainUdhrTokenizer, writeTokenizerFolder } from './udhr-tokenizer.js';

/**
 * Bump when the objectives, the initialisation or the saved layout change in a way that changes the model
 * a recipe produces: cached default models built by older code are then rebuilt.
 */
export const PRETRAIN_CODE_VERSION = 4;
export const PRETRAIN_INFO_FILE = 'xlm-lab-pretrain.json';

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
  /** Train this many steps of the recipe (its schedule unchanged) and return their losses; nothing is written. */
  stopAfter?: number;
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

  report({ phase: 'corpus', message: `reading the UDHR in ${recipe.languages.length} languages${recipe.corpus ? ' and the other corpora' : ''}`, fraction: 0 });
  const corpus = loadUdhrCorpus(recipe.languages, { dir: options.corpusDir });
  const segments = recipe.corpus ? loadRecipeSegments(recipe, corpus) : undefined;
  const hash = pretrainHash(recipe, corpusVersion(options.corpusDir, recipe));
  checkAborted(signal);

  report({ phase: 'tokenizer', message: `training a ${recipe.vocabSize}-piece Unigram tokenizer`, fraction: 0.01 });
  const tokenizerStart = performance.now();
  const trainable = segments?.filter((s) => s.source !== recipe.corpus?.heldOutSource);
  const pieces = trainable
    ? trainSegmentTokenizer(trainable, { vocabSize: recipe.vocabSize, alpha: recipe.alpha })
    : trainUdhrTokenizer(corpus, { vocabSize: recipe.vocabSize, alpha: recipe.alpha, heldOutArticles: unseenArticles(recipe) });
  const tokenizerDir = mkdtempSync(join(tmpdir(), 'xlm-pretrain-tokenizer-'));
  try {
    writeTokenizerFolder(tokenizerDir, pieces, recipe.maxLength);
    const tokenizer = XlmTokenizer.fromFolder(tokenizerDir);
    const tokenizerSeconds = (performance.now() - tokenizerStart) / 1000;
    checkAborted(signal);

    report({ phase: 'model', message: `building a ${recipe.model.layers}-layer, hidden-${recipe.model.hidden} XLM-R and its training graph`, fraction: 0.03 });
    const config = pretrainConfig(recipe, tokenizer.vocabSize);
    const special = { cls: tokenizer.clsId, sep: tokenizer.sepId, pad: tokenizer.padId, mask: tokenizer.maskId, vocabSize: tokenizer.vocabSize };
    const materials = trainable ? segmentMaterials(trainable, tokenizer, recipe.corpus!.parallelMix) : pretrainMaterials(corpus, tokenizer, unseenArticles(recipe));
    const batcher = new PretrainBatcher(materials, recipe, special);
    const counts = recipe.init === 'structured' ? tokenCounts(materials.streams, tokenizer.vocabSize) : undefined;
    const loss = pretrainLoss(config, batcher.hasNsp, batcher.hasRank, recipe.seed, recipe.init, counts);
    const runner = await StepRunner.create(loss.build, {
      optimizer: { kind: 'adamw', weightDecay: recipe.weightDecay, beta1: 0.9, beta2: 0.98, eps: 1e-6, maxGradNorm: 1 },
      schedule: { kind: 'linear', lr: recipe.learningRate, warmupSteps: recipe.warmupSteps, totalSteps: recipe.steps },
      gradAccum: 1,
      seed: recipe.seed,
      threads: options.threads,
    });
    const losses: number[] = [];
    const marks = new MarkSchedule(recipe);
    const validation = marks.any && segments && options.stopAfter === undefined ? buildValidationSets(segments, materials.streams, tokenizer, recipe.corpus?.heldOutSource) : undefined;
    const runDir = options.runDir ?? `${resolve(outDir)}.run`;
    const curve: ValidationRecord[] = [];
    let evalMs = 0;
    // How the model was made, as xlm-lab-pretrain.json holds it; also written to the run folder at every mark,
    // so a run that dies later can still ship one of its marks (scripts/ship-default-model.ts --run RUN).
    const describeRun = (trainSeconds: number) => ({
      recipe,
      hash,
      corpus: corpusVersion(options.corpusDir, recipe),
      cpu: cpuDescription(),
      threads: options.threads ?? 0,
      // Exact float32 values (a double prints them exactly): what a replay compares bit for bit.
      firstLosses: losses.slice(0, REPLAY_STEPS),
      lossKernel: LOSS_KERNEL,
      validation: curve.map(({ report: r, ...rest }) => ({ ...rest, ...(r ? { report: r } : {}) })),
      codeVersion: PRETRAIN_CODE_VERSION,
      rowsPerBatch: Object.fromEntries(batcher.counts),
      firstLoss: losses[0],
      lastLoss: losses[losses.length - 1],
      tokenizerSeconds: round(tokenizerSeconds),
      trainSeconds: round(trainSeconds),
      losses: losses.map(round),
    });
    const trainStart = performance.now();
    const trainedSeconds = () => (performance.now() - trainStart - evalMs) / 1000;
    try {
      for (let step = 1; step <= recipe.steps; step++) {
        checkAborted(signal);
        const result = await runner.step([pretrainFeeds(batcher.next(), special.pad, batcher.hasNsp)]);
        const due = options.stopAfter === undefined ? marks.due(step, trainedSeconds(), step === recipe.steps) : undefined;
        if (due) {
          const evalStart = performance.now();
          const record = await validateAt(runDir, due, step, trainedSeconds(), losses.concat(result.loss), {
            recipe,
            vocabSize: tokenizer.vocabSize,
            tokenizerDir,
            params: runner.currentParams(),
            config,
            sets: validation,
            threads: options.threads,
            keep: recipe.evaluation?.keepCheckpoints ?? true,
          });
          curve.push(record);
          writeFileSync(join(runDir, PRETRAIN_INFO_FILE), JSON.stringify({ ...describeRun(record.trainSeconds), partial: true }, null, 2) + '\n');
          report({ phase: 'train', message: `validation at ${due} (step ${step}, ${(record.trainSeconds / 60).toFixed(1)} min): ${record.report ? validationLine(record.report) : 'checkpoint only'}`, fraction: SETUP_SHARE + (1 - SETUP_SHARE - SAVE_SHARE) * (step / recipe.steps), step, steps: recipe.steps, validation: true });
          evalMs += performance.now() - evalStart;
        }
        if (!Number.isFinite(result.loss)) {
          throw new XlmError('pretrain-diverged', `the loss became ${result.loss} at step ${step}; lower "learningRate" in the recipe`, { what: 'learningRate' });
        }
        losses.push(result.loss);
        if (options.stopAfter !== undefined && step >= options.stopAfter) break;
        const seconds = trainedSeconds();
        const eta = (seconds / step) * (recipe.steps - step);
        report({
          phase: 'train',
          message: `step ${step}/${recipe.steps}  loss ${result.loss.toFixed(3)}  ${seconds.toFixed(0)} s, about ${eta.toFixed(0)} s left`,
          fraction: SETUP_SHARE + (1 - SETUP_SHARE - SAVE_SHARE) * (step / recipe.steps),
          step,
          steps: recipe.steps,
          loss: result.loss,
        });
      }
      const trainSeconds = trainedSeconds();
      if (options.stopAfter !== undefined) return { dir: outDir, hash, steps: losses.length, losses, tokenizerSeconds, trainSeconds, totalSeconds: elapsed() };

      report({ phase: 'save', message: `writing the model to ${outDir}`, fraction: 1 - SAVE_SHARE });
      const params = runner.currentParams();
      const tensors = new Map<string, TensorToWrite>();
      for (const spec of [...encoderTensorSpecs(config), ...headTensorSpecs(config, 'mlm', 0)]) {
        const data = params.get(spec.name);
        if (!data) throw new Error(`pre-training has no weight ${spec.name}`);
        tensors.set(spec.name, { dtype: 'F32', shape: spec.shape, data });
      }
      const info = describeRun(trainSeconds);
      writeHfCheckpoint(outDir, {
        config: pretrainConfigJson(recipe, tokenizer.vocabSize),
        tokenizerFrom: tokenizerDir,
        tensors,
        extraFiles: { [PRETRAIN_INFO_FILE]: JSON.stringify(info, null, 2) + '\n' },
      });
      const totalSeconds = elapsed();
      report({ phase: 'done', message: `pre-trained in ${totalSeconds.toFixed(0)} s (loss ${losses[0].toFixed(2)} -> ${losses[losses.length - 1].toFixed(2)})`, fraction: 1 });
      return { dir: outDir, hash, steps: recipe.steps, losses, tokenizerSeconds, trainSeconds, totalSeconds };
    } finally {
      await runner.release();
    }
  } finally {
    rmSync(tokenizerDir, { recursive: true, force: true });
  }
}

/** When validation is due: the recipe's minute and step marks, and the last step. */
class MarkSchedule {
  private readonly minutes: number[];
  private readonly steps: number[];

  constructor(readonly recipe: PretrainRecipe) {
    this.minutes = [...(recipe.evaluation?.minutes ?? [])];
    this.steps = [...(recipe.evaluation?.steps ?? [])];
  }

  get any(): boolean {
    return this.recipe.evaluation !== undefined;
  }

  /** The label of the mark reached at this step (minutes first), or undefined. */
  due(step: number, trainedSeconds: number, last: boolean): string | undefined {
    if (!this.any) return undefined;
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

/** Writes the model as it is now, measures it on validation, appends the record to RUN/validation.jsonl. */
async function validateAt(
  runDir: string,
  mark: string,
  step: number,
  trainSeconds: number,
  losses: readonly number[],
  ctx: { recipe: PretrainRecipe; vocabSize: number; tokenizerDir: string; params: Map<string, Float32Array>; config: ReturnType<typeof pretrainConfig>; sets?: ValidationSets; threads?: number; keep: boolean },
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
