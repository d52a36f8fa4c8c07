/**
 * The order of micro-batches in each epoch. Shuffled runs group by length, as transformers'
 * group_by_length does: the epoch's permutation is cut into mega-batches of 50 batches, each sorted by
 * length (longest first) and split into batches, and the batches are then shuffled; padding stays small
 * and the order still changes every epoch. --no-shuffle keeps the file order. Everything is a function of
 * (seed, epoch), so a resumed run rebuilds the same batches and skips those already done.
 */
import { epochOrder, mixSeed, shuffledIndices } from '../data/index.js';
import { createRng } from '../rng/rng.js';

export const MEGABATCH = 50;

export function epochBatches(lengths: readonly number[], batchSize: number, shuffle: boolean, seed: number, epoch: number): number[][] {
  const n = lengths.length;
  const batches: number[][] = [];
  if (!shuffle) {
    for (let i = 0; i < n; i += batchSize) batches.push(Array.from({ length: Math.min(batchSize, n - i) }, (_, k) => i + k));
    return batches;
  }
  const order = Array.from(epochOrder(n, seed, epoch));
  const mega = MEGABATCH * batchSize;
  for (let start = 0; start < n; start += mega) {
    const chunk = order.slice(start, start + mega).sort((a, b) => lengths[b] - lengths[a] || a - b);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
  }
  const perm = shuffledIndices(batches.length, createRng(mixSeed(seed, 1_000_003 + epoch)));
  return Array.from(perm, (i) => batches[i]);
}
