/**
 * A SentencePiece-style Unigram tokenizer trainer (Kudo 2018, "Subword Regularization").
 *
 * 1. Metaspace words with their (language-weighted) counts; every character of the text, plus any required
 *    characters, is a piece that is never removed, so nothing maps to <unk>.
 * 2. Seeds: frequent right-maximal substrings (unigram-seeds.ts).
 * 3. Rounds of EM (forward-backward over each distinct word's lattice; the M step re-estimates log-probabilities
 *    with the Bayesian digamma update and drops pieces expected less than half a time), then pruning: each piece
 *    is scored by how much the likelihood falls when its Viterbi uses go to its best alternative segmentation,
 *    and the lowest-loss pieces go until `shrinkingFactor` of them remain, until 1.1 x the target size is left.
 * 4. The target number of pieces: all characters plus the most probable other pieces, re-estimated once more so
 *    the probabilities sum to 1.
 */
import { XlmError } from '../errors.js';
import { buildLattices, dropDeadEdges, expectedCounts, PieceTrie, viterbiCounts, viterbiSegment, type Lattices } from './unigram-lattice.js';
import { seedPieces } from './unigram-seeds.js';
import { buildWordTable, type WeightedText, type WordTable } from './unigram-words.js';

export { type WeightedText } from './unigram-words.js';

/** <s>, <pad>, </s>, <unk>, <mask>: the ids XLM-R reserves around the trained pieces. */
export const SPECIAL_TOKEN_COUNT = 5;

export interface UnigramTrainerOptions {
  /** Size of the final vocabulary, the special tokens included (default 8000). */
  vocabSize?: number;
  /** Longest piece in characters, ▁ included (default 16, as SentencePiece). */
  maxPieceLength?: number;
  /** Seed substrings kept before EM (default 100000). */
  seedSize?: number;
  /** Share of pieces a pruning round keeps (default 0.75). */
  shrinkingFactor?: number;
  /** EM iterations between pruning rounds (default 2). */
  emIterations?: number;
  /** Characters to keep as pieces even when the text lacks them (the alphabet of the languages). */
  requiredCharacters?: Iterable<string>;
  onRound?: (round: TrainingRound) => void;
}

export interface TrainingRound {
  round: number;
  pieces: number;
  /** Log-likelihood per word occurrence after this round's EM. */
  logLikelihoodPerWord: number;
}

export interface UnigramModel {
  /** Pieces and natural-log probabilities, most probable first; the probabilities sum to 1. */
  pieces: [string, number][];
  /** The single characters among the pieces. */
  alphabetSize: number;
  distinctWords: number;
  seedPieces: number;
  rounds: TrainingRound[];
}

const EXPECTED_COUNT_THRESHOLD = 0.5;
const DESIRED_SIZE_MARGIN = 1.1;

/** digamma(x) for x > 0: recurrence up to x >= 10, then the asymptotic series. */
export function digamma(x: number): number {
  let result = 0;
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return result + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}

interface PieceSet {
  strings: string[];
  charIds: Int32Array[];
  /** Pieces 0 .. alphabetSize-1 are the single characters. */
  alphabetSize: number;
  logProb: Float64Array;
  alive: Uint8Array;
}

function aliveCount(set: PieceSet): number {
  let n = 0;
  for (const a of set.alive) n += a;
  return n;
}

function mStep(set: PieceSet, expected: Float64Array): void {
  let total = 0;
  for (let p = 0; p < expected.length; p++) {
    if (!set.alive[p]) continue;
    if (p >= set.alphabetSize && expected[p] < EXPECTED_COUNT_THRESHOLD) set.alive[p] = 0;
    else total += expected[p];
  }
  const logTotal = digamma(total);
  for (let p = 0; p < expected.length; p++) {
    // A character whose uses all went to longer pieces keeps a floor, so words stay segmentable when those go.
    const count = p < set.alphabetSize ? Math.max(expected[p], EXPECTED_COUNT_THRESHOLD) : expected[p];
    set.logProb[p] = set.alive[p] ? digamma(count) - logTotal : -Infinity;
  }
}

/** Chooses which pieces survive one pruning round; returns the new alive mask. */
function prune(table: WordTable, lattices: Lattices, trie: PieceTrie, set: PieceSet, desired: number, shrinkingFactor: number): Uint8Array {
  const counts = new Float64Array(set.strings.length);
  viterbiCounts(table, lattices, set.logProb, counts);
  let countTotal = 0;
  for (const c of counts) countTotal += c;
  let wordTotal = 0;
  for (const w of table.weight) wordTotal += w;
  const logCountTotal = Math.log(countTotal);

  const candidates: { piece: number; loss: number }[] = [];
  const removable: number[] = [];
  for (let p = set.alphabetSize; p < set.strings.length; p++) {
    if (!set.alive[p]) continue;
    const alternative = viterbiSegment(set.charIds[p], trie, set.logProb, set.alive, p);
    let altScore = -Infinity;
    if (alternative) {
      altScore = 0;
      for (const q of alternative) altScore += set.logProb[q];
    }
    // Unused, or never chosen even for its own string: nothing is lost without it.
    if (counts[p] === 0 || altScore > set.logProb[p] || !alternative) {
      removable.push(p);
      continue;
    }
    const logProbWith = Math.log(counts[p]) - logCountTotal;
    // Without p, its uses go to the alternative's pieces: each of their counts rises by counts[p].
    const logTotalWithout = Math.log(countTotal + counts[p] * (alternative.length - 1));
    let logProbWithout = 0;
    for (const q of alternative) logProbWithout += Math.log(counts[q] + counts[p]) - logTotalWithout;
    candidates.push({ piece: p, loss: (counts[p] / wordTotal) * (logProbWith - logProbWithout) });
  }
  const keep = Math.max(desired, Math.floor(shrinkingFactor * aliveCount(set)));
  const alive = new Uint8Array(set.strings.length);
  for (let p = 0; p < set.alphabetSize; p++) alive[p] = 1;
  let kept = set.alphabetSize;
  candidates.sort((a, b) => b.loss - a.loss || a.piece - b.piece);
  for (const { piece } of candidates) {
    if (kept >= keep) break;
    alive[piece] = 1;
    kept++;
  }
  // Only when the useful pieces are too few for the target: fill up with the most probable of the rest.
  removable.sort((a, b) => set.logProb[b] - set.logProb[a] || a - b);
  for (const piece of removable) {
    if (kept >= desired) break;
    alive[piece] = 1;
    kept++;
  }
  return alive;
}

export function trainUnigram(texts: readonly WeightedText[], options: UnigramTrainerOptions = {}): UnigramModel {
  const vocabSize = options.vocabSize ?? 8000;
  const maxPieceLength = options.maxPieceLength ?? 16;
  const seedSize = options.seedSize ?? 100_000;
  const shrinkingFactor = options.shrinkingFactor ?? 0.75;
  const emIterations = options.emIterations ?? 2;
  if (!(shrinkingFactor > 0 && shrinkingFactor < 1)) throw new XlmError('tokenizer-option', `shrinkingFactor is ${shrinkingFactor}; it must lie in (0, 1)`, { what: 'shrinkingFactor' });
  if (!(Number.isInteger(maxPieceLength) && maxPieceLength >= 1)) throw new XlmError('tokenizer-option', `maxPieceLength is ${maxPieceLength}; it must be a positive integer`, { what: 'maxPieceLength' });

  const table = buildWordTable(texts, options.requiredCharacters);
  const words = table.wordStart.length - 1;
  if (words === 0) throw new XlmError('tokenizer-empty', 'the tokenizer has no text to train on (every text is empty or has weight 0)', {});
  const target = vocabSize - SPECIAL_TOKEN_COUNT;
  const alphabetSize = table.alphabet.length;
  if (target < alphabetSize) {
    throw new XlmError('tokenizer-vocab-size', `vocabSize ${vocabSize} cannot hold the ${alphabetSize} characters of the text plus ${SPECIAL_TOKEN_COUNT} special tokens; use at least ${alphabetSize + SPECIAL_TOKEN_COUNT}`, { what: 'vocabSize' });
  }

  const seeds = seedPieces(table, maxPieceLength, seedSize);
  const strings = [...table.alphabet, ...seeds.map((s) => s.piece)];
  const charIds = strings.map((s) => Int32Array.from(s, (ch) => table.charIds.get(ch)!));
  const initial = Float64Array.from([...table.charWeight, ...seeds.map((s) => s.frequency)]);
  let initialTotal = 0;
  for (const f of initial) initialTotal += f;
  const set: PieceSet = {
    strings,
    charIds,
    alphabetSize,
    logProb: initial.map((f) => (f > 0 ? Math.log(f / initialTotal) : -Infinity)),
    alive: new Uint8Array(strings.length).fill(1),
  };
  const trie = new PieceTrie(alphabetSize);
  charIds.forEach((ids, p) => trie.insert(ids, p));
  let lattices = buildLattices(table, trie);

  let occurrences = 0;
  for (const w of table.weight) occurrences += w;
  const desired = Math.max(target, Math.floor(target * DESIRED_SIZE_MARGIN));
  const rounds: TrainingRound[] = [];
  const expected = new Float64Array(strings.length);
  for (let round = 1; ; round++) {
    let likelihood = 0;
    for (let it = 0; it < emIterations; it++) {
      expected.fill(0);
      likelihood = expectedCounts(table, lattices, set.logProb, expected);
      mStep(set, expected);
      lattices = dropDeadEdges(lattices, set.alive);
    }
    const info = { round, pieces: aliveCount(set), logLikelihoodPerWord: likelihood / occurrences };
    rounds.push(info);
    options.onRound?.(info);
    if (info.pieces <= desired) break;
    set.alive = prune(table, lattices, trie, set, desired, shrinkingFactor);
    lattices = dropDeadEdges(lattices, set.alive);
  }

  // The target size: every character, then the most probable pieces.
  const others: number[] = [];
  for (let p = alphabetSize; p < strings.length; p++) if (set.alive[p]) others.push(p);
  others.sort((a, b) => set.logProb[b] - set.logProb[a] || a - b);
  if (alphabetSize + others.length < target) {
    // As SentencePiece's hard vocabulary limit: EM keeps only pieces the text uses at least half a time.
    const most = alphabetSize + others.length + SPECIAL_TOKEN_COUNT;
    throw new XlmError('tokenizer-vocab-size', `vocabSize ${vocabSize} is more than this text supports: only ${most} ids (specials included) survive training; use vocabSize <= ${most} or add text`, { what: 'vocabSize' });
  }
  const final = new Uint8Array(strings.length);
  for (let p = 0; p < alphabetSize; p++) final[p] = 1;
  for (const p of others.slice(0, target - alphabetSize)) final[p] = 1;
  set.alive = final;
  lattices = dropDeadEdges(lattices, final);

  return { pieces: finalProbabilities(table, lattices, set), alphabetSize, distinctWords: words, seedPieces: seeds.length, rounds };
}

/**
 * Maximum-likelihood probabilities of the final pieces (one last E step), normalised to sum to 1. A piece the
 * text never uses (a required character it lacks) gets a tenth of the smallest used probability.
 */
function finalProbabilities(table: WordTable, lattices: Lattices, set: PieceSet): [string, number][] {
  const counts = new Float64Array(set.strings.length);
  expectedCounts(table, lattices, set.logProb, counts);
  let smallest = Infinity;
  for (let p = 0; p < counts.length; p++) if (set.alive[p] && counts[p] > 0) smallest = Math.min(smallest, counts[p]);
  let total = 0;
  for (let p = 0; p < counts.length; p++) {
    if (!set.alive[p]) continue;
    if (!(counts[p] > 0)) counts[p] = smallest / 10;
    total += counts[p];
  }
  const pieces: [string, number][] = [];
  for (let p = 0; p < counts.length; p++) if (set.alive[p]) pieces.push([set.strings[p], Math.log(counts[p] / total)]);
  pieces.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return pieces;
}
