/**
 * Inference graphs of a seq2seq model with frozen weights:
 * - `logits`: input_ids, attention_mask, decoder_input_ids → logits [batch, tgt, vocab] (the whole model in one
 *   run: parity tests, and greedy decoding without a cache);
 * - `encoder` and `decoder-merged`: optimum's ONNX layout, which src/engine/translate/ runs. The merged decoder
 *   takes input_ids, encoder_attention_mask, encoder_hidden_states, past_key_values.N.{decoder,encoder}.{key,value}
 *   and use_cache_branch, and gives logits and present.N.... One graph serves the first step (an empty decoder
 *   past, [batch, heads, 0, headDim]) and the later ones: the self-attention keys are the past's followed by the
 *   new token's. The cross-attention keys and values are computed from encoder_hidden_states at the first step
 *   (use_cache_branch false) and read from past_key_values.N.encoder.* at later ones: an If node, as optimum's
 *   merged graph has, so a step no longer projects the whole source through every layer's k_proj and v_proj.
 */
import { Graph, type Value } from '../graph/graph.js';
import { inferenceContext } from '../model/context.js';
import type { Seq2SeqConfig } from './config.js';
import { ifElse } from '../graph/ops/index.js';
import { buildLmLogits, buildSeq2SeqDecoder, buildSeq2SeqEncoder, projectKeysValues, type KeysValues } from './model.js';
import { pastLengthOf } from './positions.js';
import type { Seq2SeqWeights } from './weights.js';

export type Seq2SeqGraphKind = 'logits' | 'encoder' | 'decoder-merged';

export function buildSeq2SeqGraph(kind: Seq2SeqGraphKind, config: Seq2SeqConfig, weights: Pick<Seq2SeqWeights, 'get'>): Graph {
  const graph = new Graph(`seq2seq_${kind.replace('-', '_')}`);
  const ctx = inferenceContext(graph, config, weights);
  if (kind === 'encoder') {
    const ids = graph.input('input_ids', 'int64', ['batch_size', 'encoder_sequence_length']);
    const mask = graph.input('attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']);
    graph.output(buildSeq2SeqEncoder(ctx, ids, mask), 'last_hidden_state');
    return graph;
  }
  if (kind === 'logits') {
    const ids = graph.input('input_ids', 'int64', ['batch', 'src']);
    const mask = graph.input('attention_mask', 'int64', ['batch', 'src']);
    const decoderIds = graph.input('decoder_input_ids', 'int64', ['batch', 'tgt']);
    const encoded = buildSeq2SeqEncoder(ctx, ids, mask);
    graph.output(buildLmLogits(ctx, buildSeq2SeqDecoder(ctx, decoderIds, encoded, mask).hidden), 'logits');
    return graph;
  }
  const inputs = mergedDecoderInputs(graph, { layers: config.decoderLayers, heads: config.decoderHeads, hidden: config.dModel });
  const { encoderMask, ids, encoderHidden, past } = inputs;
  const cross = cachedCrossKeysValues(inputs, (hidden) =>
    past.map((_, i) => projectKeysValues(ctx, `model.decoder.layers.${i}.encoder_attn`, hidden, config.decoderHeads)),
  );
  const decoded = buildSeq2SeqDecoder(ctx, ids, encoderHidden, encoderMask, { past, pastLength: pastLengthOf(past[0].key), cross });
  graph.output(buildLmLogits(ctx, decoded.hidden), 'logits');
  decoded.present.forEach((layer, i) => {
    graph.output(layer.self.key, `present.${i}.decoder.key`);
    graph.output(layer.self.value, `present.${i}.decoder.value`);
    graph.output(layer.cross.key, `present.${i}.encoder.key`);
    graph.output(layer.cross.value, `present.${i}.encoder.value`);
  });
  return graph;
}

export interface MergedDecoderInputs {
  encoderMask: Value;
  ids: Value;
  encoderHidden: Value;
  /** Per layer: the self-attention cache of earlier steps. */
  past: KeysValues[];
  /** Per layer: the cross-attention keys/values the first step gave. */
  pastEncoder: KeysValues[];
  useCacheBranch: Value;
}

/**
 * The merged decoder's inputs in optimum's names and order: encoder_attention_mask, input_ids,
 * encoder_hidden_states, past_key_values.N.{decoder,encoder}.{key,value} and use_cache_branch.
 */
export function mergedDecoderInputs(graph: Graph, m: { layers: number; heads: number; hidden: number }): MergedDecoderInputs {
  const headDim = m.hidden / m.heads;
  const encoderMask = graph.input('encoder_attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']);
  const ids = graph.input('input_ids', 'int64', ['batch_size', 'decoder_sequence_length']);
  const encoderHidden = graph.input('encoder_hidden_states', 'float32', ['batch_size', 'encoder_sequence_length', m.hidden]);
  const past: KeysValues[] = [];
  const pastEncoder: KeysValues[] = [];
  for (let i = 0; i < m.layers; i++) {
    const cacheInput = (part: string, length: string) => graph.input(`past_key_values.${i}.${part}`, 'float32', ['batch_size', m.heads, length, headDim]);
    past.push({ key: cacheInput('decoder.key', 'past_decoder_sequence_length'), value: cacheInput('decoder.value', 'past_decoder_sequence_length') });
    pastEncoder.push({ key: cacheInput('encoder.key', 'encoder_sequence_length_out'), value: cacheInput('encoder.value', 'encoder_sequence_length_out') });
  }
  const useCacheBranch = graph.input('use_cache_branch', 'bool', [1]);
  return { encoderMask, ids, encoderHidden, past, pastEncoder, useCacheBranch };
}

/**
 * Per layer, the cross-attention keys/values: `project(encoder_hidden_states)` at the first step, the fed
 * past_key_values.N.encoder.* when use_cache_branch is true (one If node; `project` builds inside its branch).
 */
export function cachedCrossKeysValues(inputs: MergedDecoderInputs, project: (encoderHidden: Value) => KeysValues[]): KeysValues[] {
  // The cache input's shape, its length named as the encoder's output names it (the two are one length at run time).
  const [batch, heads, , headDim] = inputs.pastEncoder[0].key.shape;
  const shape = [batch, heads, inputs.encoderHidden.shape[1], headDim];
  const flat = ifElse(inputs.useCacheBranch, 'cross_attention_cache', {
    then: (take) => inputs.pastEncoder.flatMap((kv) => [take(kv.key), take(kv.value)]),
    else: (take) => project(take(inputs.encoderHidden)).flatMap((kv) => [kv.key, kv.value]),
    shapes: inputs.pastEncoder.flatMap(() => [shape, shape]),
  });
  return inputs.pastEncoder.map((_, i) => ({ key: flat[2 * i], value: flat[2 * i + 1] }));
}
