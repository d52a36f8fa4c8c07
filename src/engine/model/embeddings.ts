/**
 * XLMRobertaEmbeddings: word + position + token-type embeddings, LayerNorm, dropout.
 */
import type { Value } from '../graph/graph.js';
import { add, cast, cumsum, equal, gather, layerNorm, mul, not } from '../graph/ops/index.js';
import { EMBEDDINGS } from '../hf/names.js';
import type { ModelContext } from './context.js';

/**
 * Position ids as Hugging Face computes them from input_ids: cumsum(ids != pad) * (ids != pad) + pad.
 * Real tokens count from pad + 1 (2 for XLM-R) whatever padding precedes them; pads get `pad`. Built in
 * the graph, so callers feed ids and mask only and left padding keeps real positions at 2, 3, ...
 */
export function positionIds(inputIds: Value, padTokenId: number): Value {
  const notPad = cast(not(equal(inputIds, padTokenId)), 'int64');
  return add(mul(cumsum(notPad, 1), notPad), padTokenId);
}

/**
 * [batch, seq] int64 ids → [batch, seq, hidden]. Without `tokenTypeIds` every token has type 0, as HF's
 * all-zero default buffer gives: row 0 of the token-type table is added everywhere.
 * The word and position tables have padding_idx = pad (their pad row never gets a gradient).
 * `explicitPositionIds` [batch, seq] int64 replaces the positions computed from input_ids (HF's position_ids
 * argument): pre-training's TLM restarts positions for the second language of a pair, as XLM does.
 */
export function buildEmbeddings(ctx: ModelContext, inputIds: Value, tokenTypeIds?: Value, explicitPositionIds?: Value): Value {
  const { config, graph } = ctx;
  const h = config.hidden_size;
  const pad = config.pad_token_id;
  const wordTable = ctx.param(EMBEDDINGS.word, [config.vocab_size, h]);
  const positionTable = ctx.param(EMBEDDINGS.position, [config.max_position_embeddings, h]);
  const typeTable = ctx.param(EMBEDDINGS.tokenType, [config.type_vocab_size, h]);

  const words = gather(wordTable, inputIds, 0, { paddingIdx: pad });
  const positions = gather(positionTable, explicitPositionIds ?? positionIds(inputIds, pad), 0, { paddingIdx: pad });
  const types = gather(typeTable, tokenTypeIds ?? graph.constant(0, 'int64'), 0);
  const sum = add(add(words, types), positions);
  const normed = layerNorm(sum, ctx.param(EMBEDDINGS.layerNormWeight, [h]), ctx.param(EMBEDDINGS.layerNormBias, [h]), config.layer_norm_eps);
  return ctx.dropout(normed, config.hidden_dropout_prob, 'roberta.embeddings.dropout');
}
