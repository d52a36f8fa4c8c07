/**
 * What a training run saves. Every checkpoint is an HF model folder (config.json with architectures,
 * id2label and label2id; tokenizer files; model.safetensors under HF's names) that transformers'
 * from_pretrained loads. A LoRA run saves the merged model there and also a PEFT adapter
 * (adapter_config.json, adapter_model.safetensors). `OUT/checkpoint-STEP/` folders also hold
 * trainer_state.json and training_state.safetensors (trainable weights and optimizer moments, float32,
 * exactly), which is what --resume reads.
 *
 * A checkpoint folder is assembled under `checkpoint-STEP.partial-PID` and renamed when complete, so a kill
 * at any moment leaves every `checkpoint-*` folder whole; the final model in OUT/ is replaced file by
 * file, each file atomically (src/engine/hf/checkpoint.ts).
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { configForHead, writeHfCheckpoint } from '../hf/checkpoint.js';
import type { XlmrConfig } from '../hf/config.js';
import { EMBEDDINGS, MLM_HEAD, encoderTensorSpecs, headTensorSpecs } from '../hf/names.js';
import { repoIdFromFolderName } from '../hub/cache-layout.js';
import { writeFileAtomic } from '../hf/atomic.js';
import { ioError } from '../io-errors.js';
import { XlmError, field, said } from '../errors.js';
import { writeSafetensors, type TensorToWrite } from '../hf/safetensors-write.js';
import { openSafetensors } from '../hf/safetensors.js';
import { isLoraName, loraNames, peftTargetModules, type LoraOptions } from './lora.js';
import { headModule, type TrainMethod } from './model-loss.js';
import type { RunnerState } from './runner.js';
import type { HeadKind } from '../tasks/vocabulary.js';
import { readJsonFile } from '../hf/json.js';

export const TRAINER_STATE_FILE = 'trainer_state.json';
export const TRAINING_STATE_FILE = 'training_state.safetensors';
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
const PEFT_PREFIX = 'base_model.model.';

export interface SaveContents {
  head: HeadKind;
  method: TrainMethod;
  config: XlmrConfig;
  labels?: readonly string[];
  /** seq-cls: whether the classifier was trained on single texts or on pairs (config.json's xlm_lab.input; the editor offers it to the features that fit). */
  input?: 'single' | 'pair';
  /** The folder the run started from: tokenizer files, base_model_name_or_path. */
  baseModel: string;
  /** Value of every weight (trainable ones current, frozen ones as loaded). */
  weight: (name: string) => Float32Array;
  numLabels: number;
  lora?: LoraOptions;
  /** The trainable weights, for LoRA's adapter. */
  trainableNames: readonly string[];
  trainerState: Record<string, unknown>;
}

/** Linear modules with a LoRA branch, from the trainable names. */
function loraModules(names: readonly string[]): string[] {
  return [...new Set(names.filter(isLoraName).map((n) => n.replace(/\.lora_[AB]\.weight$/, '')))];
}

/** W + (alpha / r) * B @ A for a [out, in] weight, A [r, in], B [out, r]. */
export function mergedWeight(w: Float32Array, a: Float32Array, b: Float32Array, out: number, inF: number, r: number, scale: number): Float32Array {
  const merged = Float32Array.from(w);
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < r; k++) {
      const bk = b[o * r + k] * scale;
      if (bk === 0) continue;
      const row = k * inF;
      for (let i = 0; i < inF; i++) merged[o * inF + i] += bk * a[row + i];
    }
  }
  return merged;
}

/** The model's tensors under HF names; LoRA branches merged into their base weights. */
export function modelTensors(c: SaveContents): Map<string, TensorToWrite> {
  const specs = [...encoderTensorSpecs(c.config), ...headTensorSpecs(c.config, c.head === 'mlm' ? 'mlm' : c.head, c.numLabels)];
  const merged = new Map<string, Float32Array>();
  if (c.lora) {
    for (const module of loraModules(c.trainableNames)) {
      const wName = `${module}.weight`;
      const spec = specs.find((s) => s.name === wName)!;
      const names = loraNames(module);
      merged.set(wName, mergedWeight(c.weight(wName), c.weight(names.a), c.weight(names.b), spec.shape[0], spec.shape[1], c.lora.r, c.lora.alpha / c.lora.r));
    }
  }
  return new Map(specs.map((s) => [s.name, { dtype: 'F32' as const, shape: s.shape, data: merged.get(s.name) ?? c.weight(s.name) }]));
}

const PEFT_TASK_TYPE: Record<HeadKind, string | null> = { 'seq-cls': 'SEQ_CLS', 'token-cls': 'TOKEN_CLS', mlm: null, qa: 'QUESTION_ANS' };

export function adapterConfig(c: SaveContents): Record<string, unknown> {
  const lora = c.lora!;
  return {
    peft_type: 'LORA',
    task_type: PEFT_TASK_TYPE[c.head],
    base_model_name_or_path: baseModelNameOrPath(c.baseModel),
    revision: null,
    r: lora.r,
    lora_alpha: lora.alpha,
    lora_dropout: lora.dropout,
    target_modules: peftTargetModules(lora.targets),
    modules_to_save: [headModule(c.head)],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
  };
}

/**
 * What AutoPeftModel loads the base from elsewhere: the Hub id of a model from the Hub cache
 * (`…/models--ORG--NAME/snapshots/COMMIT`), else the folder's name, never an absolute local path.
 */
export function baseModelNameOrPath(dir: string): string {
  const parts = resolve(dir).split(sep);
  const snapshots = parts.lastIndexOf('snapshots');
  const repoId = snapshots > 0 && snapshots === parts.length - 2 ? repoIdFromFolderName(parts[snapshots - 1]) : undefined;
  return repoId ?? basename(resolve(dir));
}

/** PEFT's adapter_model.safetensors keys: base_model.model.<module>.lora_A.weight, and the head's weights. */
export function adapterTensors(c: SaveContents): Map<string, TensorToWrite> {
  const out = new Map<string, TensorToWrite>();
  const head = headModule(c.head);
  for (const name of c.trainableNames) {
    if (!isLoraName(name) && !name.startsWith(`${head}.`)) continue;
    const data = c.weight(name);
    out.set(PEFT_PREFIX + name, { dtype: 'F32', shape: shapeOfTrainable(c, name, data.length), data });
  }
  // PEFT's ModulesToSaveWrapper keeps a whole copy of lm_head, and its loader reads every key of that copy's
  // state_dict (huggingface/peft utils/save_and_load.py, other.py ModulesToSaveWrapper): transformers'
  // XLMRobertaLMHead has dense, layer_norm, decoder (weight tied to the word embeddings, bias tied to lm_head.bias)
  // and bias. PEFT's save_pretrained clones tied tensors, so its adapters carry decoder.weight / decoder.bias too.
  if (c.head === 'mlm' && out.has(PEFT_PREFIX + MLM_HEAD.bias)) {
    const h = c.config.hidden_size;
    out.set(PEFT_PREFIX + MLM_HEAD.tiedDecoderWeight, { dtype: 'F32', shape: [c.config.vocab_size, h], data: c.weight(EMBEDDINGS.word) });
    out.set(PEFT_PREFIX + MLM_HEAD.tiedDecoderBias, { dtype: 'F32', shape: [c.config.vocab_size], data: c.weight(MLM_HEAD.bias) });
  }
  return out;
}

function shapeOfTrainable(c: SaveContents, name: string, size: number): number[] {
  if (isLoraName(name)) {
    const r = c.lora!.r;
    return name.includes('lora_A') ? [r, size / r] : [size / r, r];
  }
  const spec = headTensorSpecs(c.config, c.head === 'mlm' ? 'mlm' : c.head, c.numLabels).find((s) => s.name === name);
  return spec ? spec.shape : [size];
}

function trainingStateTensors(state: RunnerState): Map<string, TensorToWrite> {
  const out = new Map<string, TensorToWrite>();
  for (const [name, data] of state.params) out.set(`param.${name}`, { dtype: 'F32', shape: [data.length], data });
  for (const [kind, byName] of state.optimizer) for (const [name, data] of byName) out.set(`${kind}.${name}`, { dtype: 'F32', shape: [data.length], data });
  return out;
}

/** Writes an HF folder (plus adapter) at `dir`; an existing `dir` is updated file by file. */
function writeModelFiles(dir: string, c: SaveContents): void {
  const config = { ...configForHead(c.config, c.head, c.labels), ...(c.input ? { xlm_lab: { input: c.input } } : {}) };
  writeHfCheckpoint(dir, { config, tokenizerFrom: c.baseModel, tensors: modelTensors(c) });
  if (c.method === 'lora') {
    writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), adapterTensors(c), { format: 'pt' });
    writeFileAtomic(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify(adapterConfig(c), null, 2) + '\n');
  }
}

function writeTrainerState(dir: string, trainerState: Record<string, unknown>): void {
  writeFileAtomic(join(dir, TRAINER_STATE_FILE), JSON.stringify(trainerState, null, 2) + '\n');
}

export function checkpointDir(out: string, step: number): string {
  return join(out, `checkpoint-${step}`);
}

/** OUT/checkpoint-STEP/, complete or absent. */
export function saveCheckpoint(out: string, step: number, c: SaveContents, state: RunnerState): string {
  return saveCheckpointFolder(out, step, (dir) => writeModelFiles(dir, c), c.trainerState, state);
}

/**
 * OUT/checkpoint-STEP/ with the model files `writeModel` puts in a folder (any kind of model: the translation
 * runs write theirs), trainer_state.json and the training state: complete or absent.
 */
export function saveCheckpointFolder(out: string, step: number, writeModel: (dir: string) => void, trainerState: Record<string, unknown>, state: RunnerState): string {
  const final = checkpointDir(out, step);
  for (const name of existsSync(out) ? readdirSync(out) : []) if (name.includes('.partial-')) rmSync(join(out, name), { recursive: true, force: true });
  const partial = `${final}.partial-${process.pid}`;
  try {
    writeModel(partial);
    writeSafetensors(join(partial, TRAINING_STATE_FILE), trainingStateTensors(state));
    writeTrainerState(partial, trainerState);
    rmSync(final, { recursive: true, force: true });
    renameSync(partial, final);
  } catch (e) {
    // A full disk mid-checkpoint leaves no half folder behind (it would only take more of the space that ran out).
    rmSync(partial, { recursive: true, force: true });
    throw ioError(e);
  }
  return final;
}

/** The final model in OUT/ (which also holds checkpoints and logs). */
export function saveFinal(out: string, c: SaveContents): void {
  saveFinalFolder(out, (dir) => writeModelFiles(dir, c), c.trainerState);
}

/** The final model in OUT/ written by `writeModel` (any kind of model), with trainer_state.json. */
export function saveFinalFolder(out: string, writeModel: (dir: string) => void, trainerState: Record<string, unknown>): void {
  writeModel(out);
  writeTrainerState(out, trainerState);
}

/** The newest complete checkpoint in OUT, or undefined. */
export function latestCheckpoint(out: string): string | undefined {
  if (!existsSync(out)) return undefined;
  const steps = readdirSync(out)
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => !!m && existsSync(join(out, m[0], TRAINER_STATE_FILE)) && existsSync(join(out, m[0], TRAINING_STATE_FILE)))
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  return steps.length ? checkpointDir(out, steps[0]) : undefined;
}

export function readTrainerState(dir: string): Record<string, unknown> {
  return readJsonFile(join(dir, TRAINER_STATE_FILE)) as Record<string, unknown>;
}

/** Trainable weights and optimizer moments as saved, for StepRunner.restore. */
export function readTrainingState(dir: string, step: number, rngCounter: number): RunnerState {
  const source = openSafetensors(join(dir, TRAINING_STATE_FILE));
  try {
    const params = new Map<string, Float32Array>();
    const optimizer = new Map<string, Map<string, Float32Array>>();
    for (const key of source.names()) {
      const dot = key.indexOf('.');
      const kind = key.slice(0, dot);
      const name = key.slice(dot + 1);
      const data = source.readFloat32(key);
      if (kind === 'param') params.set(name, data);
      else {
        if (!optimizer.has(kind)) optimizer.set(kind, new Map());
        optimizer.get(kind)!.set(name, data);
      }
    }
    return { step, rngCounter, params, optimizer };
  } finally {
    source.close();
  }
}

/** Files of a model folder that a run's final save writes; a folder holding one of them is not trained into. */
const OVERWRITTEN_BY_A_RUN = new Set(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'sentencepiece.bpe.model', ADAPTER_CONFIG_FILE, TRAINER_STATE_FILE, 'verdict.json', 'generation_config.json']);

/**
 * A new run into a folder that holds an earlier one would mix the two: its checkpoints beside the old ones, its
 * metrics appended to the old run's, and a later resume continuing from the old run's last checkpoint. A folder that
 * holds no run but files the save would write over (a model's config.json) is refused too; other files are left be.
 */
export function refuseEarlierRun(out: string): void {
  if (!existsSync(out)) return;
  const names = readdirSync(out);
  const found = names.filter((n) => /^checkpoint-\d+$/.test(n) || n === 'metrics.jsonl' || n === 'model.safetensors' || n === 'adapter_model.safetensors');
  if (!found.length) {
    // Not a run, but files a run's save would write over (a model's config, someone's notes named config.json).
    const overwritten = names.filter((n) => OVERWRITTEN_BY_A_RUN.has(n)).sort();
    if (overwritten.length) throw new XlmError('out-holds-files', said`this folder holds ${overwritten.join(', ')}; saving the trained model would overwrite ${overwritten.length === 1 ? 'it' : 'them'}: give another ${field('out')} (a new or empty folder)`, { file: out, what: 'out' });
    return;
  }
  const shown = found.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  // The place names the folder. Resume is offered only where there is a checkpoint to resume from.
  const files = `${shown.slice(0, 4).join(', ')}${shown.length > 4 ? ', ...' : ''}`;
  const fix = latestCheckpoint(out) ? said`continue it with ${field('resume')}, or give another ${field('out')} (or delete that folder first)` : said`it has no checkpoint to resume from: give another ${field('out')}, or delete that folder first`;
  throw new XlmError('out-holds-run', said`this folder already holds a training run (${files}); ${fix}`, { file: out, what: 'out' });
}
