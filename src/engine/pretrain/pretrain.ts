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
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { XlmError } from '../errors.js';
import { writeHfCheckpoint } from '../hf/checkpoint.js';
import { encoderTensorSpecs, headTensorSpecs } from '../hf/names.js';
import type { TensorToWrite } from '../hf/safetensors-write.js';
import { XlmTokenizer } from '../tokenize/tokenizer.js';
import { StepRunner } from '../train/runner.js';
import { loadUdhrCorpus, udhrDeclarationDir } from './corpus.js';
import { PretrainBatcher, pretrainFeeds, pretrainMaterials } from './objectives.js';
import { pretrainConfig, pretrainConfigJson, pretrainLoss } from './pretrain-model.js';
import { canonicalRecipe, unseenArticles, type PretrainRecipe } from './recipe.js';
import { trainUdhrTokenizer, writeTokenizerFolder } from './udhr-tokenizer.js';

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
  elapsedSeconds: number;
}

export interface PretrainOptions {
  onProgress?: (p: PretrainProgress) => void;
  signal?: AbortSignal;
  /** onnxruntime intra-op threads (0: one per core). */
  threads?: number;
  /** The udhr declarations folder (tests); default: the installed package's. */
  corpusDir?: string;
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
export function corpusVersion(corpusDir?: string): string {
  if (corpusDir) return `dir:${corpusDir}`;
  const pkg = JSON.parse(readFileSync(join(dirname(udhrDeclarationDir()), 'package.json'), 'utf8')) as { version?: string };
  return `udhr@${pkg.version ?? 'unknown'}`;
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

  report({ phase: 'corpus', message: `reading the UDHR in ${recipe.languages.length} languages`, fraction: 0 });
  const corpus = loadUdhrCorpus(recipe.languages, { dir: options.corpusDir });
  const hash = pretrainHash(recipe, corpusVersion(options.corpusDir));
  checkAborted(signal);

  report({ phase: 'tokenizer', message: `training a ${recipe.vocabSize}-piece Unigram tokenizer`, fraction: 0.01 });
  const tokenizerStart = performance.now();
  const pieces = trainUdhrTokenizer(corpus, { vocabSize: recipe.vocabSize, alpha: recipe.alpha, heldOutArticles: unseenArticles(recipe) });
  const tokenizerDir = mkdtempSync(join(tmpdir(), 'xlm-pretrain-tokenizer-'));
  try {
    writeTokenizerFolder(tokenizerDir, pieces, recipe.maxLength);
    const tokenizer = XlmTokenizer.fromFolder(tokenizerDir);
    const tokenizerSeconds = (performance.now() - tokenizerStart) / 1000;
    checkAborted(signal);

    report({ phase: 'model', message: `building a ${recipe.model.layers}-layer, hidden-${recipe.model.hidden} XLM-R and its training graph`, fraction: 0.03 });
    const config = pretrainConfig(recipe, tokenizer.vocabSize);
    const special = { cls: tokenizer.clsId, sep: tokenizer.sepId, pad: tokenizer.padId, mask: tokenizer.maskId, vocabSize: tokenizer.vocabSize };
    const materials = pretrainMaterials(corpus, tokenizer, unseenArticles(recipe));
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
    const trainStart = performance.now();
    try {
      for (let step = 1; step <= recipe.steps; step++) {
        checkAborted(signal);
        const result = await runner.step([pretrainFeeds(batcher.next(), special.pad, batcher.hasNsp)]);
        if (!Number.isFinite(result.loss)) {
          throw new XlmError('pretrain-diverged', `the loss became ${result.loss} at step ${step}; lower "learningRate" in the recipe`, { what: 'learningRate' });
        }
        losses.push(result.loss);
        const seconds = (performance.now() - trainStart) / 1000;
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
      const trainSeconds = (performance.now() - trainStart) / 1000;

      report({ phase: 'save', message: `writing the model to ${outDir}`, fraction: 1 - SAVE_SHARE });
      const params = runner.currentParams();
      const tensors = new Map<string, TensorToWrite>();
      for (const spec of [...encoderTensorSpecs(config), ...headTensorSpecs(config, 'mlm', 0)]) {
        const data = params.get(spec.name);
        if (!data) throw new Error(`pre-training has no weight ${spec.name}`);
        tensors.set(spec.name, { dtype: 'F32', shape: spec.shape, data });
      }
      const info = {
        recipe,
        hash,
        corpus: corpusVersion(options.corpusDir),
        codeVersion: PRETRAIN_CODE_VERSION,
        rowsPerBatch: Object.fromEntries(batcher.counts),
        firstLoss: losses[0],
        lastLoss: losses[losses.length - 1],
        tokenizerSeconds: round(tokenizerSeconds),
        trainSeconds: round(trainSeconds),
        losses: losses.map(round),
      };
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

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** How often each piece occurs in the training streams. */
function tokenCounts(streams: Map<string, number[]>, vocabSize: number): Uint32Array {
  const counts = new Uint32Array(vocabSize);
  for (const ids of streams.values()) for (const id of ids) counts[id]++;
  return counts;
}
