/**
 * Writes a complete tiny random XLM-R model folder (config.json, model.safetensors, tokenizer.json,
 * tokenizer_config.json, special_tokens_map.json) for tests: small enough to build and run in
 * milliseconds, in exactly the layout of a real Hugging Face folder.
 *
 * Weights are seeded normal draws with std 0.3 by default: with HF's initialisation std (0.02) a
 * model is almost linear, and parity tests cannot tell a missing 1/sqrt(d) or a tanh GELU from the
 * real thing (either moves the logits by about 1e-10). LayerNorm weights are 1 + noise so they too are tested.
 */
import { ARCHITECTURE_OF_HEAD, ENCODER_PREFIX, encoderTensorSpecs, headTensorSpecs, type TensorSpec } from '../../src/engine/hf/names.js';
import { HEAD_KINDS, type HeadKind } from '../../src/engine/tasks/vocabulary.js';
import type { TensorToWrite } from '../../src/engine/hf/safetensors-write.js';
import { xlmrConfigJson } from '../../src/engine/hf/config.js';
import { writeNewXlmrFolder } from '../../src/engine/hf/new-folder.js';
import { createRng } from '../../src/engine/rng/rng.js';
import { makeTinyTokenizerJson } from './tiny-tokenizer.js';

export type TinyHeads = 'none' | HeadKind | 'all';

export interface TinyXlmrOptions {
  /** Which heads the checkpoint holds; 'all' = every head, as some real checkpoints do. Default 'mlm'. */
  head?: TinyHeads;
  seed?: number;
  /** Std of the random weights (default 0.3, see above). */
  std?: number;
  /** Classifier labels (default LABEL_0..LABEL_2) when a classification head is written. */
  labels?: string[];
  hiddenSize?: number;
  numLayers?: number;
  numAttentionHeads?: number;
  intermediateSize?: number;
  maxPositionEmbeddings?: number;
  typeVocabSize?: number;
  layerNormEps?: number;
  /** tokenizer.json to use (default: the tiny multilingual tokenizer); config's vocab_size follows it. */
  tokenizerJson?: object;
  /** Storage dtype of the weights (default F32); F16/BF16 round the values on write. */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** false writes encoder names without "roberta." as XLMRobertaModel saves them (default true). */
  prefix?: boolean;
  /** Split the weights over this many shards with model.safetensors.index.json (default: one file). */
  shards?: number;
  /** Keys merged into config.json last (to test odd configs). */
  configOverrides?: Record<string, unknown>;
}

export interface TinyXlmr {
  dir: string;
  config: Record<string, unknown>;
  vocabSize: number;
  /** The weights as float32 before any F16/BF16 rounding, under canonical (prefixed) names. */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

export function writeTinyXlmr(dir: string, opts: TinyXlmrOptions = {}): TinyXlmr {
  const tokenizerJson = opts.tokenizerJson ?? makeTinyTokenizerJson();
  const vocabSize = vocabSizeOf(tokenizerJson);
  const heads: HeadKind[] = opts.head === 'all' ? [...HEAD_KINDS] : opts.head === undefined ? ['mlm'] : opts.head === 'none' ? [] : [opts.head];
  const classifies = heads.some((h) => h !== 'mlm');
  const labels = opts.labels ?? ['LABEL_0', 'LABEL_1', 'LABEL_2'];
  const config: Record<string, unknown> = {
    ...xlmrConfigJson({
      architecture: ARCHITECTURE_OF_HEAD[heads[0] ?? 'none'],
      sizes: {
        vocab_size: vocabSize,
        hidden_size: opts.hiddenSize ?? 32,
        num_hidden_layers: opts.numLayers ?? 2,
        num_attention_heads: opts.numAttentionHeads ?? 4,
        intermediate_size: opts.intermediateSize ?? 64,
        max_position_embeddings: opts.maxPositionEmbeddings ?? 40,
        type_vocab_size: opts.typeVocabSize ?? 1,
      },
      labels: classifies ? labels : undefined,
      layerNormEps: opts.layerNormEps,
    }),
    ...opts.configOverrides,
  };

  const sizes = {
    vocab_size: vocabSize,
    hidden_size: config.hidden_size as number,
    num_hidden_layers: config.num_hidden_layers as number,
    intermediate_size: config.intermediate_size as number,
    max_position_embeddings: config.max_position_embeddings as number,
    type_vocab_size: config.type_vocab_size as number,
  };
  const specs: TensorSpec[] = encoderTensorSpecs(sizes);
  for (const head of heads) specs.push(...headTensorSpecs(sizes, head, labels.length));

  const rng = createRng(opts.seed ?? 0);
  const std = opts.std ?? 0.3;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const { name, shape } of specs) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const centre = /(LayerNorm|layer_norm)\.weight$/.test(name) ? 1 : 0;
    for (let i = 0; i < data.length; i++) data[i] = rng.normal(centre, std);
    tensors.set(name, { shape, data });
  }

  const dtype = opts.dtype ?? 'F32';
  const stored = new Map<string, TensorToWrite>();
  for (const [name, { shape, data }] of tensors) {
    const storedName = opts.prefix === false && name.startsWith(ENCODER_PREFIX) ? name.slice(ENCODER_PREFIX.length) : name;
    stored.set(storedName, { dtype, shape, data });
  }
  writeNewXlmrFolder(dir, { config, tokenizerJson, tensors: stored, shards: opts.shards });
  return { dir, config, vocabSize, tensors };
}

/** Ids a tokenizer.json can produce: its model's vocabulary and any added token beyond it. */
export function vocabSizeOf(tokenizerJson: object): number {
  const json = tokenizerJson as { model?: { vocab?: unknown[] | Record<string, number> }; added_tokens?: Array<{ id: number }> };
  const vocab = json.model?.vocab;
  let size = Array.isArray(vocab) ? vocab.length : vocab ? Object.keys(vocab).length : 0;
  for (const token of json.added_tokens ?? []) size = Math.max(size, token.id + 1);
  return size;
}
