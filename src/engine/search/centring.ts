/**
 * Centring sentence vectors per language: a multilingual encoder's mean-pooled vectors share a large
 * per-language component (every German sentence leans the same way), so the raw cosine of two sentences says
 * "same language" louder than "same meaning". Subtracting each language's mean vector and scaling back to unit
 * length removes that component (Libovický, Rosa and Fraser 2020, "On the language neutrality of pre-trained
 * multilingual representations"; Pires et al. 2019 found the same offset in mBERT).
 *
 * Each language's mean is shrunk towards the mean of all the vectors, as if `shrinkage` vectors at the overall
 * mean had been added to it: a language with one sentence in the index is not centred onto the zero vector, and
 * one with hundreds gets its own mean.
 */

/** The number of overall-mean pseudo-vectors each language's mean is blended with. */
export const DEFAULT_SHRINKAGE = 1;

export interface LanguageMeans {
  /** The mean of every vector. */
  overall: Float32Array;
  /** Per language: (sum of its vectors + shrinkage × overall) / (count + shrinkage). */
  byLanguage: Map<string, Float32Array>;
}

/** Per-language means of `vectors` (each tagged with `languages[i]`), shrunk towards the overall mean. */
export function languageMeans(vectors: readonly Float32Array[], languages: readonly string[], shrinkage = DEFAULT_SHRINKAGE): LanguageMeans {
  if (vectors.length !== languages.length) throw new Error('languageMeans: one language per vector');
  const dim = vectors[0]?.length ?? 0;
  const overall = new Float32Array(dim);
  const sums = new Map<string, { sum: Float64Array; n: number }>();
  for (const [i, v] of vectors.entries()) {
    let s = sums.get(languages[i]!);
    if (!s) sums.set(languages[i]!, (s = { sum: new Float64Array(dim), n: 0 }));
    s.n++;
    for (let d = 0; d < dim; d++) {
      s.sum[d] += v[d]!;
      overall[d] += v[d]! / vectors.length;
    }
  }
  const byLanguage = new Map<string, Float32Array>();
  for (const [lang, { sum, n }] of sums) {
    const mean = new Float32Array(dim);
    for (let d = 0; d < dim; d++) mean[d] = (sum[d]! + shrinkage * overall[d]!) / (n + shrinkage);
    byLanguage.set(lang, mean);
  }
  return { overall, byLanguage };
}

/** The mean a vector of `language` is centred on: its language's, or the overall mean for a language not indexed. */
export function meanFor(means: LanguageMeans, language: string | undefined): Float32Array {
  return (language === undefined ? undefined : means.byLanguage.get(language)) ?? means.overall;
}

/** `v - mean`, scaled to unit length (left at zero when v is the mean). */
export function centred(v: ArrayLike<number>, mean: ArrayLike<number>): Float32Array {
  const out = new Float32Array(v.length);
  let norm = 0;
  for (let d = 0; d < v.length; d++) {
    out[d] = v[d]! - mean[d]!;
    norm += out[d]! * out[d]!;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let d = 0; d < out.length; d++) out[d]! /= norm;
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let d = 0; d < a.length; d++) s += a[d]! * b[d]!;
  return s;
}
