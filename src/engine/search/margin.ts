/**
 * Margin scoring (Artetxe and Schwenk 2019, "Margin-based parallel corpus mining with multilingual sentence
 * embeddings", as LASER mines bitext): a pair's cosine divided by the mean of how close each of the two sentences
 * is to its k nearest sentences of other languages. A short sentence that is close to every short sentence (a
 * "hub") then scores about 1 with all of them, while a real translation stands out above its neighbourhood.
 */

/** Neighbours averaged on each side (LASER's k). */
export const MARGIN_NEIGHBOURS = 4;

/** The mean of the k highest of `scores`, over the entries `use` allows (0 when none). */
function topMean(scores: ArrayLike<number>, use: (i: number) => boolean, k: number): number {
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (!use(i)) continue;
    const s = scores[i]!;
    if (best.length < k) best.push(s);
    else {
      let low = 0;
      for (let j = 1; j < best.length; j++) if (best[j]! < best[low]!) low = j;
      if (s > best[low]!) best[low] = s;
    }
  }
  return best.length ? best.reduce((a, b) => a + b, 0) / best.length : 0;
}

/** The mean of the k highest scores: how close a sentence is to its k nearest candidates. */
export function meanOfNearest(scores: ArrayLike<number>, k = MARGIN_NEIGHBOURS): number {
  return topMean(scores, () => true, k);
}

/** Each vector's neighbourhood: the mean cosine of its k nearest vectors of other languages (unit vectors, so dot products). */
export function neighbourhoods(vectors: readonly Float32Array[], languages: readonly string[], k = MARGIN_NEIGHBOURS): Float64Array {
  const n = vectors.length;
  const sims = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      const a = vectors[i]!;
      const b = vectors[j]!;
      for (let d = 0; d < a.length; d++) s += a[d]! * b[d]!;
      sims[i * n + j] = s;
      sims[j * n + i] = s;
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = topMean(sims.subarray(i * n, (i + 1) * n), (j) => languages[j] !== languages[i], k);
  return out;
}

/** One text's neighbourhood among the vectors, from its cosines to them, leaving out its own language. */
export function neighbourhoodOf(cosines: ArrayLike<number>, languages: readonly string[], language: string, k = MARGIN_NEIGHBOURS): number {
  return topMean(cosines, (j) => languages[j] !== language, k);
}

/** The ratio margin of a pair: its cosine over the mean of the two neighbourhoods. */
export function margin(cosine: number, a: number, b: number): number {
  const scale = (a + b) / 2;
  return scale > 0 ? cosine / scale : cosine;
}
