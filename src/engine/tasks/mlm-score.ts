/**
 * Masked-LM scoring, for evaluation: given inputs whose masks are already applied, the cross-entropy of the
 * original token at each masked position and its rank (how many other vocabulary entries score at least as
 * high, so a tie is a miss, as `rankOf` in metrics/mlm.ts counts),
 * so top-k accuracy for any k is `rank < k`. Both are reduced inside the session: two numbers per masked
 * position come back instead of a vocabulary's worth of logits (250k floats per position for XLM-R).
 *
 * The scoring session is built from the model's weights on first use and kept per loaded model (the model
 * cache builds a new LoadedModel when the folder changes on disk, so a stale session is never reused).
 */
import { Graph } from '../graph/graph.js';
import { cast, gather, greaterOrEqual, logSoftmax, neg, reduceSum, reshape, sub, unsqueeze } from '../graph/ops/index.js';
import type { XlmrConfig } from '../hf/config.js';
import type { ModelWeights } from '../hf/weights.js';
import { buildEncoder, buildMlmHead, inferenceContext, selectRows } from '../model/xlmr.js';
import { XlmError } from '../errors.js';
import type { EngineRuntimeOptions, LoadedModel } from '../runtime/model-cache.js';
import { int64Tensor } from '../runtime/inputs.js';
import { createSession, ort, type GraphSession } from '../runtime/session.js';

/** One input row: token ids with masks applied, the masked positions and the original ids there. */
export interface MaskedInput {
  ids: readonly number[];
  positions: readonly number[];
  labels: readonly number[];
}

/** Per masked position of a row, in `positions` order. */
export interface MaskedScores {
  /** -log p(original token), nats. */
  loss: Float32Array;
  /** Other vocabulary entries with a logit at least as high as the original token's (0: it alone is the best). */
  rank: Int32Array;
}

export interface ScoreMaskedOptions {
  /** Rows per session run (default 16). */
  batchSize?: number;
  /** Threads and device of the scoring session (the model cache's options). */
  runtime?: EngineRuntimeOptions;
}

const sessions = new WeakMap<LoadedModel, Promise<GraphSession>>();

export async function scoreMasked(model: LoadedModel, rows: readonly MaskedInput[], opts: ScoreMaskedOptions = {}): Promise<MaskedScores[]> {
  const session = await scoringSession(model, opts.runtime ?? {});
  const vocab = model.config.vocab_size;
  const padId = model.tokenizer.padId;
  const out: MaskedScores[] = [];
  const size = opts.batchSize ?? 16;
  for (let start = 0; start < rows.length; start += size) {
    const chunk = rows.slice(start, start + size);
    const seq = Math.max(...chunk.map((r) => r.ids.length));
    const ids = new BigInt64Array(chunk.length * seq).fill(BigInt(padId));
    const mask = new BigInt64Array(chunk.length * seq);
    const positions: number[] = [];
    const goldIndex: number[] = [];
    chunk.forEach((row, r) => {
      row.ids.forEach((id, s) => {
        ids[r * seq + s] = BigInt(id);
        mask[r * seq + s] = 1n;
      });
      row.positions.forEach((p, k) => {
        const label = row.labels[k];
        if (!(label >= 0 && label < vocab)) throw new XlmError('mlm-bad-label', `masked token id ${label} is outside the vocabulary of ${vocab}`, { what: 'labels' });
        goldIndex.push(positions.length * vocab + label);
        positions.push(r * seq + p);
      });
    });
    if (positions.length === 0) {
      for (const _ of chunk) out.push({ loss: new Float32Array(0), rank: new Int32Array(0) });
      continue;
    }
    const result = await session.session.run({
      input_ids: new ort.Tensor('int64', ids, [chunk.length, seq]),
      attention_mask: new ort.Tensor('int64', mask, [chunk.length, seq]),
      mask_positions: int64Tensor(positions),
      gold_index: int64Tensor(goldIndex),
    });
    const loss = result.loss.data as Float32Array;
    const rank = result.rank.data as Float32Array;
    let at = 0;
    for (const row of chunk) {
      const n = row.positions.length;
      out.push({ loss: loss.slice(at, at + n), rank: Int32Array.from(rank.subarray(at, at + n)) });
      at += n;
    }
  }
  return out;
}

function scoringSession(model: LoadedModel, runtime: EngineRuntimeOptions): Promise<GraphSession> {
  let pending = sessions.get(model);
  if (!pending) {
    if (!model.hasHead('mlm')) {
      throw new XlmError('model-no-head', 'this model has no masked-language-model head, which masked-LM evaluation needs: pick a masked-language model (the default model is one), saved as XLMRobertaForMaskedLM', { file: model.folder.weights.path, what: 'mlm' });
    }
    pending = createSession(buildScoringGraph(model.config, model.folder.weights), { threads: runtime.threads, device: runtime.device, onNotice: runtime.onNotice });
    sessions.set(model, pending);
    pending.catch(() => sessions.delete(model));
  }
  return pending;
}

/** Frees a model's scoring session now instead of when the model is collected. */
export async function releaseScoring(model: LoadedModel): Promise<void> {
  const pending = sessions.get(model);
  sessions.delete(model);
  if (pending) await (await pending).session.release();
}

/**
 * Encoder, the MLM head on the masked rows only, log-softmax; the original token's log-probability and logit
 * are gathered by flat index (row * vocab + id, `gold_index`), and its rank counts the logits in its row at
 * least as large, less the token itself.
 */
export function buildScoringGraph(config: XlmrConfig, weights: Pick<ModelWeights, 'get'>): Graph {
  const graph = new Graph('xlmr_mlm_score');
  const ctx = inferenceContext(graph, config, weights);
  const inputIds = graph.input('input_ids', 'int64', ['batch', 'seq']);
  const attentionMask = graph.input('attention_mask', 'int64', ['batch', 'seq']);
  const positions = graph.input('mask_positions', 'int64', ['masks']);
  const goldIndex = graph.input('gold_index', 'int64', ['masks']);
  const hidden = buildEncoder(ctx, inputIds, attentionMask);
  const logits = buildMlmHead(ctx, selectRows(hidden, positions));
  const goldLogProb = gather(reshape(logSoftmax(logits), [-1]), goldIndex, 0);
  const goldLogit = gather(reshape(logits, [-1]), goldIndex, 0);
  const rank = sub(reduceSum(cast(greaterOrEqual(logits, unsqueeze(goldLogit, [1])), 'float32'), [1]), 1);
  graph.output(neg(goldLogProb), 'loss');
  graph.output(rank, 'rank');
  return graph;
}
