/**
 * XLMRobertaSelfAttention + XLMRobertaSelfOutput: multi-head scaled dot-product attention with an
 * additive key mask, then the output projection, dropout, residual and post-LayerNorm.
 */
import type { Value } from '../graph/graph.js';
import { add, cast, layerNorm, matmul, mul, reshape, softmax, sub, transpose, unsqueeze } from '../graph/ops/index.js';
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

  const query = splitHeads(ctx.linear(`${prefix}.self.query`, queries, h, h), heads, headDim);
  const keyT = splitHeads(ctx.linear(`${prefix}.self.key`, x, h, h), heads, headDim, true);
  const value = splitHeads(ctx.linear(`${prefix}.self.value`, x, h, h), heads, headDim);

  const scores = add(mul(matmul(query, keyT), 1 / Math.sqrt(headDim)), additiveMask);
  const probs = ctx.dropout(softmax(scores), config.attention_probs_dropout_prob, `${prefix}.self.dropout`);
  const context = reshape(transpose(matmul(probs, value), [0, 2, 1, 3]), [0, 0, h]);

  const projected = ctx.dropout(ctx.linear(`${prefix}.output.dense`, context, h, h), config.hidden_dropout_prob, `${prefix}.output.dropout`);
  return layerNorm(
    add(projected, queries),
    ctx.param(`${prefix}.output.LayerNorm.weight`, [h]),
    ctx.param(`${prefix}.output.LayerNorm.bias`, [h]),
    config.layer_norm_eps,
  );
}
