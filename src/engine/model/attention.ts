/**
 * XLMRobertaSelfAttention + XLMRobertaSelfOutput: multi-head scaled dot-product attention with an
 * additive key mask, then the output projection, dropout, residual and post-LayerNorm.
 */
import type { Dim, Value } from '../graph/graph.js';
import { add, cast, concat, layerNorm, matmul, mul, reshape, softmax, sub, transpose, unsqueeze } from '../graph/ops/index.js';
import { ATTENTION_PATHS } from '../hf/names.js';
import type { ModelContext } from './context.js';

/** float32's most negative value, what HF adds on masked keys (torch.finfo(float32).min). */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * The additive mask [batch, 1, 1, seq] from attention_mask [batch, seq] (1 = real token, 0 = pad):
 * (1 - mask) * min. Built once and shared by every layer.
 */
export function additiveAttentionMask(attentionMask: Value): Value {
  const m = cast(attentionMask, 'float32');
  return unsqueeze(mul(sub(1, m), FLOAT32_MIN), [1, 2]);
}

/** [batch, seq, hidden] → [batch, heads, seq, headDim] (or [batch, heads, headDim, seq] for keys). */
export function splitHeads(x: Value, heads: number, headDim: number, keys = false): Value {
  return transpose(reshape(x, [0, 0, heads, headDim]), keys ? [0, 2, 3, 1] : [0, 2, 1, 3]);
}

/**
 * One attention block (`prefix` = 'roberta.encoder.layer.N.attention'), input [batch, seq, hidden]. `queries`
 * [batch, q, hidden] are the rows that attend (and take the residual); keys and values come from all of `x`.
 * Output [batch, q, hidden]; by default every row attends (q = seq).
 */
export function buildAttention(ctx: ModelContext, prefix: string, x: Value, additiveMask: Value, queries: Value = x): Value {
  const { config } = ctx;
  const h = config.hidden_size;
  const heads = config.num_attention_heads;
  const headDim = h / heads;

  const query = splitHeads(ctx.linear(`${prefix}.${ATTENTION_PATHS.query}`, queries, h, h), heads, headDim);
  const keyT = splitHeads(ctx.linear(`${prefix}.${ATTENTION_PATHS.key}`, x, h, h), heads, headDim, true);
  const value = splitHeads(ctx.linear(`${prefix}.${ATTENTION_PATHS.value}`, x, h, h), heads, headDim);

  const scores = add(mul(matmul(query, keyT), 1 / Math.sqrt(headDim)), additiveMask);
  const probs = ctx.dropout(softmax(scores), config.attention_probs_dropout_prob, `${prefix}.self.dropout`);
  const context = reshape(transpose(matmul(probs, value), [0, 2, 1, 3]), [0, 0, h]);

  const projected = ctx.dropout(ctx.linear(`${prefix}.${ATTENTION_PATHS.output}`, context, h, h), config.hidden_dropout_prob, `${prefix}.output.dropout`);
  return layerNorm(
    add(projected, queries),
    ctx.param(`${prefix}.${ATTENTION_PATHS.layerNorm}.weight`, [h]),
    ctx.param(`${prefix}.${ATTENTION_PATHS.layerNorm}.bias`, [h]),
    config.layer_norm_eps,
  );
}

/** One layer's attention keys and values, [batch, heads, length, headDim] (optimum's key/value cache layout). */
export interface AttentionKeysValues {
  key: Value;
  value: Value;
}

/**
 * The key and value projections of `x` [batch, length, hidden] for the attention module at `prefix`, split into
 * heads: [batch, heads, length, headDim].
 */
export function projectAttentionKeysValues(ctx: ModelContext, prefix: string, x: Value): AttentionKeysValues {
  const h = ctx.config.hidden_size;
  const heads = ctx.config.num_attention_heads;
  return {
    key: splitHeads(ctx.linear(`${prefix}.${ATTENTION_PATHS.key}`, x, h, h), heads, h / heads),
    value: splitHeads(ctx.linear(`${prefix}.${ATTENTION_PATHS.value}`, x, h, h), heads, h / heads),
  };
}

/**
 * buildAttention for decoding with a key/value cache: keys and values are `past`'s followed by those of
 * `keysFrom` (default `x`; the encoder's output for cross-attention, or its keys and values already projected),
 * and are returned with the output for the next step's cache. Queries are `x`, which also takes the residual. A
 * mask given as a function is built from the key axis (past + new tokens) once it exists.
 */
export function buildCachedAttention(ctx: ModelContext, prefix: string, x: Value, additiveMask: Value | ((keys: Dim) => Value), past?: AttentionKeysValues, keysFrom: Value | AttentionKeysValues = x): { output: Value; keysValues: AttentionKeysValues } {
  const { config } = ctx;
  const h = config.hidden_size;
  const heads = config.num_attention_heads;
  const headDim = h / heads;
  const query = splitHeads(ctx.linear(`${prefix}.${ATTENTION_PATHS.query}`, x, h, h), heads, headDim);
  const { key: freshKey, value: freshValue } = 'key' in keysFrom ? keysFrom : projectAttentionKeysValues(ctx, prefix, keysFrom);
  const key = past ? concat([past.key, freshKey], 2) : freshKey;
  const value = past ? concat([past.value, freshValue], 2) : freshValue;
  const mask = typeof additiveMask === 'function' ? additiveMask(key.shape[2]) : additiveMask;
  const scores = add(mul(matmul(query, transpose(key, [0, 1, 3, 2])), 1 / Math.sqrt(headDim)), mask);
  const context = reshape(transpose(matmul(softmax(scores), value), [0, 2, 1, 3]), [0, 0, h]);
  const projected = ctx.linear(`${prefix}.${ATTENTION_PATHS.output}`, context, h, h);
  const output = layerNorm(add(projected, x), ctx.param(`${prefix}.${ATTENTION_PATHS.layerNorm}.weight`, [h]), ctx.param(`${prefix}.${ATTENTION_PATHS.layerNorm}.bias`, [h]), config.layer_norm_eps);
  return { output, keysValues: { key, value } };
}
