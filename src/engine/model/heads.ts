/**
 * The task heads on top of the encoder's hidden states, as Hugging Face's XLM-R classes compute them.
 */
import type { Value } from '../graph/graph.js';
import { concat, gather, gelu, gemmTransB, layerNorm, reshape, reshapeTo, shapeOf, slice, tanh } from '../graph/ops/index.js';
import { EMBEDDINGS, HEAD_PATHS, MLM_HEAD } from '../hf/names.js';
import type { ModelContext } from './context.js';

/**
 * Rows of hidden [batch, seq, hidden] picked by flat index (b * seq + s), int64 [n] → [n, hidden].
 * Heads that need a few positions only (fill-mask's masks, MLM training's masked tokens) run on these
 * rows: the vocabulary projection costs 250k × hidden per row.
 */
export function selectRows(hidden: Value, flatPositions: Value): Value {
  return gather(reshape(hidden, [-1, hidden.shape[hidden.rank - 1] as number]), flatPositions, 0);
}

/** hidden[:, 0, :], the `<s>` vector, even where position 0 is a pad (left padding), as HF reads it. */
export function firstToken(hidden: Value): Value {
  return gather(hidden, hidden.graph.constant(0, 'int64'), 1);
}

/**
 * XLMRobertaLMHead: dense, GELU, LayerNorm (config eps), then the decoder tied to the word embeddings
 * plus its own bias `lm_head.bias`. Takes [..., hidden] (all positions, or rows from selectRows) and
 * returns [..., vocab]. The decoder reads the embedding table [vocab, hidden] transposed in place
 * (Gemm transB) rather than a transposed copy; leading axes are flattened for it and restored.
 */
export function buildMlmHead(ctx: ModelContext, hidden: Value): Value {
  const { config } = ctx;
  const h = config.hidden_size;
  const dense = gelu(ctx.linear(HEAD_PATHS.mlmDense, hidden, h, h));
  const normed = layerNorm(dense, ctx.param(MLM_HEAD.layerNormWeight, [h]), ctx.param(MLM_HEAD.layerNormBias, [h]), config.layer_norm_eps);
  const rows = normed.rank === 2 ? normed : reshape(normed, [-1, h]);
  const logits = ctx.tiedLinear
    ? ctx.tiedLinear(rows, EMBEDDINGS.word, MLM_HEAD.bias, config.vocab_size, h)
    : gemmTransB(rows, ctx.param(EMBEDDINGS.word, [config.vocab_size, h]), ctx.param(MLM_HEAD.bias, [config.vocab_size]));
  if (normed.rank === 2) return logits;
  const g = ctx.graph;
  const leading = slice(shapeOf(normed), [0], [normed.rank - 1], [0]);
  return reshapeTo(logits, concat([leading, g.constant([config.vocab_size], 'int64')], 0), [...normed.shape.slice(0, -1), config.vocab_size]);
}

/** The classifier's dropout: config.classifier_dropout, or hidden_dropout_prob when that is null (HF's rule). */
function classifierDropout(ctx: ModelContext): number {
  return ctx.config.classifier_dropout ?? ctx.config.hidden_dropout_prob;
}

/**
 * XLMRobertaClassificationHead on the `<s>` vector: dropout, dense, tanh, dropout, out_proj.
 * [batch, seq, hidden] → [batch, numLabels].
 */
export function buildSequenceClassificationHead(ctx: ModelContext, hidden: Value, numLabels = ctx.config.id2label.length): Value {
  const h = ctx.config.hidden_size;
  const p = classifierDropout(ctx);
  const cls = ctx.dropout(firstToken(hidden), p, 'classifier.dropout.0');
  const dense = ctx.dropout(tanh(ctx.linear(HEAD_PATHS.classifierDense, cls, h, h)), p, 'classifier.dropout.1');
  return ctx.linear(HEAD_PATHS.classifierOutProj, dense, h, numLabels);
}

/**
 * XLMRobertaForQuestionAnswering's head: qa_outputs on every token's vector (no dropout, as transformers has none
 * there). [batch, seq, hidden] → [batch, seq, 2]: start logits at [..., 0], end logits at [..., 1].
 */
export function buildQuestionAnsweringHead(ctx: ModelContext, hidden: Value): Value {
  return ctx.linear(HEAD_PATHS.qaOutputs, hidden, ctx.config.hidden_size, 2);
}

/** XLMRobertaForTokenClassification's head: dropout, classifier. [batch, seq, hidden] → [batch, seq, numLabels]. */
export function buildTokenClassificationHead(ctx: ModelContext, hidden: Value, numLabels = ctx.config.id2label.length): Value {
  const h = ctx.config.hidden_size;
  return ctx.linear(HEAD_PATHS.tokenClassifier, ctx.dropout(hidden, classifierDropout(ctx), 'dropout'), h, numLabels);
}
