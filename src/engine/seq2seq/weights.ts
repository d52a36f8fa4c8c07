/**
 * The tensors of a seq2seq checkpoint under transformers' names, and reading them from model.safetensors.
 *
 * save_pretrained leaves tied copies out: a shared table is stored once, as `model.shared.weight` (or, in some
 * conversions, as `model.encoder.embed_tokens.weight`), and a tied lm_head not at all. A lookup of any of those
 * names finds whichever spelling the file has. Position tables that transformers computes (Marian's and
 * M2M100's sinusoids) are computed here when the file lacks them; they are buffers, never trained.
 */
import { join } from 'node:path';
import { hfError } from '../hf/hf-error.js';
import { openSafetensors, type TensorSource } from '../hf/safetensors.js';
import type { Seq2SeqConfig } from './config.js';
import { positionTable, positionTableShape } from './positions.js';

export interface TensorSpec {
  name: string;
  shape: number[];
}

export type Side = 'encoder' | 'decoder';

export function embeddingName(c: Seq2SeqConfig, side: Side): string {
  return c.sharedEmbeddings ? 'model.shared.weight' : `model.${side}.embed_tokens.weight`;
}

/** The output layer's weight: the decoder's embedding table when tied. */
export function lmHeadName(c: Seq2SeqConfig): string {
  return c.tieWordEmbeddings ? embeddingName(c, 'decoder') : 'lm_head.weight';
}

/** The position table a side reads: a buffer for the sinusoidal kinds (Marian's stored name, M2M100's `weights`), a weight when learned. */
export function positionTableName(c: Seq2SeqConfig, side: Side): string {
  return c.positions === 'fairseq' ? `model.${side}.embed_positions.weights` : `model.${side}.embed_positions.weight`;
}

export const FINAL_LOGITS_BIAS = 'final_logits_bias';

/** Tensors transformers never trains: final_logits_bias (a buffer) and the sinusoidal position tables (requires_grad off). */
export function isFrozenBuffer(c: Seq2SeqConfig, name: string): boolean {
  return name === FINAL_LOGITS_BIAS || (c.positions !== 'learned' && /\.embed_positions\.weights?$/.test(name));
}

/** Every tensor a model of this config has, with its PyTorch shape, in save order (what a trained model saves). */
export function seq2seqTensorSpecs(c: Seq2SeqConfig): TensorSpec[] {
  const d = c.dModel;
  const specs: TensorSpec[] = [];
  const linear = (name: string, inF: number, outF: number) => specs.push({ name: `${name}.weight`, shape: [outF, inF] }, { name: `${name}.bias`, shape: [outF] });
  const norm = (name: string) => specs.push({ name: `${name}.weight`, shape: [d] }, { name: `${name}.bias`, shape: [d] });
  if (c.sharedEmbeddings) specs.push({ name: 'model.shared.weight', shape: [c.vocabSize, d] });
  for (const side of ['encoder', 'decoder'] as const) {
    const prefix = `model.${side}`;
    if (!c.sharedEmbeddings) specs.push({ name: embeddingName(c, side), shape: [side === 'encoder' ? c.vocabSize : c.decoderVocabSize, d] });
    if (c.positions === 'marian') specs.push({ name: positionTableName(c, side), shape: positionTableShape(c) });
    if (c.positions === 'learned') specs.push({ name: positionTableName(c, side), shape: positionTableShape(c) });
    if (c.layernormEmbedding) norm(`${prefix}.layernorm_embedding`);
    const layers = side === 'encoder' ? c.encoderLayers : c.decoderLayers;
    const ffn = side === 'encoder' ? c.encoderFfn : c.decoderFfn;
    for (let i = 0; i < layers; i++) {
      const layer = `${prefix}.layers.${i}`;
      for (const attn of side === 'encoder' ? ['self_attn'] : ['self_attn', 'encoder_attn']) {
        for (const proj of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) linear(`${layer}.${attn}.${proj}`, d, d);
        norm(`${layer}.${attn}_layer_norm`);
      }
      linear(`${layer}.fc1`, d, ffn);
      linear(`${layer}.fc2`, ffn, d);
      norm(`${layer}.final_layer_norm`);
    }
    if (c.preNorm) norm(`${prefix}.layer_norm`);
  }
  if (!c.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [c.decoderVocabSize, d] });
  if (c.finalLogitsBias) specs.push({ name: FINAL_LOGITS_BIAS, shape: [1, c.decoderVocabSize] });
  return specs;
}

/** Names a stored tensor may go by, the canonical one first. */
function spellings(c: Seq2SeqConfig, name: string): string[] {
  if (c.sharedEmbeddings && (name === 'model.shared.weight' || name === 'lm_head.weight' && c.tieWordEmbeddings)) {
    return ['model.shared.weight', 'model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight', 'lm_head.weight'];
  }
  if (!c.sharedEmbeddings && c.tieWordEmbeddings && name === 'model.decoder.embed_tokens.weight') return [name, 'lm_head.weight'];
  return [name];
}

export interface Seq2SeqWeights {
  readonly path: string;
  has(name: string): boolean;
  /** float32 data of a tensor by its canonical name; an error naming the file and tensor when absent or of another shape. */
  get(name: string, shape: readonly number[]): Float32Array;
  /** Checks that every tensor of the config is present with its shape (computed buffers aside). */
  check(): void;
  close(): void;
}

export function openSeq2SeqWeights(dir: string, config: Seq2SeqConfig): Seq2SeqWeights {
  const source = openSafetensors(join(dir, 'model.safetensors'));
  return seq2seqWeights(source, config);
}

function seq2seqWeights(source: TensorSource, c: Seq2SeqConfig): Seq2SeqWeights {
  const stored = (name: string) => spellings(c, name).find((n) => source.has(n));
  const computed = (name: string) => c.positions !== 'learned' && /^model\.(encoder|decoder)\.embed_positions\.weights?$/.test(name);
  const get = (name: string, shape: readonly number[]): Float32Array => {
    const found = stored(name);
    if (found === undefined) {
      if (computed(name)) return positionTable(c);
      throw hfError('tensor-missing', source.path, `no tensor '${name}' in this checkpoint${spellings(c, name).length > 1 ? ` (nor ${spellings(c, name).slice(1).map((s) => `'${s}'`).join(', ')})` : ''}`, name);
    }
    const info = source.info(found);
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw hfError('tensor-shape', info.file, `tensor '${found}' has shape [${info.shape.join(', ')}], expected [${shape.join(', ')}] from config.json`, found);
    }
    const data = source.readFloat32(found);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw hfError('tensor-non-finite', info.file, `tensor '${found}' holds ${data[i]} at index ${i}; the checkpoint is damaged`, found);
    }
    return data;
  };
  return {
    path: source.path,
    has: (name) => stored(name) !== undefined || computed(name),
    get,
    check: () => {
      for (const spec of seq2seqTensorSpecs(c)) {
        const found = stored(spec.name);
        if (found === undefined) {
          if (computed(spec.name)) continue;
          throw hfError('tensor-missing', source.path, `no tensor '${spec.name}' in this checkpoint, which config.json's "${c.family}" layout needs`, spec.name);
        }
        const info = source.info(found);
        if (info.shape.join() !== spec.shape.join()) throw hfError('tensor-shape', info.file, `tensor '${found}' has shape [${info.shape.join(', ')}], expected [${spec.shape.join(', ')}] from config.json`, found);
      }
    },
    close: () => source.close(),
  };
}
