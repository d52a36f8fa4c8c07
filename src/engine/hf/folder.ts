import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hfError } from './hf-error.js';
import { loadXlmrConfig, type XlmrConfig } from './config.js';
import { describeJsonType, isPlainObject, readJsonFile } from './json.js';
import { EMBEDDINGS, headTensorSpecs, layerNames } from './names.js';
import type { HeadKind } from '../tasks/vocabulary.js';
import { openSafetensors, type TensorSource } from './safetensors.js';
import { openShardedSafetensors } from './sharded.js';
import { modelWeights, requiredTensorSpecs, type ModelWeights } from './weights.js';

/**
 * A Hugging Face model folder of the XLM-R family: config.json, tokenizer.json (with the optional
 * tokenizer_config.json and special_tokens_map.json) and safetensors weights, single or sharded.
 * Only headers are read here; tensors come from disk when the model builder asks for them.
 */

export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const SPECIAL_TOKENS_FILE = 'special_tokens_map.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

/** Special tokens by role, as strings. XLM-R's own when the folder does not say. */
export interface SpecialTokens {
  bos: string;
  eos: string;
  unk: string;
  sep: string;
  pad: string;
  cls: string;
  mask: string;
}

const XLMR_SPECIAL_TOKENS: SpecialTokens = { bos: '<s>', eos: '</s>', unk: '<unk>', sep: '</s>', pad: '<pad>', cls: '<s>', mask: '<mask>' };

export interface ModelFolder {
  /** Absolute path of the folder. */
  dir: string;
  config: XlmrConfig;
  /** tokenizer.json, parsed. */
  tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json when present. */
  tokenizerConfig: Record<string, unknown> | undefined;
  /** special_tokens_map.json when present, as written. */
  specialTokensMap: Record<string, unknown> | undefined;
  specialTokens: SpecialTokens;
  weights: ModelWeights;
  listTensorNames(): string[];
  /** Closes the weight files; call when the model has been built. */
  close(): void;
}

export interface LoadModelFolderOptions {
  /**
   * The head the caller will use. The encoder's tensors are then checked (presence and shape) at
   * load, and so is the head when the checkpoint has any of it: a half-present head is an error.
   */
  head?: HeadKind | 'encoder';
  /** Refuse a folder that lacks the head (inference needs it; fine-tuning starts one fresh). */
  requireHead?: boolean;
}

export function loadModelFolder(dirArg: string, options: LoadModelFolderOptions = {}): ModelFolder {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw hfError('folder-missing', dir, 'not a folder; expected a Hugging Face model folder (config.json, tokenizer.json, model.safetensors)');
  }
  const entries = new Set(readdirSync(dir));
  const need = (file: string, what: string, hint = '') => {
    if (!entries.has(file)) throw hfError('file-missing', dir, `the model folder has no ${file} (${what})${hint}`, file);
    return join(dir, file);
  };

  const configPath = need(CONFIG_FILE, 'the model configuration');
  const config = loadXlmrConfig(configPath);
  const tokenizerHint = entries.has('sentencepiece.bpe.model')
    ? `; it has sentencepiece.bpe.model, the slow tokenizer's file: convert it once in Python with transformers: from transformers import AutoTokenizer; AutoTokenizer.from_pretrained(${JSON.stringify(dir)}).save_pretrained(${JSON.stringify(dir)}), which writes tokenizer.json`
    : '';
  const tokenizerJson = readObject(need(TOKENIZER_FILE, 'the fast tokenizer', tokenizerHint));
  const tokenizerConfig = entries.has(TOKENIZER_CONFIG_FILE) ? readObject(join(dir, TOKENIZER_CONFIG_FILE)) : undefined;
  const specialTokensMap = entries.has(SPECIAL_TOKENS_FILE) ? readObject(join(dir, SPECIAL_TOKENS_FILE)) : undefined;

  const weights = modelWeights(openWeights(dir, entries, config.architectures[0]));
  try {
    checkConfigAgainstWeights(config, weights, configPath);
    if (options.head) {
      const head = options.head === 'encoder' ? undefined : options.head;
      weights.check(requiredTensorSpecs(config));
      if (head && (options.requireHead || weights.hasHead(head))) {
        weights.check(headTensorSpecs(config, head, config.id2label.length));
      }
    }
  } catch (e) {
    weights.close();
    throw e;
  }
  return {
    dir,
    config,
    tokenizerJson,
    tokenizerConfig,
    specialTokensMap,
    specialTokens: specialTokensOf(specialTokensMap, tokenizerConfig),
    weights,
    listTensorNames: () => weights.names(),
    close: () => weights.close(),
  };
}

/**
 * The sizes in config.json decide what the model builder allocates and how many tensor names it makes, so
 * each is compared with the weights actually stored (headers only) before anything is built: a config that
 * claims more layers or a larger table than the checkpoint holds is an error naming config.json and the key.
 */
export function checkConfigAgainstWeights(config: XlmrConfig, weights: ModelWeights, configPath: string): void {
  const mismatch = (key: keyof XlmrConfig, found: number, where: string) =>
    hfError(
      'config-mismatch',
      configPath,
      `"${key}" is ${config[key] as number}, but the weights (${weights.path}) have ${found} (${where}); config.json and the weights belong to different models`,
      key,
    );
  const layerIndex = /^roberta\.encoder\.layer\.(\d{1,6})\./;
  let layers = 0;
  for (const name of weights.names()) {
    const match = layerIndex.exec(name);
    if (match) layers = Math.max(layers, Number(match[1]) + 1);
  }
  if (layers > 0 && config.num_hidden_layers > layers) throw mismatch('num_hidden_layers', layers, 'encoder layers');
  const shapeOf = (name: string): readonly number[] | undefined => (weights.has(name) ? weights.info(name).shape : undefined);
  const word = shapeOf(EMBEDDINGS.word);
  if (word?.length === 2) {
    if (word[0] !== config.vocab_size) throw mismatch('vocab_size', word[0], `rows of ${EMBEDDINGS.word}`);
    if (word[1] !== config.hidden_size) throw mismatch('hidden_size', word[1], `columns of ${EMBEDDINGS.word}`);
  }
  const position = shapeOf(EMBEDDINGS.position);
  if (position?.length === 2 && position[0] !== config.max_position_embeddings) {
    throw mismatch('max_position_embeddings', position[0], `rows of ${EMBEDDINGS.position}`);
  }
  const tokenType = shapeOf(EMBEDDINGS.tokenType);
  if (tokenType?.length === 2 && tokenType[0] !== config.type_vocab_size) throw mismatch('type_vocab_size', tokenType[0], `rows of ${EMBEDDINGS.tokenType}`);
  const intermediate = shapeOf(layerNames(0).intermediateWeight);
  if (intermediate?.length === 2 && intermediate[0] !== config.intermediate_size) {
    throw mismatch('intermediate_size', intermediate[0], `rows of ${layerNames(0).intermediateWeight}`);
  }
}

/** Pickle formats: loading them runs whatever code the file contains. */
const PICKLE_FILE = /(\.bin|\.pt|\.pth|\.ckpt|\.pkl)$/;

function openWeights(dir: string, entries: Set<string>, architecture: string | undefined): TensorSource {
  // transformers prefers the single file over the index when both exist; so do we.
  if (entries.has(WEIGHTS_FILE)) return openSafetensors(join(dir, WEIGHTS_FILE));
  if (entries.has(WEIGHTS_INDEX_FILE)) return openShardedSafetensors(join(dir, WEIGHTS_INDEX_FILE));
  const pickled = [...entries].filter((name) => PICKLE_FILE.test(name) || name === 'pytorch_model.bin.index.json').sort();
  if (pickled.length > 0) {
    // The class the model was saved with keeps its head; Python string syntax matches JSON's for a path.
    const modelClass = architecture && /^[A-Za-z][A-Za-z0-9_]*$/.test(architecture) ? architecture : 'AutoModel';
    const folderText = JSON.stringify(dir);
    throw hfError(
      'weights-pickle',
      dir,
      `the model folder holds its weights as ${pickled.join(', ')}, a pickled PyTorch checkpoint, and no ${WEIGHTS_FILE}. ` +
        `XLM Lab does not open pickle files: unpickling can run any code the file contains. ` +
        `Convert it to safetensors once, in Python with transformers: ` +
        `from transformers import ${modelClass}; ${modelClass}.from_pretrained(${folderText}).save_pretrained(${folderText}, safe_serialization=True)` +
        `${modelClass === 'AutoModel' ? " (use the AutoModelFor… class of the model's task, e.g. AutoModelForMaskedLM, so its head is kept)" : ''}; then open the folder again`,
      pickled[0],
    );
  }
  const other = [...entries].filter((name) => /\.(h5|msgpack|onnx)$/.test(name));
  const found = other.length ? `; it has ${other.join(', ')}, which XLM Lab does not read` : '';
  throw hfError('file-missing', dir, `the model folder has no ${WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE} (the model weights)${found}`, WEIGHTS_FILE);
}

function readObject(path: string): Record<string, unknown> {
  const value = readJsonFile(path);
  if (!isPlainObject(value)) throw hfError('json-shape', path, `the file holds ${describeJsonType(value)}; expected a JSON object`);
  return value;
}

/** Entries are strings or AddedToken objects ({"content": "<s>", ...}); special_tokens_map.json wins. */
function specialTokensOf(map: Record<string, unknown> | undefined, tokenizerConfig: Record<string, unknown> | undefined): SpecialTokens {
  const pick = (role: keyof SpecialTokens): string => {
    for (const source of [map, tokenizerConfig]) {
      const entry = source?.[`${role}_token`];
      if (typeof entry === 'string') return entry;
      if (isPlainObject(entry) && typeof entry.content === 'string') return entry.content;
    }
    return XLMR_SPECIAL_TOKENS[role];
  };
  return {
    bos: pick('bos'),
    eos: pick('eos'),
    unk: pick('unk'),
    sep: pick('sep'),
    pad: pick('pad'),
    cls: pick('cls'),
    mask: pick('mask'),
  };
}
