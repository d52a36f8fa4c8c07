/**
 * Marian, M2M100 / NLLB and MBart encoder-decoders as transformers computes them, built with the graph
 * builder from a ModelContext (inference: frozen initializers; training: trainable inputs, LoRA, dropout).
 * Builders follow the HF modules and ask for weights by the checkpoint's names
 * (`model.decoder.layers.N.encoder_attn.q_proj`), so a checkpoint loads with no mapping table.
 *
 * Layer order by family (config.ts): post-LayerNorm (Marian: sublayer, residual, LayerNorm) or pre-LayerNorm
 * (M2M100, MBart: LayerNorm, sublayer, residual; a final LayerNorm after the stack).
 */
import type { Value } from '../graph/graph.js';
import { add, concat, gather, gelu, gemmTransB, layerNorm, matmul, mul, relu, reshape, reshapeTo, shapeOf, sigmoid, slice, softmax, transpose } from '../graph/ops/index.js';
import { FLOAT32_MIN, additiveAttentionMask, splitHeads } from '../model/attention.js';
import type { ModelContext } from '../model/context.js';
import { LAYER_NORM_EPS, type Seq2SeqConfig } from './config.js';
import { causalMask, positionIds, positionTableShape } from './positions.js';
import { FINAL_LOGITS_BIAS, embeddingName, lmHeadName, positionTableName, type Side } from './weights.js';

export type Seq2SeqContext = ModelContext<Seq2SeqConfig>;

/** One layer's attention keys and values, [batch, heads, length, headDim] (optimum's cache layout). */
export interface KeysValues {
  key: Value;
  value: Value;
}

function norm(ctx: Seq2SeqContext, name: string, x: Value): Value {
  const d = ctx.config.dModel;
  return layerNorm(x, ctx.param(`${name}.weight`, [d]), ctx.param(`${name}.bias`, [d]), LAYER_NORM_EPS);
}

function activation(c: Seq2SeqConfig, x: Value): Value {
  if (c.activation === 'relu') return relu(x);
  if (c.activation === 'gelu') return gelu(x);
  return mul(x, sigmoid(x));
}

/** k_proj and v_proj of `x` [batch, length, d], split into heads. */
export function projectKeysValues(ctx: Seq2SeqContext, prefix: string, x: Value, heads: number): KeysValues {
  const d = ctx.config.dModel;
  return {
    key: splitHeads(ctx.linear(`${prefix}.k_proj`, x, d, d), heads, d / heads),
    value: splitHeads(ctx.linear(`${prefix}.v_proj`, x, d, d), heads, d / heads),
  };
}

/** softmax(q k^T * head_dim^-0.5 + mask) v, then out_proj: queries [batch, q, d] → [batch, q, d]. */
function attend(ctx: Seq2SeqContext, prefix: string, queries: Value, kv: KeysValues, mask: Value, heads: number): Value {
  const d = ctx.config.dModel;
  const headDim = d / heads;
  const q = splitHeads(ctx.linear(`${prefix}.q_proj`, queries, d, d), heads, headDim);
  const scores = add(mul(matmul(q, transpose(kv.key, [0, 1, 3, 2])), headDim ** -0.5), mask);
  const probs = ctx.dropout(softmax(scores), ctx.config.attentionDropout, `${prefix}.attn_dropout`);
  const context = reshape(transpose(matmul(probs, kv.value), [0, 2, 1, 3]), [0, 0, d]);
  return ctx.linear(`${prefix}.out_proj`, context, d, d);
}

/** A residual sublayer in the family's order: pre-LN `h + f(LN(h))` or post-LN `LN(h + f(h))`, with dropout on f. */
function sublayer(ctx: Seq2SeqContext, h: Value, normName: string, site: string, f: (x: Value) => Value): Value {
  const c = ctx.config;
  const x = c.preNorm ? norm(ctx, normName, h) : h;
  const out = add(h, ctx.dropout(f(x), c.dropout, site));
  return c.preNorm ? out : norm(ctx, normName, out);
}

function feedForward(ctx: Seq2SeqContext, layer: string, x: Value, ffn: number): Value {
  const c = ctx.config;
  const hidden = ctx.dropout(activation(c, ctx.linear(`${layer}.fc1`, x, c.dModel, ffn)), c.activationDropout, `${layer}.activation_dropout`);
  return ctx.linear(`${layer}.fc2`, hidden, ffn, c.dModel);
}

/** Token embeddings × embed_scale + positions (+ MBart's layernorm_embedding), then dropout. */
function embed(ctx: Seq2SeqContext, side: Side, ids: Value, pastLength?: Value): Value {
  const c = ctx.config;
  const vocab = side === 'encoder' ? c.vocabSize : c.decoderVocabSize;
  let h = gather(ctx.param(embeddingName(c, side), [vocab, c.dModel]), ids, 0, { paddingIdx: c.padTokenId });
  if (c.scaleEmbedding) h = mul(h, Math.sqrt(c.dModel));
  const table = ctx.param(positionTableName(c, side), positionTableShape(c));
  h = add(h, gather(table, positionIds(c, ids, pastLength), 0));
  if (c.layernormEmbedding) h = norm(ctx, `model.${side}.layernorm_embedding`, h);
  return ctx.dropout(h, c.dropout, `model.${side}.dropout`);
}

/** input_ids, attention_mask [batch, src] (int64) → the encoder's last hidden state [batch, src, d]. */
export function buildSeq2SeqEncoder(ctx: Seq2SeqContext, inputIds: Value, attentionMask: Value): Value {
  const c = ctx.config;
  const mask = additiveAttentionMask(attentionMask);
  let h = embed(ctx, 'encoder', inputIds);
  for (let i = 0; i < c.encoderLayers; i++) {
    const layer = `model.encoder.layers.${i}`;
    h = ctx.graph.scope(`encoder.${i}`, () => {
      const attended = sublayer(ctx, h, `${layer}.self_attn_layer_norm`, `${layer}.self_attn.dropout`, (x) =>
        attend(ctx, `${layer}.self_attn`, x, projectKeysValues(ctx, `${layer}.self_attn`, x, c.encoderHeads), mask, c.encoderHeads));
      return sublayer(ctx, attended, `${layer}.final_layer_norm`, `${layer}.dropout`, (x) => feedForward(ctx, layer, x, c.encoderFfn));
    });
  }
  return c.preNorm ? norm(ctx, 'model.encoder.layer_norm', h) : h;
}

export interface DecoderCache {
  /** Per layer: the self-attention keys/values of earlier steps ([batch, heads, past, headDim]). */
  past: KeysValues[];
  /** The past length, an int64 scalar. */
  pastLength: Value;
  /** Per layer: the cross-attention keys/values, where the caller has them (else projected from the encoder's output). */
  cross?: KeysValues[];
}

export interface DecoderOutput {
  hidden: Value;
  /** Per layer: self-attention keys/values including this call's tokens, and the cross-attention ones. */
  present: { self: KeysValues; cross: KeysValues }[];
}

/**
 * decoder_input_ids [batch, tgt] over the encoder's output [batch, src, d] with its attention_mask [batch, src]
 * → the decoder's last hidden state [batch, tgt, d]. No decoder attention mask, as transformers trains
 * (shifted labels, causal attention only). With `cache`, the tokens continue a sequence whose earlier
 * steps' self-attention keys/values are given.
 */
export function buildSeq2SeqDecoder(ctx: Seq2SeqContext, decoderIds: Value, encoderHidden: Value, encoderMask: Value, cache?: DecoderCache): DecoderOutput {
  const c = ctx.config;
  const heads = c.decoderHeads;
  // Built at the first layer, once the key axis (past + new tokens) has its name.
  let selfMask: Value | undefined;
  const crossMask = additiveAttentionMask(encoderMask);
  let h = embed(ctx, 'decoder', decoderIds, cache?.pastLength);
  const present: DecoderOutput['present'] = [];
  for (let i = 0; i < c.decoderLayers; i++) {
    const layer = `model.decoder.layers.${i}`;
    h = ctx.graph.scope(`decoder.${i}`, () => {
      let selfKv: KeysValues | undefined;
      const attended = sublayer(ctx, h, `${layer}.self_attn_layer_norm`, `${layer}.self_attn.dropout`, (x) => {
        const fresh = projectKeysValues(ctx, `${layer}.self_attn`, x, heads);
        const past = cache?.past[i];
        selfKv = past ? { key: concat([past.key, fresh.key], 2), value: concat([past.value, fresh.value], 2) } : fresh;
        selfMask ??= causalMask(decoderIds, cache?.pastLength, selfKv.key.shape[2], FLOAT32_MIN);
        return attend(ctx, `${layer}.self_attn`, x, selfKv, selfMask, heads);
      });
      const crossKv = cache?.cross?.[i] ?? projectKeysValues(ctx, `${layer}.encoder_attn`, encoderHidden, heads);
      const crossed = sublayer(ctx, attended, `${layer}.encoder_attn_layer_norm`, `${layer}.encoder_attn.dropout`, (x) =>
        attend(ctx, `${layer}.encoder_attn`, x, crossKv, crossMask, heads));
      present.push({ self: selfKv!, cross: crossKv });
      return sublayer(ctx, crossed, `${layer}.final_layer_norm`, `${layer}.dropout`, (x) => feedForward(ctx, layer, x, c.decoderFfn));
    });
  }
  return { hidden: c.preNorm ? norm(ctx, 'model.decoder.layer_norm', h) : h, present };
}

/**
 * lm_head (no bias; the decoder's embedding table when tied, read in place with Gemm transB) plus
 * final_logits_bias where the family has one: [..., d] → [..., decoderVocab].
 */
export function buildLmLogits(ctx: Seq2SeqContext, hidden: Value): Value {
  const c = ctx.config;
  const vocab = c.decoderVocabSize;
  const rows = hidden.rank === 2 ? hidden : reshape(hidden, [-1, c.dModel]);
  const bias = c.finalLogitsBias ? reshape(ctx.param(FINAL_LOGITS_BIAS, [1, vocab]), [vocab]) : undefined;
  const logits = gemmTransB(rows, ctx.param(lmHeadName(c), [vocab, c.dModel]), bias);
  if (hidden.rank === 2) return logits;
  const leading = slice(shapeOf(hidden), [0], [hidden.rank - 1], [0]);
  return reshapeTo(logits, concat([leading, ctx.graph.constant([vocab], 'int64')], 0), [...hidden.shape.slice(0, -1), vocab]);
}
