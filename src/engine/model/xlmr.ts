/**
 * The XLM-R encoder as Hugging Face's XLMRobertaModel computes it (without the pooler, which no task
 * head uses): embeddings, then post-LayerNorm transformer layers. Builders are named after the HF
 * modules and take their weights by the checkpoint's tensor names, so weights load with no mapping table.
 *
 * Every builder takes a ModelContext (context.ts): the same code builds inference and training graphs.
 * Heads are in heads.ts.
 */
import type { Value } from '../graph/graph.js';
import { add, gather, gelu, layerNorm } from '../graph/ops/index.js';
import { FEED_FORWARD_PATHS, layerPath } from '../hf/names.js';
import { additiveAttentionMask, buildAttention } from './attention.js';
import type { ModelContext } from './context.js';
import { buildEmbeddings } from './embeddings.js';

export type { ModelContext } from './context.js';
export { inferenceContext } from './context.js';
export { buildMlmHead, buildQuestionAnsweringHead, buildSequenceClassificationHead, buildTokenClassificationHead, selectRows, firstToken } from './heads.js';

/**
 * One XLMRobertaLayer: attention, then intermediate (dense + GELU) and output (dense, dropout, residual, LayerNorm).
 * `queries` (rows of x, default all of it) are the rows computed; every row of x is a key and a value.
 */
export function buildLayer(ctx: ModelContext, layer: number, x: Value, additiveMask: Value, queries: Value = x): Value {
  const prefix = layerPath(layer);
  return buildFeedForward(ctx, prefix, buildAttention(ctx, `${prefix}.attention`, x, additiveMask, queries));
}

/** A layer's intermediate (dense + GELU) and output (dense, dropout, residual, LayerNorm) on the attention's result. */
export function buildFeedForward(ctx: ModelContext, prefix: string, attended: Value): Value {
  const { config } = ctx;
  const h = config.hidden_size;
  const intermediate = gelu(ctx.linear(`${prefix}.${FEED_FORWARD_PATHS.intermediate}`, attended, h, config.intermediate_size));
  const out = ctx.dropout(ctx.linear(`${prefix}.${FEED_FORWARD_PATHS.output}`, intermediate, config.intermediate_size, h), config.hidden_dropout_prob, `${prefix}.output.dropout`);
  return layerNorm(add(out, attended), ctx.param(`${prefix}.${FEED_FORWARD_PATHS.layerNorm}.weight`, [h]), ctx.param(`${prefix}.${FEED_FORWARD_PATHS.layerNorm}.bias`, [h]), config.layer_norm_eps);
}

/**
 * Which rows of the last hidden state a graph needs: 'all', or 'first' ([batch, 1, hidden], the `<s>` row a
 * sequence-classification head reads). For 'first' the last layer computes only that row: its query, its
 * attention over every key and value, its output projection and feed-forward; the other rows' would be dead.
 * With 4 layers that is about a fifth of the encoder's work, forward and backward.
 */
export type EncoderRows = 'all' | 'first';

/**
 * input_ids [batch, seq] (int64), attention_mask [batch, seq] (int64, 1 = real token) → the last hidden
 * state [batch, seq, hidden] (or [batch, 1, hidden] for rows 'first'). Position ids are computed in the graph
 * from input_ids (embeddings.ts); token types default to 0. `positionIds` [batch, seq] (int64) overrides the
 * computed positions (TLM).
 */
export function buildEncoder(ctx: ModelContext, inputIds: Value, attentionMask: Value, tokenTypeIds?: Value, positionIds?: Value, rows: EncoderRows = 'all'): Value {
  const mask = additiveAttentionMask(attentionMask);
  let hidden = buildEmbeddings(ctx, inputIds, tokenTypeIds, positionIds);
  const last = ctx.config.num_hidden_layers - 1;
  for (let layer = 0; layer <= last; layer++) {
    const x = hidden;
    const queries = layer === last && rows === 'first' ? gather(x, ctx.graph.constant([0], 'int64'), 1) : x;
    hidden = ctx.graph.scope(`layer.${layer}`, () => buildLayer(ctx, layer, x, mask, queries));
  }
  return hidden;
}
