/**
 * The measures of a pre-trained model that pre-training's validation (validation.ts), the language-id
 * head's fit and the demo compute, on held-out text:
 * - fill-mask top-5 accuracy per language, beside a unigram-frequency baseline (the language's five most
 *   frequent pieces in its training articles, whatever the context);
 * - cross-lingual retrieval top-1 per language pair (mean-pooled sentence vectors, cosine similarity);
 * - translation-pair detection from the same vectors: the cosine of a pair's two sides and how well their
 *   lengths agree (Gale & Church), combined by a logistic regression fitted on validation pairs.
 */
import type { XlmTokenizer } from '../tokenize/tokenizer.js';
import type { ParallelUnit } from './corpus.js';

export interface LangText {
  lang: string;
  text: string;
}

export interface MaskedExample {
  lang: string;
  /** Token ids with some positions replaced by <mask>. */
  ids: number[];
  positions: number[];
  /** The original id at each masked position. */
  targets: number[];
}


/** Ids of a text with <s> and </s>, truncated to `maxLength`. */
function encodeIds(tokenizer: XlmTokenizer, text: string, maxLength: number): number[] {
  return tokenizer.encode(text, null, { maxLength }).ids;
}

/**
 * Every `every`-th ordinary piece of each paragraph masked (offset by the paragraph's index so all positions
 * are covered across paragraphs), all masks of a paragraph at once as in masked-LM training: about 1/every of
 * the pieces (every = 7: 14%, close to BERT's 15%).
 */
export function maskParagraphs(tokenizer: XlmTokenizer, paragraphs: readonly LangText[], maxLength: number, every = 7): MaskedExample[] {
  const specials = new Set([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.maskId, tokenizer.unkId]);
  return paragraphs.map((p, index) => {
    const ids = encodeIds(tokenizer, p.text, maxLength);
    const positions: number[] = [];
    const targets: number[] = [];
    ids.forEach((id, i) => {
      if (specials.has(id) || (i + index) % every !== 0) return;
      positions.push(i);
      targets.push(id);
    });
    const masked = [...ids];
    for (const pos of positions) masked[pos] = tokenizer.maskId;
    return { lang: p.lang, ids: masked, positions, targets };
  });
}

export interface RetrievalRow {
  id: string;
  lang: string;
  text: string;
}

/** The mean of some vectors. */
function meanVector(vectors: readonly number[][]): number[] {
  const mean = new Array<number>(vectors[0].length).fill(0);
  for (const v of vectors) for (let d = 0; d < mean.length; d++) mean[d] += v[d] / vectors.length;
  return mean;
}

/** `v - mean`, scaled to unit length. */
function centre(v: readonly number[], mean: readonly number[]): number[] {
  const c = v.map((x, d) => x - mean[d]);
  const norm = Math.hypot(...c) || 1;
  return c.map((x) => x / norm);
}

/** A translation-pair row of examples/pairs: two paragraphs, their languages, and the label. */
export interface PairRow {
  premise: string;
  hypothesis: string;
  premise_lang: string;
  hypothesis_lang: string;
  label: string;
}

/** The cosine of each pair's two sentence vectors, each centred on its language's mean: `vectors[2i]` is row i's premise, `vectors[2i + 1]` its hypothesis. */
export function pairCosines(rows: readonly Pick<PairRow, 'premise_lang' | 'hypothesis_lang'>[], vectors: readonly number[][], means: ReadonlyMap<string, number[]>): number[] {
  // A language without a reference mean (a recipe that did not train it) is centred on the mean of all vectors, as retrieval does.
  const overall = meanVector(vectors);
  const meanOf = (lang: string) => means.get(lang) ?? overall;
  return rows.map((r, i) => {
    const a = centre(vectors[2 * i], meanOf(r.premise_lang));
    const b = centre(vectors[2 * i + 1], meanOf(r.hypothesis_lang));
    return a.reduce((t, x, d) => t + x * b[d], 0);
  });
}

/**
 * The threshold on `scores` that classifies the most rows right (score > threshold means positive), halfway
 * between the two scores it falls between; ties go to the smallest such threshold.
 */
export function bestThreshold(scores: readonly number[], positive: readonly boolean[]): { threshold: number; accuracy: number } {
  const order = scores.map((s, i) => [s, positive[i]] as const).sort((a, b) => a[0] - b[0]);
  // Threshold below everything: all positive.
  let right = positive.filter(Boolean).length;
  let best = { threshold: order.length ? order[0][0] - 1 : 0, right };
  for (let k = 0; k < order.length; k++) {
    // Moving the threshold past order[k] turns it negative.
    right += order[k][1] ? -1 : 1;
    if (k + 1 < order.length && order[k + 1][0] === order[k][0]) continue;
    if (right > best.right) best = { threshold: k + 1 < order.length ? (order[k][0] + order[k + 1][0]) / 2 : order[k][0] + 1, right };
  }
  return { threshold: best.threshold, accuracy: order.length ? best.right / order.length : 0 };
}

/**
 * Each language's length offset (Gale & Church 1993: a text and its translation have lengths in a steady ratio
 * per language pair): over the parallel units, the mean of log(length of the language's text) minus the unit's
 * mean of that over its languages. `count` gives a text's length (the demo: its characters).
 */
export function lengthOffsets(units: readonly ParallelUnit[], count: (text: string) => number): Map<string, number> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const unit of units) {
    const logs = [...unit.texts].map(([lang, text]) => [lang, Math.log(count(text))] as const);
    const mean = logs.reduce((s, [, v]) => s + v, 0) / logs.length;
    for (const [lang, v] of logs) {
      const entry = sums.get(lang) ?? { total: 0, n: 0 };
      entry.total += v - mean;
      entry.n++;
      sums.set(lang, entry);
    }
  }
  return new Map([...sums].map(([lang, { total, n }]) => [lang, total / n]));
}

/**
 * How far a pair's lengths are from what translations' would be: |log n(a) - offset(a) - (log n(b) - offset(b))|,
 * near 0 for a translation (a language without an offset counts as 0).
 */
export function lengthDisagreement(premise: string, premiseLang: string, hypothesis: string, hypothesisLang: string, offsets: ReadonlyMap<string, number>, count: (text: string) => number): number {
  const adjusted = (text: string, lang: string) => Math.log(count(text)) - (offsets.get(lang) ?? 0);
  return Math.abs(adjusted(premise, premiseLang) - adjusted(hypothesis, hypothesisLang));
}

/**
 * Logistic regression by full-batch gradient descent on standardised features (deterministic: no sampling).
 * Returns the decision function (the log-odds of a positive) over raw features, and the weights found.
 */
export function fitLogistic(features: readonly number[][], positive: readonly boolean[], iterations = 3000, learningRate = 0.5): { score: (x: readonly number[]) => number; weights: number[]; bias: number } {
  const n = features.length;
  if (!n || n !== positive.length) throw new Error(`fitLogistic: ${n} feature rows for ${positive.length} labels`);
  const d = features[0].length;
  const mean = Array.from({ length: d }, (_, j) => features.reduce((s, x) => s + x[j], 0) / n);
  const std = Array.from({ length: d }, (_, j) => Math.sqrt(features.reduce((s, x) => s + (x[j] - mean[j]) ** 2, 0) / n) || 1);
  const z = features.map((x) => x.map((v, j) => (v - mean[j]) / std[j]));
  const w = new Array<number>(d).fill(0);
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    z.forEach((x, i) => {
      const p = 1 / (1 + Math.exp(-(x.reduce((s, v, j) => s + v * w[j], b))));
      const e = p - (positive[i] ? 1 : 0);
      x.forEach((v, j) => (gw[j] += e * v));
      gb += e;
    });
    for (let j = 0; j < d; j++) w[j] -= (learningRate * gw[j]) / n;
    b -= (learningRate * gb) / n;
  }
  // Back to raw features: w_j / std_j, and the bias takes the means.
  const weights = w.map((v, j) => v / std[j]);
  const bias = b - weights.reduce((s, v, j) => s + v * mean[j], 0);
  return { score: (x) => x.reduce((s, v, j) => s + v * weights[j], bias), weights, bias };
}

export interface RetrievalScores {
  languages: string[];
  /** top1[a][b]: share of language a's paragraphs whose nearest paragraph of language b is their translation (NaN on the diagonal). */
  top1: number[][];
  chance: number;
}

/**
 * Retrieval scores from sentence vectors: each vector centred on its language's mean from `means` (or, for a
 * language without one, on the mean of all vectors) before cosine similarity. Mean pooling of a small model
 * shares large common directions, one overall and one per language, that would otherwise swamp cosine.
 */
export function retrievalTop1(rows: readonly RetrievalRow[], vectors: readonly number[][], means: ReadonlyMap<string, number[]> = new Map()): RetrievalScores {
  const overall = meanVector(vectors);
  const centred = vectors.map((v, i) => centre(v, means.get(rows[i].lang) ?? overall));
  const languages = [...new Set(rows.map((r) => r.lang))];
  const byLang = new Map(languages.map((l) => [l, rows.flatMap((r, i) => (r.lang === l ? [i] : []))]));
  const dot = (a: number[], b: number[]) => a.reduce((s, x, d) => s + x * b[d], 0);
  const top1 = languages.map((a) =>
    languages.map((b) => {
      if (a === b) return NaN;
      const targets = byLang.get(b)!;
      const sources = byLang.get(a)!;
      let right = 0;
      for (const i of sources) {
        let best = -1;
        let bestScore = -Infinity;
        for (const j of targets) {
          const s = dot(centred[i], centred[j]);
          if (s > bestScore) [best, bestScore] = [j, s];
        }
        if (rows[best].id === rows[i].id) right++;
      }
      return right / sources.length;
    }),
  );
  const sizes = languages.map((l) => byLang.get(l)!.length);
  return { languages, top1, chance: 1 / (sizes.reduce((s, n) => s + n, 0) / sizes.length) };
}
