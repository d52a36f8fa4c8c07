/**
 * Language sampling with XLM-R's exponential smoothing (Conneau et al. 2020, section 3.1):
 * q_i = p_i^alpha / sum_j p_j^alpha, where p_i is language i's share of the corpus. alpha < 1 flattens the
 * distribution so small languages are seen more often than their share (XLM-R uses alpha = 0.3).
 */
import { XlmError } from '../errors.js';
import { createRng, type Rng } from '../rng/rng.js';

export const XLMR_SMOOTHING_ALPHA = 0.3;

/** Shares p_i from sizes (characters, sentences, anything additive), in the sizes' key order. */
export function languageShares(sizes: ReadonlyMap<string, number>): Map<string, number> {
  let total = 0;
  for (const [lang, size] of sizes) {
    if (!(size >= 0) || !Number.isFinite(size)) throw new XlmError('sampling-size', `language "${lang}" has size ${size}; sizes must be finite and >= 0`, { what: lang });
    total += size;
  }
  if (total <= 0) throw new XlmError('sampling-size', 'every language has size 0; there is nothing to sample', {});
  return new Map([...sizes].map(([lang, size]) => [lang, size / total]));
}

/** q_i proportional to p_i^alpha. Languages of size 0 keep probability 0. */
export function smoothedProbabilities(sizes: ReadonlyMap<string, number>, alpha: number = XLMR_SMOOTHING_ALPHA): Map<string, number> {
  if (!(alpha > 0 && alpha <= 1)) throw new XlmError('sampling-alpha', `smoothing alpha is ${alpha}; it must lie in (0, 1] (XLM-R uses 0.3, 1 keeps the raw shares)`, { what: 'alpha' });
  const shares = languageShares(sizes);
  const powered = new Map([...shares].map(([lang, p]) => [lang, p > 0 ? Math.pow(p, alpha) : 0]));
  let total = 0;
  for (const v of powered.values()) total += v;
  return new Map([...powered].map(([lang, v]) => [lang, v / total]));
}

/**
 * How much each language's text must be up-weighted (above 1) or down-weighted (below 1) for its expected
 * share to become q_i: q_i / p_i. Weighting text by these factors is sampling with the smoothed distribution,
 * taken in expectation, so a tokenizer trained on the weighted text sees every paragraph and no sampling noise.
 */
export function smoothingWeights(sizes: ReadonlyMap<string, number>, alpha: number = XLMR_SMOOTHING_ALPHA): Map<string, number> {
  const shares = languageShares(sizes);
  const smoothed = smoothedProbabilities(sizes, alpha);
  return new Map([...shares].map(([lang, p]) => [lang, p > 0 ? smoothed.get(lang)! / p : 0]));
}

export interface LanguageSampler {
  readonly probabilities: ReadonlyMap<string, number>;
  /** One language drawn from the smoothed distribution. */
  next(): string;
}

/** A seeded draw of languages with probabilities q_i, for pre-training batches. */
export function createLanguageSampler(sizes: ReadonlyMap<string, number>, options: { alpha?: number; seed?: number; rng?: Rng } = {}): LanguageSampler {
  const probabilities = smoothedProbabilities(sizes, options.alpha ?? XLMR_SMOOTHING_ALPHA);
  const rng = options.rng ?? createRng(options.seed ?? 0);
  const langs = [...probabilities.keys()];
  const cumulative: number[] = [];
  let running = 0;
  for (const lang of langs) cumulative.push((running += probabilities.get(lang)!));
  return {
    probabilities,
    next(): string {
      const u = rng.next() * running;
      let lo = 0;
      let hi = langs.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      return langs[lo];
    },
  };
}

/** Characters per language of a list of texts: the sizes the smoothing is computed from. */
export function characterSizes(items: Iterable<{ lang: string; text: string }>): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const { lang, text } of items) sizes.set(lang, (sizes.get(lang) ?? 0) + [...text].length);
  return sizes;
}
