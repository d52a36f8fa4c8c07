/**
 * Lattices of the distinct words over the current pieces, and the two passes the trainer runs on them:
 * forward-backward (expected piece counts, the E step) and Viterbi (best segmentation, for pruning).
 *
 * Every edge (from, to, piece) of every word is found once, from the seed vocabulary, through a trie of
 * character ids; pruning only drops edges of removed pieces. Edges of a word are kept sorted by `from`, so one
 * forward sweep completes alpha[from] before any edge leaves it and one backward sweep does the same for beta.
 */
import { IntList, type WordTable } from './unigram-words.js';

/** Pieces as paths of character ids. Children live in one Map keyed by node * alphabetSize + char. */
export class PieceTrie {
  private readonly children = new Map<number, number>();
  private nodePiece = new Int32Array(1024).fill(-1);
  private nodeCount = 1;

  constructor(private readonly alphabetSize: number) {}

  insert(charIds: ArrayLike<number>, piece: number): void {
    let node = 0;
    for (let i = 0; i < charIds.length; i++) {
      const key = node * this.alphabetSize + charIds[i];
      let child = this.children.get(key);
      if (child === undefined) {
        child = this.nodeCount++;
        if (child === this.nodePiece.length) {
          const grown = new Int32Array(this.nodePiece.length * 2).fill(-1);
          grown.set(this.nodePiece);
          this.nodePiece = grown;
        }
        this.children.set(key, child);
      }
      node = child;
    }
    this.nodePiece[node] = piece;
  }

  /** The child of `node` along character `c`, or -1. The root is node 0. */
  child(node: number, c: number): number {
    return this.children.get(node * this.alphabetSize + c) ?? -1;
  }

  pieceAt(node: number): number {
    return this.nodePiece[node];
  }
}

export interface Lattices {
  /** Edge endpoints as positions inside the word (0..length). */
  from: Int32Array;
  to: Int32Array;
  piece: Int32Array;
  /** Word w owns edges wordEdges[w] .. wordEdges[w+1]. */
  wordEdges: Int32Array;
}

export function buildLattices(table: WordTable, trie: PieceTrie): Lattices {
  const { chars, wordStart } = table;
  const words = wordStart.length - 1;
  const from = new IntList();
  const to = new IntList();
  const piece = new IntList();
  const wordEdges = new Int32Array(words + 1);
  for (let w = 0; w < words; w++) {
    const begin = wordStart[w];
    const end = wordStart[w + 1];
    for (let s = begin; s < end; s++) {
      let node = 0;
      for (let e = s; e < end; e++) {
        node = trie.child(node, chars[e]);
        if (node < 0) break;
        const p = trie.pieceAt(node);
        if (p >= 0) {
          from.push(s - begin);
          to.push(e + 1 - begin);
          piece.push(p);
        }
      }
    }
    wordEdges[w + 1] = from.length;
  }
  return { from: from.toArray(), to: to.toArray(), piece: piece.toArray(), wordEdges };
}

/** The lattices without the edges of pieces that are no longer alive. */
export function dropDeadEdges(lattices: Lattices, alive: Uint8Array): Lattices {
  const { from, to, piece, wordEdges } = lattices;
  let kept = 0;
  for (let k = 0; k < piece.length; k++) if (alive[piece[k]]) kept++;
  const out: Lattices = { from: new Int32Array(kept), to: new Int32Array(kept), piece: new Int32Array(kept), wordEdges: new Int32Array(wordEdges.length) };
  let j = 0;
  for (let w = 0; w + 1 < wordEdges.length; w++) {
    for (let k = wordEdges[w]; k < wordEdges[w + 1]; k++) {
      if (!alive[piece[k]]) continue;
      out.from[j] = from[k];
      out.to[j] = to[k];
      out.piece[j] = piece[k];
      j++;
    }
    out.wordEdges[w + 1] = j;
  }
  return out;
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

function maxWordLength(table: WordTable): number {
  let longest = 0;
  for (let w = 0; w + 1 < table.wordStart.length; w++) longest = Math.max(longest, table.wordStart[w + 1] - table.wordStart[w]);
  return longest;
}

/**
 * E step: adds each piece's expected count (word weight x posterior of its edges) into `expected` and returns
 * the log-likelihood of the text, sum over words of weight x log P(word).
 */
export function expectedCounts(table: WordTable, lattices: Lattices, logProb: Float64Array, expected: Float64Array): number {
  const { wordStart, weight } = table;
  const { from, to, piece, wordEdges } = lattices;
  const longest = maxWordLength(table);
  const alpha = new Float64Array(longest + 1);
  const beta = new Float64Array(longest + 1);
  let likelihood = 0;
  for (let w = 0; w + 1 < wordStart.length; w++) {
    const length = wordStart[w + 1] - wordStart[w];
    const first = wordEdges[w];
    const last = wordEdges[w + 1];
    alpha.fill(-Infinity, 0, length + 1);
    beta.fill(-Infinity, 0, length + 1);
    alpha[0] = 0;
    for (let k = first; k < last; k++) {
      const a = alpha[from[k]];
      if (a === -Infinity) continue;
      alpha[to[k]] = logAdd(alpha[to[k]], a + logProb[piece[k]]);
    }
    const logZ = alpha[length];
    if (logZ === -Infinity) throw new Error(`unigram trainer: word ${w} has no segmentation; a character piece is missing`);
    beta[length] = 0;
    for (let k = last - 1; k >= first; k--) {
      const b = beta[to[k]];
      if (b === -Infinity) continue;
      beta[from[k]] = logAdd(beta[from[k]], b + logProb[piece[k]]);
    }
    const count = weight[w];
    for (let k = first; k < last; k++) {
      const score = alpha[from[k]] + logProb[piece[k]] + beta[to[k]];
      if (score === -Infinity) continue;
      expected[piece[k]] += count * Math.exp(score - logZ);
    }
    likelihood += count * logZ;
  }
  return likelihood;
}

/** Adds, for each piece, the weighted number of times it appears in the words' best segmentations. */
export function viterbiCounts(table: WordTable, lattices: Lattices, logProb: Float64Array, counts: Float64Array): void {
  const { wordStart, weight } = table;
  const { from, to, piece, wordEdges } = lattices;
  const longest = maxWordLength(table);
  const best = new Float64Array(longest + 1);
  const backEdge = new Int32Array(longest + 1);
  for (let w = 0; w + 1 < wordStart.length; w++) {
    const length = wordStart[w + 1] - wordStart[w];
    best.fill(-Infinity, 0, length + 1);
    best[0] = 0;
    for (let k = wordEdges[w]; k < wordEdges[w + 1]; k++) {
      const score = best[from[k]] + logProb[piece[k]];
      // Ties keep the earlier edge (the shorter piece at the same start), so the result is deterministic.
      if (score > best[to[k]]) {
        best[to[k]] = score;
        backEdge[to[k]] = k;
      }
    }
    for (let pos = length; pos > 0; pos = from[backEdge[pos]]) counts[piece[backEdge[pos]]] += weight[w];
  }
}

/**
 * Best segmentation of one character sequence over the alive pieces, optionally without one piece.
 * Returns the piece ids in order, or null when no segmentation exists.
 */
export function viterbiSegment(charIds: ArrayLike<number>, trie: PieceTrie, logProb: Float64Array, alive: Uint8Array, excluded = -1): number[] | null {
  const n = charIds.length;
  const best = new Float64Array(n + 1).fill(-Infinity);
  const backPiece = new Int32Array(n + 1);
  const backFrom = new Int32Array(n + 1);
  best[0] = 0;
  for (let s = 0; s < n; s++) {
    if (best[s] === -Infinity) continue;
    let node = 0;
    for (let e = s; e < n; e++) {
      node = trie.child(node, charIds[e]);
      if (node < 0) break;
      const p = trie.pieceAt(node);
      if (p < 0 || p === excluded || !alive[p]) continue;
      const score = best[s] + logProb[p];
      if (score > best[e + 1]) {
        best[e + 1] = score;
        backPiece[e + 1] = p;
        backFrom[e + 1] = s;
      }
    }
  }
  if (best[n] === -Infinity) return null;
  const out: number[] = [];
  for (let pos = n; pos > 0; pos = backFrom[pos]) out.push(backPiece[pos]);
  return out.reverse();
}
