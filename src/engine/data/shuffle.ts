/**
 * Seeded orders for training: a full permutation for data in memory, and a shuffle buffer for streams too big
 * to hold (a window of `bufferSize` rows; each incoming row takes the place of a random row of the window,
 * which goes out). Same seed, same input → same order, so runs repeat; a resumed run replays the same order
 * and skips what it already consumed.
 */
import { createRng, type Rng } from '../rng/rng.js';

/** A Fisher-Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** The order of epoch `epoch` (0-based): each epoch differs, and each is fixed by (seed, epoch) alone. */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return shuffledIndices(n, createRng(mixSeed(seed, epoch)));
}

/** A seed for stream `salt` of a run, far from the seeds of neighbouring salts. */
export function mixSeed(seed: number, salt: number): number {
  let h = (seed ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export interface ShuffleBufferOptions {
  /** Rows held at once; more mixes better and costs memory (10 000 sentences ≈ a few MB). */
  bufferSize: number;
  seed: number;
}

export async function* shuffleBuffer<T>(source: AsyncIterable<T> | Iterable<T>, options: ShuffleBufferOptions): AsyncGenerator<T> {
  const size = Math.max(1, Math.floor(options.bufferSize));
  const rng = createRng(options.seed);
  const window: T[] = [];
  for await (const item of source) {
    if (window.length < size) {
      window.push(item);
      continue;
    }
    const j = rng.int(size);
    const out = window[j];
    window[j] = item;
    yield out;
  }
  const rest = shuffledIndices(window.length, rng);
  for (const i of rest) yield window[i];
}

/** Flattens chunked batches (Dataset.batches()) into a shuffle buffer without an await per row on the way in. */
export async function* shuffleBatches<T>(batches: AsyncIterable<T[]>, options: ShuffleBufferOptions): AsyncGenerator<T[]> {
  const size = Math.max(1, Math.floor(options.bufferSize));
  const rng = createRng(options.seed);
  const window: T[] = [];
  for await (const batch of batches) {
    const out: T[] = [];
    for (const item of batch) {
      if (window.length < size) {
        window.push(item);
        continue;
      }
      const j = rng.int(size);
      out.push(window[j]);
      window[j] = item;
    }
    if (out.length > 0) yield out;
  }
  const rest = shuffledIndices(window.length, rng);
  if (rest.length > 0) yield Array.from(rest, (i) => window[i]);
}
