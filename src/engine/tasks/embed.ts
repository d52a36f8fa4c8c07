/**
 * Sentence vectors: the last hidden state averaged over the real tokens (the attention mask), computed
 * in the session; optionally scaled to unit length so a dot product is the cosine similarity.
 */
import type { EmbedResult } from '../rpc/protocol.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import { cancellableChunks, modelInputs, type Cancellation } from '../runtime/inputs.js';

export interface EmbedOptions {
  /** Scale every vector to unit L2 norm. Default false. */
  normalize?: boolean;
  /** Texts per session run (default 16): the most work a cancel waits for. */
  batchSize?: number;
  /** Checked between batches: a cancelled request stops before its next batch. */
  cancel?: Cancellation;
}

export async function embed(model: LoadedModel, texts: readonly string[], opts: EmbedOptions = {}): Promise<EmbedResult> {
  const dim = model.config.hidden_size;
  const vectors: number[][] = [];
  for await (const chunk of cancellableChunks(texts, opts.batchSize ?? 16, opts.cancel)) {
    const batch = model.tokenizer.encodeBatch(chunk, { maxLength: model.maxLength });
    const { session } = await model.session('embed');
    const data = (await session.run({ ...modelInputs(batch) })).embeddings.data as Float32Array;
    for (let i = 0; i < chunk.length; i++) {
      const v = Array.from(data.subarray(i * dim, (i + 1) * dim));
      vectors.push(opts.normalize ? unitLength(v) : v);
    }
  }
  return { dim, vectors };
}

function unitLength(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm > 0 ? v.map((x) => x / norm) : v;
}
