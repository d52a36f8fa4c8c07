/**
 * Writes a Hugging Face XLM-R folder with random weights: `xlm … --model tiny` (a model to try the CLI
 * on before any real one is around) and the benchmarks (XLM-R base size, since no real weights can be
 * fetched here). The tokenizer is a Unigram tokenizer.json in XLM-R's layout whose vocabulary is padded
 * with filler pieces up to the requested size, so the embedding table and MLM head have the real cost.
 */
import { xlmrConfigJson } from '../hf/config.js';
import { writeNewXlmrFolder } from '../hf/new-folder.js';
import type { TensorToWrite } from '../hf/safetensors-write.js';
import { ARCHITECTURE_OF_HEAD, encoderTensorSpecs, headTensorSpecs, type ModelSizes } from '../hf/names.js';
import type { HeadKind } from '../tasks/vocabulary.js';
import { unigramTokenizerJson, type UnigramPiece } from '../tokenize/tokenizer-json.js';
import { createRng, normalArray } from '../rng/rng.js';

export interface RandomModelOptions {
  /** Sizes; vocab_size counts XLM-R's five specials. */
  sizes: ModelSizes & { num_attention_heads: number };
  head?: HeadKind;
  labels?: string[];
  seed?: number;
  /** Std of the weights (LayerNorm weights are 1 + noise). Default 0.02, HF's initializer_range. */
  std?: number;
}

/** The sizes of xlm-roberta-base. */
export const XLMR_BASE_SIZES: RandomModelOptions['sizes'] = {
  vocab_size: 250002,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  max_position_embeddings: 514,
  type_vocab_size: 1,
};

/** A model small enough to build in a blink, for trying the commands. */
export const TINY_SIZES: RandomModelOptions['sizes'] = {
  vocab_size: 0, // set from the tokenizer's pieces
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  max_position_embeddings: 130,
  type_vocab_size: 1,
};

const WORDS = (
  'the of and to in is was for on that with as by at from his her it an are were be this which or have had one not but ' +
  'capital city country language world human rights free equal born all people Paris France Berlin Germany Madrid Spain ' +
  'London Tokyo Japan le la de et est un une der die das und ist el los las en y es'
).split(' ');
const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?\'"()-àáâäçèéêëíîïñóôöúûüßøåæœ';

/** Word pieces, single characters, then fillers `▁w0`, `▁w1`, … up to `count` ordinary pieces. */
export function randomModelPieces(count: number): UnigramPiece[] {
  const pieces: string[] = ['\u2581', ...WORDS.map((w) => `\u2581${w}`), ...CHARS];
  const seen = new Set(pieces);
  for (let i = 0; pieces.length < count; i++) {
    const filler = `\u2581w${i}`;
    if (!seen.has(filler)) pieces.push(filler);
  }
  return pieces.slice(0, count).map((p, rank): UnigramPiece => [p, -Math.log(2 + rank)]);
}

/** Writes config.json, tokenizer files and model.safetensors into `dir`. */
export function writeRandomXlmr(dir: string, opts: RandomModelOptions): void {
  const head = opts.head ?? 'mlm';
  const labels = opts.labels ?? ['LABEL_0', 'LABEL_1'];
  const ordinary = opts.sizes.vocab_size > 0 ? opts.sizes.vocab_size - 5 : WORDS.length + CHARS.length + 1;
  const tokenizerJson = unigramTokenizerJson(randomModelPieces(ordinary));
  const sizes = { ...opts.sizes, vocab_size: ordinary + 5 };
  const config = xlmrConfigJson({ sizes, architecture: ARCHITECTURE_OF_HEAD[head], labels: head === 'mlm' ? undefined : labels });
  const rng = createRng(opts.seed ?? 0);
  const std = opts.std ?? 0.02;
  const tensors = new Map<string, TensorToWrite>();
  for (const { name, shape } of [...encoderTensorSpecs(sizes), ...headTensorSpecs(sizes, head, labels.length)]) {
    const count = shape.reduce((a, b) => a * b, 1);
    const mean = /(LayerNorm|layer_norm)\.weight$/.test(name) ? 1 : 0;
    tensors.set(name, { dtype: 'F32', shape, data: normalArray(rng, count, std, mean) });
  }
  writeNewXlmrFolder(dir, { config, tokenizerJson, tensors });
}
