/**
 * Corpus-level BLEU (Papineni et al. 2002) as sacreBLEU 2.x defines it, so a figure printed here with a signature
 * means what the same signature means in a paper: n-grams up to 4 over the chosen tokenizer's tokens, clipped by the
 * highest count in any one reference, the brevity penalty against the reference closest in length (the shorter one
 * on a tie), geometric mean of the precisions, and Chen & Cherry's (2014) smoothing for orders without a match.
 */
import { XlmError } from '../errors.js';
import { MT_SIGNATURE_VERSION } from './mt-signature.js';
import { mtTokenize, pySplit, pyRstrip, type MtTokenizerName } from './mt-tokenizers.js';

export const BLEU_SMOOTHING = ['exp', 'floor', 'add-k', 'none'] as const;
export type BleuSmoothing = (typeof BLEU_SMOOTHING)[number];

/** The value floor and add-k use when none is given (Chen & Cherry's); exp and none take none. */
const SMOOTH_DEFAULTS: Record<BleuSmoothing, number | undefined> = { exp: undefined, floor: 0.1, 'add-k': 1, none: undefined };

const MAX_ORDER = 4;
/** sacreBLEU's log(0): a very negative number instead of -Infinity, so the mean stays finite and exp() gives 0. */
const LOG_ZERO = -9999999999;

export interface BleuOptions {
  /** Default 13a. */
  tokenize?: MtTokenizerName;
  /** Default exp (mteval's: each order without a match counts 1/2^k of its n-grams, k = how many such orders so far). */
  smooth?: BleuSmoothing;
  /** floor's epsilon (default 0.1), add-k's k (default 1). */
  smoothValue?: number;
  lowercase?: boolean;
  /** Average only over the orders the hypotheses have n-grams of (sentence-level BLEU); default false. */
  effectiveOrder?: boolean;
}

export interface BleuScore {
  /** 0–100. */
  score: number;
  /** Clipped n-gram matches per order, 1..4. */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  /** 0–100 per order, after smoothing. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** hypLength / refLength (0 when the references are empty). */
  ratio: number;
  hypLength: number;
  refLength: number;
  /** sacreBLEU's signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`. */
  signature: string;
}

/**
 * BLEU of `hypotheses` against `references`, laid out as sacreBLEU takes them: one array per reference set, each
 * aligned with the hypotheses (`references[k][i]` is the k-th reference of hypothesis i). Every reference set must
 * have one line per hypothesis; an empty string is a reference of length 0.
 */
export function corpusBleu(hypotheses: readonly string[], references: readonly (readonly string[])[], options: BleuOptions = {}): BleuScore {
  checkShapes(hypotheses, references);
  const tokenizer = options.tokenize ?? '13a';
  const smooth = options.smooth ?? 'exp';
  const prepare = (text: string): string[] => pySplit(mtTokenize(pyRstrip(options.lowercase ? text.toLowerCase() : text), tokenizer));
  const counts = new Array<number>(MAX_ORDER).fill(0);
  const totals = new Array<number>(MAX_ORDER).fill(0);
  let hypLength = 0;
  let refLength = 0;
  for (let i = 0; i < hypotheses.length; i++) {
    const refNgrams = new Map<string, number>();
    const refLengths: number[] = [];
    for (const refs of references) {
      const tokens = prepare(refs[i]);
      refLengths.push(tokens.length);
      for (const [ngram, count] of ngramCounts(tokens)) refNgrams.set(ngram, Math.max(refNgrams.get(ngram) ?? 0, count));
    }
    const tokens = prepare(hypotheses[i]);
    hypLength += tokens.length;
    refLength += closestLength(tokens.length, refLengths);
    for (const [ngram, count] of ngramCounts(tokens)) {
      const order = ngramOrder(ngram);
      totals[order - 1] += count;
      counts[order - 1] += Math.min(count, refNgrams.get(ngram) ?? 0);
    }
  }
  return bleuFromStatistics(counts, totals, hypLength, refLength, smooth, options.smoothValue, options.effectiveOrder ?? false, signature(references.length, options, tokenizer, smooth));
}

function bleuFromStatistics(counts: number[], totals: number[], hypLength: number, refLength: number, smooth: BleuSmoothing, smoothValue: number | undefined, effectiveOrder: boolean, sig: string): BleuScore {
  const value = smoothValue ?? SMOOTH_DEFAULTS[smooth] ?? 0;
  const bp = hypLength < refLength ? (hypLength > 0 ? Math.exp(1 - refLength / hypLength) : 0) : 1;
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  const ratio = refLength ? hypLength / refLength : 0;
  const result = { counts: [...counts], totals: [...totals], precisions, bp, ratio, hypLength, refLength, signature: sig };
  if (!counts.some((c) => c > 0)) return { score: 0, ...result };

  const correct = [...counts];
  const total = [...totals];
  let mtevalDivisor = 1;
  let order = MAX_ORDER;
  for (let n = 1; n <= MAX_ORDER; n++) {
    if (smooth === 'add-k' && n > 1) {
      correct[n - 1] += value;
      total[n - 1] += value;
    }
    if (total[n - 1] === 0) break;
    if (effectiveOrder) order = n;
    if (correct[n - 1] === 0) {
      if (smooth === 'exp') {
        mtevalDivisor *= 2;
        precisions[n - 1] = 100 / (mtevalDivisor * total[n - 1]);
      } else if (smooth === 'floor') precisions[n - 1] = (100 * value) / total[n - 1];
    } else precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
  }
  let logSum = 0;
  for (const p of precisions.slice(0, order)) logSum += p === 0 ? LOG_ZERO : Math.log(p);
  return { score: bp * Math.exp(logSum / order), ...result };
}

/** Every n-gram of orders 1..4, keyed by its tokens joined with spaces (tokens hold none, so keys never collide). */
function ngramCounts(tokens: readonly string[]): Map<string, number> {
  const joined = tokens.join(' ');
  const starts: number[] = [];
  let at = 0;
  for (const t of tokens) {
    starts.push(at);
    at += t.length + 1;
  }
  starts.push(at);
  const counts = new Map<string, number>();
  for (let n = 1; n <= MAX_ORDER; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = joined.slice(starts[i], starts[i + n] - 1);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

function ngramOrder(key: string): number {
  let spaces = 0;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) === 0x20) spaces++;
  return spaces + 1;
}

/** The reference length closest to the hypothesis's; on a tie, the shorter. */
function closestLength(hypLength: number, refLengths: readonly number[]): number {
  let best = -1;
  let bestDiff = -1;
  for (const length of refLengths) {
    const diff = Math.abs(hypLength - length);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && length < best)) {
      bestDiff = diff;
      best = length;
    }
  }
  return best;
}

function signature(nrefs: number, options: BleuOptions, tokenizer: MtTokenizerName, smooth: BleuSmoothing): string {
  const fallback = SMOOTH_DEFAULTS[smooth];
  const smoothing = fallback === undefined ? smooth : `${smooth}[${(options.smoothValue ?? fallback).toFixed(2)}]`;
  return `nrefs:${nrefs}|case:${options.lowercase ? 'lc' : 'mixed'}|eff:${options.effectiveOrder ? 'yes' : 'no'}|tok:${tokenizer}|smooth:${smoothing}|version:${MT_SIGNATURE_VERSION}`;
}

/** One or more reference sets, each with one line per hypothesis (what sacreBLEU refuses as "different lengths"). */
export function checkShapes(hypotheses: readonly string[], references: readonly (readonly string[])[]): void {
  if (hypotheses.length === 0) throw new XlmError('metrics/no-hypotheses', 'no hypotheses to score');
  if (references.length === 0) throw new XlmError('metrics/no-references', 'no references: give at least one reference set');
  references.forEach((refs, k) => {
    if (refs.length !== hypotheses.length) throw new XlmError('metrics/misaligned', `reference set ${k + 1} has ${refs.length} lines for ${hypotheses.length} hypotheses; each reference set needs one line per hypothesis`);
  });
}
