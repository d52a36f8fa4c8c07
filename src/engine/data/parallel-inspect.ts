/**
 * What a parallel corpus holds before training a translator on it: how many pairs, in which languages, how long each
 * side is, and the units a translator learns noise from: pairs whose length ratio is far from the corpus's usual one
 * (a misaligned line, a sentence missing its second half), pairs repeated verbatim, and "translations" that are a
 * copy of the source. Ratios are compared with each language pair's median, since a German sentence is longer
 * than its Chinese translation in characters by nature.
 */
import { readParallel, type ParallelData, type ParallelInput, type ParallelReadOptions } from './parallel.js';
import type { DataError } from './types.js';

export interface LengthStats {
  min: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export interface RatioOutlier {
  file: string;
  line: number;
  /** Target characters / source characters. */
  ratio: number;
  /** This pair's median ratio it was compared with. */
  median: number;
  source: string;
  target: string;
}

export interface ParallelSummary {
  files: string[];
  format: ParallelData['format'];
  formatReason: string;
  pairs: number;
  languages: {
    source?: string;
    target?: string;
    from: ParallelData['languagesFrom'];
    /** Units per language pair (`en-de`; `?` for an unknown side). */
    byPair: Record<string, number>;
  };
  /** Characters (code points, whitespace included) and whitespace-separated words per side. */
  length: { source: { characters: LengthStats; words: LengthStats }; target: { characters: LengthStats; words: LengthStats } };
  ratio: {
    /** A unit is an outlier when its ratio is over maxRatio times its pair's median, or under 1/maxRatio of it. */
    maxRatio: number;
    medians: Record<string, number>;
    outliers: number;
    examples: RatioOutlier[];
  };
  /** Units whose source and target both appeared together before. */
  duplicates: number;
  /** Units whose target is the source unchanged. */
  copies: number;
  errorCount: number;
  errors: DataError[];
}

export interface ParallelInspectOptions extends Pick<ParallelReadOptions, 'sourceLang' | 'targetLang' | 'format' | 'maxLineBytes'> {
  /** Default 3. */
  maxRatio?: number;
  /** Outliers and errors to list (default 10). */
  samples?: number;
}

/** Reads the whole corpus (bad rows are counted and listed, never fatal) and summarises it. */
export async function inspectParallel(input: ParallelInput, options: ParallelInspectOptions = {}): Promise<ParallelSummary> {
  const samples = options.samples ?? 10;
  const maxRatio = options.maxRatio ?? 3;
  const data = await readParallel(input, { ...options, onError: 'skip', maxReported: samples });
  const units = data.units;
  const pairOf = (u: { sourceLang?: string; targetLang?: string }): string => `${u.sourceLang ?? '?'}-${u.targetLang ?? '?'}`;

  const byPair: Record<string, number> = {};
  const ratiosByPair = new Map<string, number[]>();
  const ratios: number[] = [];
  const sourceChars: number[] = [];
  const targetChars: number[] = [];
  const sourceWords: number[] = [];
  const targetWords: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let copies = 0;
  for (const u of units) {
    const pair = pairOf(u);
    byPair[pair] = (byPair[pair] ?? 0) + 1;
    const s = codePoints(u.source);
    const t = codePoints(u.target);
    sourceChars.push(s);
    targetChars.push(t);
    sourceWords.push(words(u.source));
    targetWords.push(words(u.target));
    const ratio = t / s;
    ratios.push(ratio);
    let list = ratiosByPair.get(pair);
    if (!list) ratiosByPair.set(pair, (list = []));
    list.push(ratio);
    const key = `${u.source}\u0000${u.target}`;
    if (seen.has(key)) duplicates++;
    else seen.add(key);
    if (u.source.trim() === u.target.trim()) copies++;
  }
  const medians: Record<string, number> = {};
  for (const [pair, list] of ratiosByPair) medians[pair] = percentile([...list].sort((a, b) => a - b), 0.5);
  let outliers = 0;
  const examples: RatioOutlier[] = [];
  units.forEach((u, i) => {
    const median = medians[pairOf(u)];
    const relative = ratios[i] / median;
    if (relative > maxRatio || relative < 1 / maxRatio) {
      outliers++;
      if (examples.length < samples) examples.push({ file: u.file, line: u.line, ratio: ratios[i], median, source: u.source, target: u.target });
    }
  });
  return {
    files: 'file' in input ? [input.file] : [input.source, input.target],
    format: data.format,
    formatReason: data.formatReason,
    pairs: units.length,
    languages: { ...(data.sourceLang !== undefined ? { source: data.sourceLang } : {}), ...(data.targetLang !== undefined ? { target: data.targetLang } : {}), from: data.languagesFrom, byPair },
    length: { source: { characters: stats(sourceChars), words: stats(sourceWords) }, target: { characters: stats(targetChars), words: stats(targetWords) } },
    ratio: { maxRatio, medians, outliers, examples },
    duplicates,
    copies,
    errorCount: data.errorCount,
    errors: data.errors,
  };
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function words(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(/\S+/gu)) n++;
  return n;
}

function stats(values: number[]): LengthStats {
  if (values.length === 0) return { min: 0, mean: 0, p50: 0, p95: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], mean: values.reduce((a, b) => a + b, 0) / values.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted[sorted.length - 1] };
}

/** Nearest-rank percentile of sorted values (the median of an even count is the lower middle value). */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}
