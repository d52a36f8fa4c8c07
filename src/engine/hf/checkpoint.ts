import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { hfError } from './hf-error.js';
import { fsyncFolder, writeFileAtomic } from './atomic.js';
import { labelMaps, type XlmrConfig } from './config.js';
import { CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE } from './folder.js';
import { ARCHITECTURE_OF_HEAD } from './names.js';
import type { HeadKind } from '../tasks/vocabulary.js';
import { writeSafetensors, type TensorToWrite } from './safetensors-write.js';

/**
 * Writing a model folder that transformers' from_pretrained loads: config.json, the tokenizer
 * files, model.safetensors with HF's tensor names and {"format": "pt"} metadata (transformers
 * refuses safetensors files whose format it does not know); config.json's torch_dtype is set to
 * the dtype the floats are stored in, as save_pretrained does.
 *
 * How a kill at any moment leaves the previous checkpoint loadable:
 * - A new folder is written whole under `OUT.tmp-PID` beside it, flushed, and renamed to `OUT` in
 *   one step: `OUT` either does not exist or is complete.
 * - An existing folder (the final model in a training run's OUT/, which also holds checkpoint-N/
 *   folders and logs, so it cannot be swapped as a whole) is updated file by file: every file is
 *   first written complete into `OUT/.xlm-staging-PID/` and flushed, then renamed over its old
 *   version. Each rename is atomic, so every file is always a whole old or a whole new version.
 *   Files whose bytes did not change are not touched, so a save of the same model (config and
 *   tokenizer unchanged) replaces model.safetensors in a single rename: all old or all new. Only
 *   when several files change does a short window of renames exist; weights go first and
 *   config.json last, and within one run the shapes never change, so any mix still loads.
 * - Leftovers of a killed write (`OUT.tmp-PID`, `OUT/.xlm-staging-PID`) are removed by the next
 *   write; loaders never look at them.
 */

export interface HfCheckpointContents {
  /** config.json as an object: set architectures, id2label and label2id for the task (see configForHead). */
  config: Record<string, unknown>;
  /** A model folder whose tokenizer files are copied (tokenizer.json at least). */
  tokenizerFrom: string;
  /** Tensors under HF's names (names.ts). */
  tensors: Record<string, TensorToWrite> | ReadonlyMap<string, TensorToWrite>;
  /** safetensors metadata; {"format": "pt"} is always included. */
  metadata?: Record<string, string>;
  /** More files to commit with the checkpoint (trainer_state.json, …), by file name. */
  extraFiles?: Record<string, string | Uint8Array>;
}

/** Tokenizer files of an XLM-R folder, copied when present. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'sentencepiece.bpe.model', 'added_tokens.json'];

const STAGING_PREFIX = '.xlm-staging-';

export function writeHfCheckpoint(outDirArg: string, contents: HfCheckpointContents): void {
  const outDir = resolve(outDirArg);
  const tokenizerFiles = readTokenizerFiles(resolve(contents.tokenizerFrom));
  for (const name of Object.keys(contents.extraFiles ?? {})) {
    if (name !== basename(name) || name.startsWith('.') || name === WEIGHTS_FILE || name === CONFIG_FILE) {
      throw new Error(`writeHfCheckpoint: extra file '${name}' must be a plain file name other than ${WEIGHTS_FILE} and ${CONFIG_FILE}`);
    }
  }
  // Small files in commit order; the weights are written by their own streaming writer.
  const smallFiles = new Map<string, Uint8Array>();
  for (const [name, bytes] of tokenizerFiles) smallFiles.set(name, bytes);
  for (const [name, data] of Object.entries(contents.extraFiles ?? {})) smallFiles.set(name, typeof data === 'string' ? Buffer.from(data) : data);
  smallFiles.set(CONFIG_FILE, Buffer.from(JSON.stringify(withStoredDtype(contents.config, contents.tensors), null, 2) + '\n'));
  const metadata = { ...contents.metadata, format: 'pt' };

  const stage = (dir: string) => {
    writeSafetensors(join(dir, WEIGHTS_FILE), contents.tensors, metadata);
    for (const [name, bytes] of smallFiles) writeFileAtomic(join(dir, name), bytes);
    fsyncFolder(dir);
  };

  removeLeftovers(outDir);
  if (!existsSync(outDir)) {
    mkdirSync(dirname(outDir), { recursive: true });
    const temporary = `${outDir}.tmp-${process.pid}`;
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary);
    try {
      stage(temporary);
      renameSync(temporary, outDir);
    } catch (e) {
      rmSync(temporary, { recursive: true, force: true });
      throw e;
    }
    fsyncFolder(dirname(outDir));
    return;
  }
  if (!statSync(outDir).isDirectory()) {
    throw hfError('output-not-folder', outDir, 'this output path exists and is not a folder; choose another one');
  }
  const staging = join(outDir, `${STAGING_PREFIX}${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  try {
    stage(staging);
    renameSync(join(staging, WEIGHTS_FILE), join(outDir, WEIGHTS_FILE));
    for (const [name, bytes] of smallFiles) {
      const target = join(outDir, name);
      if (!sameBytes(target, bytes)) renameSync(join(staging, name), target);
    }
    fsyncFolder(outDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * config.json for a model saved with `head`: the base config's keys kept (transformers reads
 * many we do not model), "architectures" set to the head's class, and the labels when given.
 */
export function configForHead(
  base: XlmrConfig | Record<string, unknown>,
  head: HeadKind | 'none',
  labels?: readonly string[],
): Record<string, unknown> {
  const raw = 'raw' in base && typeof base.raw === 'object' && base.raw !== null ? (base.raw as Record<string, unknown>) : base;
  const config: Record<string, unknown> = { ...raw, architectures: [ARCHITECTURE_OF_HEAD[head]] };
  // transformers sizes qa_outputs by num_labels (the length of id2label): a QA model needs exactly 2, start and end.
  const names = head === 'qa' ? ['LABEL_0', 'LABEL_1'] : labels;
  return names ? { ...config, ...labelMaps(names) } : config;
}

const TORCH_DTYPE: Partial<Record<string, string>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/** config.json's torch_dtype says what the weights are stored in, as save_pretrained writes it. */
function withStoredDtype(config: Record<string, unknown>, tensors: HfCheckpointContents['tensors']): Record<string, unknown> {
  const values = tensors instanceof Map ? [...(tensors as ReadonlyMap<string, TensorToWrite>).values()] : Object.values(tensors as Record<string, TensorToWrite>);
  const floats = new Set(values.map((t) => TORCH_DTYPE[t.dtype]).filter((d) => d !== undefined));
  return floats.size === 1 ? { ...config, torch_dtype: [...floats][0] } : config;
}

function readTokenizerFiles(sourceDir: string): Map<string, Uint8Array> {
  if (!existsSync(join(sourceDir, TOKENIZER_FILE))) {
    throw hfError('file-missing', sourceDir, `no ${TOKENIZER_FILE} in this folder to copy into the checkpoint`, TOKENIZER_FILE);
  }
  const files = new Map<string, Uint8Array>();
  for (const name of TOKENIZER_FILES) {
    const path = join(sourceDir, name);
    if (existsSync(path)) files.set(name, readFileSync(path));
  }
  return files;
}

function sameBytes(path: string, bytes: Uint8Array): boolean {
  try {
    return statSync(path).size === bytes.length && readFileSync(path).equals(bytes);
  } catch {
    return false;
  }
}

/** Temporary folders of writes that were killed: ours from an earlier run, or of processes now gone. */
function removeLeftovers(outDir: string): void {
  const parent = dirname(outDir);
  const siblingPrefix = `${basename(outDir)}.tmp-`;
  const candidates: Array<[string, string]> = [];
  if (existsSync(parent)) for (const name of readdirSync(parent)) if (name.startsWith(siblingPrefix)) candidates.push([join(parent, name), name.slice(siblingPrefix.length)]);
  if (existsSync(outDir) && statSync(outDir).isDirectory()) {
    for (const name of readdirSync(outDir)) if (name.startsWith(STAGING_PREFIX)) candidates.push([join(outDir, name), name.slice(STAGING_PREFIX.length)]);
  }
  for (const [path, pidText] of candidates) {
    const pid = Number(pidText);
    if (Number.isSafeInteger(pid) && pid !== process.pid && processIsAlive(pid)) continue;
    rmSync(path, { recursive: true, force: true });
  }
}

function processIsAlive(pid: number): boolean {
  try {
    // Signal 0 only asks whether the process exists; nothing is sent.
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
