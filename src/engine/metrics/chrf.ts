/**
 * Corpus-level chrF (Popović 2015) and chrF++ (Popović 2017) as sacreBLEU 2.x defines them: character n-grams of
 * orders 1..6 with whitespace removed, plus (chrF++) word unigrams and bigrams after splitting punctuation off the
 * ends of words; per segment the reference with the best F-score is kept, the statistics are summed over the
 * corpus, and F-beta (beta = 2: recall counts twice as much) is taken of the precision and recall averaged over the
 * orders that have n-grams on both sides ("eff:yes"), or of the per-order F-scores with chrF++.py's epsilon ("eff:no").
 */
import { checkShapes } from './bleu.js';
import { MT_SIGNATURE_VERSION } from './mt-signature.js';
import { pySplit } from './mt-tokenizers.js';

export interface ChrfOptions {
  /** Character n-gram order (default 6). */
  charOrder?: number;
  /** Word n-gram order: 0 for chrF (default), 2 for chrF++. */
  wordOrder?: number;
  /** Default 2. */
  beta?: number;
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (default false, as in chrF's definition). */
  whitespace?: boolean;
  /** chrF++.py's epsilon smoothing instead of sacreBLEU 2's effective order (default false). */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** chrF2, chrF2++ (the beta, then one + per word order). */
  name: string;
  /** 0–100. */
  score: number;
  charOrder: number;
  wordOrder: number;
  beta: number;
  /** sacreBLEU's signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`. */
  signature: string;
}

/** Python's string.punctuation, the characters chrF++ splits off the ends of words. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const EPS = 1e-16;

/** chrF (wordOrder 0) or chrF++ (wordOrder 2) of `hypotheses`; `references[k][i]` is the k-th reference of hypothesis i. */
export function corpusChrf(hypotheses: readonly string[], references: readonly (readonly string[])[], options: ChrfOptions = {}): ChrfScore {
  checkShapes(hypotheses, references);
  const charOrder = options.charOrder ?? 6;
  const wordOrder = options.wordOrder ?? 0;
  const beta = options.beta ?? 2;
  const settings = { charOrder, wordOrder, beta, whitespace: options.whitespace ?? false, epsSmoothing: options.epsSmoothing ?? false };
  const prepare = (text: string): string => (options.lowercase ? text.toLowerCase() : text);
  const total = new Array<number>(3 * (charOrder + wordOrder)).fill(0);
  for (let i = 0; i < hypotheses.length; i++) {
    const hyp = ngramsOf(prepare(hypotheses[i]), settings);
    let best: number[] = [];
    let bestF = -1;
    for (const refs of references) {
      const ref = ngramsOf(prepare(refs[i]), settings);
      const stats = hyp.flatMap((h, order) => matchStatistics(h, ref[order]));
      const f = fScore(stats, settings);
      if (f > bestF) {
        bestF = f;
        best = stats;
      }
    }
    for (let k = 0; k < total.length; k++) total[k] += best[k];
  }
  return {
    name: `chrF${beta}${'+'.repeat(wordOrder)}`,
    score: fScore(total, settings),
    charOrder,
    wordOrder,
    beta,
    signature: `nrefs:${references.length}|case:${options.lowercase ? 'lc' : 'mixed'}|eff:${settings.epsSmoothing ? 'no' : 'yes'}|nc:${charOrder}|nw:${wordOrder}|space:${settings.whitespace ? 'yes' : 'no'}|version:${MT_SIGNATURE_VERSION}`,
  };
}

interface Settings {
  charOrder: number;
  wordOrder: number;
  beta: number;
  whitespace: boolean;
  epsSmoothing: boolean;
}

/** Counters of character n-grams 1..charOrder, then word n-grams 1..wordOrder. */
function ngramsOf(text: string, s: Settings): Map<string, number>[] {
  const chars = s.whitespace ? text : pySplit(text).join('');
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= s.charOrder; n++) out.push(countSpans(chars, codePointStarts(chars), n));
  if (s.wordOrder > 0) {
    const words = splitPunctuation(text);
    const joined = words.join(' ');
    const starts: number[] = [];
    let at = 0;
    for (const w of words) {
      starts.push(at);
      at += w.length + 1;
    }
    starts.push(at);
    // An n-gram of words is the joined text from its first word's start to the space before the next word.
    for (let n = 1; n <= s.wordOrder; n++) out.push(countSpans(joined, starts, n, 1));
  }
  return out;
}

/** UTF-16 index of every code point of `text`, and its length at the end: n-grams count code points, as Python does. */
function codePointStarts(text: string): number[] {
  const starts: number[] = [];
  for (let i = 0; i < text.length; i++) {
    starts.push(i);
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  starts.push(text.length);
  return starts;
}

/** Counts of the spans of n consecutive units (units start at `starts`, the last entry being the end), each key cut `trim` short at its end. */
function countSpans(text: string, starts: readonly number[], n: number, trim = 0): Map<string, number> {
  const counts = new Map<string, number>();
  const units = starts.length - 1;
  for (let i = 0; i + n <= units; i++) {
    const key = text.slice(starts[i], starts[i + n] - trim);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * chrF++'s words: whitespace-split, with one punctuation character split off the end of a word (else off its start).
 * '(hi)' gives '(hi' and ')', as in the reference implementation.
 */
function splitPunctuation(text: string): string[] {
  const words: string[] = [];
  for (const word of pySplit(text)) {
    const chars = Array.from(word);
    if (chars.length === 1) words.push(word);
    else if (PUNCTUATION.has(chars[chars.length - 1])) words.push(chars.slice(0, -1).join(''), chars[chars.length - 1]);
    else if (PUNCTUATION.has(chars[0])) words.push(chars[0], chars.slice(1).join(''));
    else words.push(word);
  }
  return words;
}

/** [hypothesis n-grams, reference n-grams, matches] of one order; a hypothesis scores nothing against an empty side. */
function matchStatistics(hyp: Map<string, number>, ref: Map<string, number>): [number, number, number] {
  let matches = 0;
  let hypCount = 0;
  for (const [ngram, c] of hyp) {
    hypCount += c;
    const r = ref.get(ngram);
    if (r !== undefined) matches += Math.min(c, r);
  }
  let refCount = 0;
  for (const c of ref.values()) refCount += c;
  return [ref.size > 0 ? hypCount : 0, refCount, matches];
}

function fScore(stats: readonly number[], s: Settings): number {
  const factor = s.beta ** 2;
  const orders = s.charOrder + s.wordOrder;
  let epsScore = 0;
  let effective = 0;
  let avgPrecision = 0;
  let avgRecall = 0;
  for (let i = 0; i < orders; i++) {
    const [nHyp, nRef, nMatch] = [stats[3 * i], stats[3 * i + 1], stats[3 * i + 2]];
    const precision = nHyp > 0 ? nMatch / nHyp : EPS;
    const recall = nRef > 0 ? nMatch / nRef : EPS;
    const denominator = factor * precision + recall;
    epsScore += denominator > 0 ? ((1 + factor) * precision * recall) / denominator : EPS;
    if (nHyp > 0 && nRef > 0) {
      avgPrecision += precision;
      avgRecall += recall;
      effective++;
    }
  }
  if (s.epsSmoothing) return (100 * epsScore) / orders;
  if (effective === 0) return 0;
  avgPrecision /= effective;
  avgRecall /= effective;
  if (avgPrecision + avgRecall === 0) return 0;
  return 100 * (((1 + factor) * avgPrecision * avgRecall) / (factor * avgPrecision + avgRecall));
}
