/**
 * Inference graphs of a seq2seq model with frozen weights:
 * - `logits`: input_ids, attention_mask, decoder_input_ids → logits [batch, tgt, vocab] (the whole model in one
 *   run: parity tests, and greedy decoding without a cache);
 * - `encoder` and `decoder-merged`: optimum's ONNX layout, which src/engine/translate/ runs. The merged decoder
 *   takes input_ids, encoder_attention_mask, encoder_hidden_states, past_key_values.N.{decoder,encoder}.{key,value}
 *   and use_cache_branch, and gives logits and present.N.... One graph serves the first step (an empty decoder
 *   past, [batch, heads, 0, headDim]) and the later ones: the self-attention keys are the past's followed by the
 *   new token's. The cross-attention keys are computed from encoder_hidden_states at every step (so the graph
 *   needs no If branch); the encoder past it is fed is accepted and not read.
 */
import { Graph, type Value } from '../graph/graph.js';
import { inferenceContext } from '../model/context.js';
import type { Seq2SeqConfig } from './config.js';
import { buildLmLogits, buildSeq2SeqDecoder, buildSeq2SeqEncoder, type KeysValues } from './model.js';
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
  const { encoderMask, ids, encoderHidden, past } = mergedDecoderInputs(graph, { layers: config.decoderLayers, heads: config.decoderHeads, hidden: config.dModel });
  const decoded = buildSeq2SeqDecoder(ctx, ids, encoderHidden, encoderMask, { past, pastLength: pastLengthOf(past[0].key) });
  graph.output(buildLmLogits(ctx, decoded.hidden), 'logits');
  decoded.present.forEach((layer, i) => {
    graph.output(layer.self.key, `present.${i}.decoder.key`);
    graph.output(layer.self.value, `present.${i}.decoder.value`);
    graph.output(layer.cross.key, `present.${i}.encoder.key`);
    graph.output(layer.cross.value, `present.${i}.encoder.value`);
  });
  return graph;
}

/**
 * The merged decoder's inputs in optimum's names and order: encoder_attention_mask, input_ids,
 * encoder_hidden_states, past_key_values.N.{decoder,encoder}.{key,value} (the encoder's accepted and not read) and
 * use_cache_branch. Returns the ones the graph reads.
 */
export function mergedDecoderInputs(graph: Graph, m: { layers: number; heads: number; hidden: number }): { encoderMask: Value; ids: Value; encoderHidden: Value; past: KeysValues[] } {
  const headDim = m.hidden / m.heads;
  const encoderMask = graph.input('encoder_attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']);
  const ids = graph.input('input_ids', 'int64', ['batch_size', 'decoder_sequence_length']);
  const encoderHidden = graph.input('encoder_hidden_states', 'float32', ['batch_size', 'encoder_sequence_length', m.hidden]);
  const past: KeysValues[] = [];
  for (let i = 0; i < m.layers; i++) {
    const cacheInput = (part: string, length: string) => graph.input(`past_key_values.${i}.${part}`, 'float32', ['batch_size', m.heads, length, headDim]);
    past.push({ key: cacheInput('decoder.key', 'past_decoder_sequence_length'), value: cacheInput('decoder.value', 'past_decoder_sequence_length') });
    cacheInput('encoder.key', 'encoder_sequence_length_out');
    cacheInput('encoder.value', 'encoder_sequence_length_out');
  }
  graph.input('use_cache_branch', 'bool', [1]);
  return { encoderMask, ids, encoderHidden, past };
}
