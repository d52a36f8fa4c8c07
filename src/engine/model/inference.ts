/**
 * Inference graphs per task, built from the encoder and heads with frozen weights (inferenceContext).
 * Inputs always carry optimum's names, `input_ids` and `attention_mask` (int64 [batch, seq]), so the same
 * graph serves our sessions and the ONNX export that transformers.js reads.
 */
import { Graph, type Value } from '../graph/graph.js';
import { cast, div, gather, max, mul, reduceSum, softmax, topK, unsqueeze } from '../graph/ops/index.js';
import type { XlmrConfig } from '../hf/config.js';
import type { ModelWeights } from '../hf/weights.js';
import { inferenceContext } from './context.js';
import type { InferenceDtype } from './quantize.js';
import { buildMlmHead, buildQuestionAnsweringHead, buildSequenceClassificationHead, buildTokenClassificationHead, selectRows } from './heads.js';
import { buildEncoder } from './xlmr.js';

/**
 * - `mlm-logits`: logits [batch, seq, vocab] at every position (the export; parity tests).
 * - `fill-mask`: the MLM head on the rows `mask_positions` (flat b * seq + s, int64 [n]) only; outputs the
 *   `top_k` (int64 [1]) most probable tokens per row: `probs` and `token_ids`, [n, k].
 * - `seq-cls`: logits [batch, labels]; `token-cls`: logits [batch, seq, labels].
 * - `qa`: `start_logits` and `end_logits` [batch, seq], the outputs transformers.js's question-answering pipeline reads.
 * - `embed`: `embeddings` [batch, hidden], the mean of the last hidden state over the attention mask.
 * - `hidden`: `last_hidden_state` [batch, seq, hidden].
 */
export type InferenceTask = 'mlm-logits' | 'fill-mask' | 'seq-cls' | 'token-cls' | 'qa' | 'embed' | 'hidden';

export function buildInferenceGraph(task: InferenceTask, config: XlmrConfig, weights: Pick<ModelWeights, 'get'>, dtype: InferenceDtype = 'fp32'): Graph {
  const graph = new Graph(`xlmr_${task.replace('-', '_')}`);
  // Only fill-mask rescores the int8 decoder's best words (it reads the masked rows alone; see inferenceContext).
  const ctx = inferenceContext(graph, config, weights, dtype, { rescoreDecoder: task === 'fill-mask' });
  const inputIds = graph.input('input_ids', 'int64', ['batch', 'seq']);
  const attentionMask = graph.input('attention_mask', 'int64', ['batch', 'seq']);
  // seq-cls reads only the <s> row: the last layer computes only that row.
  const hidden = buildEncoder(ctx, inputIds, attentionMask, undefined, undefined, task === 'seq-cls' ? 'first' : 'all');

  switch (task) {
    case 'mlm-logits':
      graph.output(buildMlmHead(ctx, hidden), 'logits');
      break;
    case 'fill-mask': {
      const positions = graph.input('mask_positions', 'int64', ['masks']);
      const k = graph.input('top_k', 'int64', [1]);
      const probs = softmax(buildMlmHead(ctx, selectRows(hidden, positions)));
      const best = topK(probs, k);
      graph.output(best.values, 'probs');
      graph.output(best.indices, 'token_ids');
      break;
    }
    case 'seq-cls':
      graph.output(buildSequenceClassificationHead(ctx, hidden), 'logits');
      break;
    case 'token-cls':
      graph.output(buildTokenClassificationHead(ctx, hidden), 'logits');
      break;
    case 'qa': {
      const logits = buildQuestionAnsweringHead(ctx, hidden);
      graph.output(gather(logits, graph.constant(0, 'int64'), 2), 'start_logits');
      graph.output(gather(logits, graph.constant(1, 'int64'), 2), 'end_logits');
      break;
    }
    case 'embed':
      graph.output(meanPool(hidden, attentionMask), 'embeddings');
      break;
    case 'hidden':
      graph.output(hidden, 'last_hidden_state');
      break;
  }
  return graph;
}

/** sum(hidden * mask) / max(sum(mask), 1e-9) over the sequence, as sentence-transformers pools. */
export function meanPool(hidden: Value, attentionMask: Value): Value {
  const mask = unsqueeze(cast(attentionMask, hidden.dtype), [-1]);
  const summed = reduceSum(mul(hidden, mask), [1]);
  const count = max(reduceSum(mask, [1]), 1e-9);
  return div(summed, count);
}

/** The head a task's graph reads from the checkpoint; the encoder-only tasks need none. */
export function headOfTask(task: InferenceTask): 'mlm' | 'seq-cls' | 'token-cls' | 'qa' | undefined {
  if (task === 'mlm-logits' || task === 'fill-mask') return 'mlm';
  if (task === 'seq-cls' || task === 'token-cls' || task === 'qa') return task;
  return undefined;
}
