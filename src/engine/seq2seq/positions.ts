/**
 * Positions as each family computes them.
 * - Marian (MarianSinusoidalPositionalEmbedding): row p = [sin(p / 10000^(2⌊j/2⌋/d)) for even j | cos(...) for odd j],
 *   sines in the first half, cosines in the second; positions 0, 1, ... (past length first when decoding).
 * - M2M100 / NLLB (M2M100SinusoidalPositionalEmbedding, fairseq's): frequencies exp(-k ln(10000) / (d/2 - 1)),
 *   row p = [sin(p f) | cos(p f)] (a zero column when d is odd), the pad row zero; positions
 *   (cumsum(ids != pad) + past) * (ids != pad) + pad, so real tokens count from pad + 1 and pads read the zero row.
 * - MBart (learned): rows of a trained table at position + 2.
 */
import type { Dim, Value } from '../graph/graph.js';
import { Range, add, cast, cumsum, equal, greater, mul, not, reshape, shapeOf, slice, unsqueeze } from '../graph/ops/index.js';
import type { Seq2SeqConfig } from './config.js';

export function positionTableShape(c: Seq2SeqConfig): number[] {
  // M2M100 builds max_position_embeddings + 2 (offset) + 2 rows; MBart's learned table has max + 2 (offset).
  const rows = c.positions === 'marian' ? c.maxPositions : c.positions === 'fairseq' ? c.maxPositions + 4 : c.maxPositions + 2;
  return [rows, c.dModel];
}

/** The sinusoidal table of a config (computed in float64, stored as float32). */
export function positionTable(c: Seq2SeqConfig): Float32Array {
  const [rows, dim] = positionTableShape(c);
  const out = new Float32Array(rows * dim);
  if (c.positions === 'marian') {
    const sentinel = dim % 2 === 0 ? dim / 2 : (dim + 1) / 2;
    for (let p = 0; p < rows; p++) {
      for (let j = 0; j < dim; j++) {
        const angle = p / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
        // Even columns are sines, packed into the first half; odd ones cosines, in the second.
        const column = j % 2 === 0 ? j / 2 : sentinel + (j - 1) / 2;
        out[p * dim + column] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
      }
    }
    return out;
  }
  const half = Math.floor(dim / 2);
  const step = Math.log(10000) / (half - 1);
  // transformers computes the frequencies and the products in float32; so do we, then sin/cos.
  const freqs = Float32Array.from({ length: half }, (_, k) => Math.exp(Math.fround(k * -step)));
  for (let p = 0; p < rows; p++) {
    if (p === c.padTokenId) continue;
    for (let k = 0; k < half; k++) {
      const angle = Math.fround(p * freqs[k]);
      out[p * dim + k] = Math.sin(angle);
      out[p * dim + half + k] = Math.cos(angle);
    }
  }
  return out;
}

/** The length of an axis of `x` as an int64 scalar. */
function lengthOf(x: Value, axis: number): Value {
  return reshape(slice(shapeOf(x), [axis], [axis + 1], [0]), []);
}

/** start, start + 1, ... for `count` (an int64 scalar) steps; `length` names the result's size. */
function range(start: Value, count: Value, length: Dim): Value {
  return start.graph.apply1(Range, [start, add(start, count), start.graph.constant(1, 'int64')], { length });
}

/**
 * Position ids of `ids` [batch, seq] after `pastLength` (an int64 scalar, or undefined for 0): [seq] for the
 * kinds that ignore padding, [batch, seq] for fairseq's.
 */
export function positionIds(c: Seq2SeqConfig, ids: Value, pastLength: Value | undefined): Value {
  if (c.positions === 'fairseq') {
    const keep = cast(not(equal(ids, c.padTokenId)), 'int64');
    const counted = pastLength ? add(cumsum(keep, 1), pastLength) : cumsum(keep, 1);
    return add(mul(counted, keep), c.padTokenId);
  }
  return stepPositions(ids, pastLength, c.positions === 'learned' ? 2 : 0);
}

/** Positions past + offset, past + offset + 1, ... of `ids` [batch, seq] (no padding inside): [seq] int64. */
export function stepPositions(ids: Value, pastLength: Value | undefined, offset: number): Value {
  const steps = range(pastLength ?? ids.graph.constant(0, 'int64'), lengthOf(ids, 1), ids.shape[1]);
  return offset ? add(steps, offset) : steps;
}

/** The past length of a [batch, heads, past, headDim] cache tensor, as an int64 scalar. */
export function pastLengthOf(cache: Value): Value {
  return lengthOf(cache, 2);
}

/**
 * The decoder's causal mask [1, 1, seq, past + seq] (additive): key k is hidden from the query at step q when
 * k > past + q. `keyDim` names the key axis (the decoder's length, or past + length with a cache).
 */
export function causalMask(ids: Value, pastLength: Value | undefined, keyDim: Dim, minValue: number): Value {
  const g = ids.graph;
  const past = pastLength ?? g.constant(0, 'int64');
  const seq = lengthOf(ids, 1);
  const queries = range(past, seq, ids.shape[1]);
  const keys = range(g.constant(0, 'int64'), add(past, seq), keyDim);
  const hidden = greater(unsqueeze(keys, [0]), unsqueeze(queries, [1]));
  return unsqueeze(mul(cast(hidden, 'float32'), minValue), [0, 1]);
}
