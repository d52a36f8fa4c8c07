/**
 * Validation while pre-training: the figures the recipe is tuned on, measured on a model folder written at a
 * mark (minutes of training time or a step count), through the same sessions `xlm embed` and `xlm fill-mask`
 * use, so the vectors are the ones `xlm embed` returns (mean-pooled, unit length; centred on each language's
 * mean over training text, as the demo does).
 *
 * - fill-mask top-5 and masked-LM loss (nats) on masked pieces of validation text (UDHR validation articles,
 *   Quran validation chapters), per language and averaged over languages, beside the unigram baseline (the
 *   language's five most frequent pieces in its training text);
 * - cross-lingual retrieval top-1 among every validation verse of the Quran validation chapters (hundreds of
 *   candidates) per ordered language pair, pairs of one script and of different scripts reported apart, with
 *   character-3-gram overlap beside it;
 * - translation-pair detection by the cosine alone: verse i against its translation and against another verse
 *   of the same pair of languages, accuracy at the best single threshold;
 * - the same retrieval on the held-out source (never trained on: cldr-annotations' emoji names), with its
 *   3-gram baseline. This one is a report, not a thing to tune on.
 */
import { embed } from '../tasks/embed.js';
import { releaseScoring, scoreMasked } from '../tasks/mlm-score.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import type { XlmTokenizer } from '../tokenize/tokenizer.js';
import { margin, MARGIN_NEIGHBOURS, meanOfNearest } from '../search/margin.js';
import { bestThreshold, maskParagraphs, type LangText } from './measures.js';
import { dominantScript, type CorpusSegment } from './sources.js';

export interface RetrievalSet {
  name: string;
  languages: string[];
  /** ids[l][i]: the unit of text i of language l; texts[l][i] its text. Every language has the same units, in one order. */
  units: string[];
  texts: Map<string, string[]>;
  /** Character-3-gram top-1 per ordered pair "a>b", computed once. */
  trigram: Map<string, number>;
}

export interface ValidationSets {
  fillMask: LangText[];
  unigramTop5: Map<string, Set<number>>;
  /** Training texts per language, for the language means that vectors are centred on. */
  reference: LangText[];
  scripts: Map<string, string>;
  retrieval: RetrievalSet[];
}

/** Units every language in `langs` has, in a fixed order, and each language's text of them. */
function alignedSet(name: string, segments: readonly CorpusSegment[], langs: readonly string[], limit: number): RetrievalSet | undefined {
  const byUnit = new Map<string, Map<string, string>>();
  for (const s of segments) {
    let m = byUnit.get(s.unit);
    if (!m) byUnit.set(s.unit, (m = new Map()));
    m.set(s.lang, s.text);
  }
  const present = langs.filter((l) => segments.some((s) => s.lang === l));
  if (present.length < 2) return undefined;
  let units = [...byUnit].filter(([, m]) => present.every((l) => m.has(l))).map(([u]) => u);
  // Drop units whose text repeats within a language (two emoji with one name): retrieval could not tell them apart.
  for (const l of present) {
    const seen = new Map<string, number>();
    for (const u of units) seen.set(byUnit.get(u)!.get(l)!, (seen.get(byUnit.get(u)!.get(l)!) ?? 0) + 1);
    units = units.filter((u) => seen.get(byUnit.get(u)!.get(l)!) === 1);
  }
  if (units.length > limit) {
    const step = units.length / limit;
    units = Array.from({ length: limit }, (_, i) => units[Math.floor(i * step)]);
  }
  const texts = new Map(present.map((l) => [l, units.map((u) => byUnit.get(u)!.get(l)!)]));
  const set: RetrievalSet = { name, languages: present, units, texts, trigram: new Map() };
  const grams = new Map(present.map((l) => [l, texts.get(l)!.map(trigramVector)]));
  const indexes = new Map(present.map((l) => [l, trigramIndex(grams.get(l)!)]));
  for (const a of present) for (const b of present) if (a !== b) set.trigram.set(`${a}>${b}`, trigramTop1(grams.get(a)!, indexes.get(b)!));
  return set;
}

/** For each 3-gram, the targets that hold it and its weight in each. */
interface TrigramIndex {
  targets: number;
  postings: Map<string, { target: number[]; weight: number[] }>;
}

export function trigramIndex(targets: readonly Map<string, number>[]): TrigramIndex {
  const postings = new Map<string, { target: number[]; weight: number[] }>();
  targets.forEach((t, j) => {
    for (const [g, w] of t) {
      let p = postings.get(g);
      if (!p) postings.set(g, (p = { target: [], weight: [] }));
      p.target.push(j);
      p.weight.push(w);
    }
  });
  return { targets: targets.length, postings };
}

/**
 * The top-1 (as top1 counts it) of the sources among the targets by the cosine of their 3-gram vectors, computed through the targets' index: each source's cosines come from the
 * 3-grams it shares with each target, so two scripts that share none cost nothing (the pairwise loop cost 245² map
 * walks per language pair). The sums run over the source's 3-grams in the same order, so the scores, their ties
 * and the top-1 are exactly the pairwise loop's.
 */
export function trigramTop1(sources: readonly Map<string, number>[], index: TrigramIndex): number {
  const scores = new Float64Array(index.targets);
  let right = 0;
  sources.forEach((source, i) => {
    scores.fill(0);
    for (const [g, x] of source) {
      const p = index.postings.get(g);
      if (p) for (let k = 0; k < p.target.length; k++) scores[p.target[k]!] += x * p.weight[k]!;
    }
    let best = -1;
    let bestScore = -Infinity;
    for (let j = 0; j < scores.length; j++) {
      if (scores[j]! > bestScore) {
        best = j;
        bestScore = scores[j]!;
      }
    }
    if (best === i) right++;
  });
  return sources.length ? right / sources.length : 0;
}

/** Character 3-grams of ` text ` (lower-cased), counted, scaled to unit length. */
export function trigramVector(text: string): Map<string, number> {
  const chars = [...` ${text.toLowerCase()} `];
  const v = new Map<string, number>();
  for (let i = 0; i + 3 <= chars.length; i++) {
    const g = chars.slice(i, i + 3).join('');
    v.set(g, (v.get(g) ?? 0) + 1);
  }
  const norm = Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0)) || 1;
  for (const [g, x] of v) v.set(g, x / norm);
  return v;
}

/** The cosine of every source with every target (unit vectors): [source][target]. */
function cosineMatrix(sources: readonly Float32Array[], targets: readonly Float32Array[]): number[][] {
  return sources.map((a) => targets.map((b) => dot(a, b)));
}

/**
 * Top-1 of each source among the targets by the ratio margin (Artetxe and Schwenk 2019; search/margin.ts): the
 * cosine over the mean of the source's k nearest targets and the target's k nearest sources. Unit vectors, or their
 * cosine matrix when the caller has it already.
 */
export function top1ByMargin(sources: readonly Float32Array[], targets: readonly Float32Array[], k = MARGIN_NEIGHBOURS, cos = cosineMatrix(sources, targets)): number {
  const nearSource = cos.map((row) => meanOfNearest(row, k));
  const nearTarget = targets.map((_, j) => meanOfNearest(cos.map((row) => row[j]!), k));
  return top1(sources.map((_, i) => i), targets.map((_, j) => j), (i, j) => margin(cos[i]![j]!, nearSource[i]!, nearTarget[j]!));
}

/** Share of sources whose best-scoring target is the one at the same index (ties: the first). */
export function top1<T>(sources: readonly T[], targets: readonly T[], sim: (a: T, b: T) => number): number {
  let right = 0;
  sources.forEach((s, i) => {
    let best = -1;
    let bestScore = -Infinity;
    targets.forEach((t, j) => {
      const x = sim(s, t);
      if (x > bestScore) [best, bestScore] = [j, x];
    });
    if (best === i) right++;
  });
  return sources.length ? right / sources.length : 0;
}

const HELD_OUT_LANGUAGES = ['eng', 'fra', 'spa', 'deu', 'rus', 'arb', 'cmn', 'hin', 'tha', 'kor', 'jpn', 'heb', 'ell', 'tur', 'ben', 'kat'];

/**
 * The sets of one split: `validation` while pre-training (what the recipe is tuned on), `test` for the demo's
 * figures (UDHR test articles, Quran test chapters; never looked at while tuning).
 */
export function buildValidationSets(segments: readonly CorpusSegment[], streams: ReadonlyMap<string, number[]>, tokenizer: XlmTokenizer, heldOutSource?: string, split: 'validation' | 'test' = 'validation'): ValidationSets {
  const trained = segments.filter((s) => s.source !== heldOutSource);
  const validation = trained.filter((s) => s.split === split);
  const specials = new Set([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.maskId, tokenizer.unkId]);
  const unigramTop5 = new Map<string, Set<number>>();
  for (const [lang, ids] of streams) {
    const counts = new Map<number, number>();
    for (const id of ids) if (!specials.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    unigramTop5.set(lang, new Set([...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 5).map(([id]) => id)));
  }
  // Fill-mask text: every UDHR paragraph of the split; up to 40 verses of the split a language of the Quran.
  const fillMask: LangText[] = [];
  const perLangOther = new Map<string, number>();
  for (const s of validation) {
    if (s.source === 'udhr') fillMask.push({ lang: s.lang, text: s.text });
    else if (s.source === 'quran' && (perLangOther.get(s.lang) ?? 0) < 40) {
      fillMask.push({ lang: s.lang, text: s.text });
      perLangOther.set(s.lang, (perLangOther.get(s.lang) ?? 0) + 1);
    }
  }
  const retrieval: RetrievalSet[] = [];
  const quranLangs = [...new Set(validation.filter((s) => s.source === 'quran').map((s) => s.lang))];
  const quran = alignedSet(`quran-${split}`, validation.filter((s) => s.source === 'quran'), quranLangs, 400);
  if (quran) retrieval.push(quran);
  if (heldOutSource) {
    const held = segments.filter((s) => s.source === heldOutSource);
    const set = alignedSet(`${heldOutSource}-held-out`, held, HELD_OUT_LANGUAGES, 300);
    if (set) retrieval.push(set);
  }
  const wanted = new Set(retrieval.flatMap((r) => r.languages));
  const reference: LangText[] = [];
  const taken = new Map<string, number>();
  for (const s of trained) {
    if (s.split !== 'train' || !wanted.has(s.lang) || (taken.get(s.lang) ?? 0) >= 48) continue;
    // Spread over sources: every other training segment of a language until 48.
    reference.push({ lang: s.lang, text: s.text });
    taken.set(s.lang, (taken.get(s.lang) ?? 0) + 1);
  }
  const scripts = new Map<string, string>();
  const sample = new Map<string, string>();
  for (const s of segments) {
    const text = sample.get(s.lang) ?? '';
    if (text.length < 4000) sample.set(s.lang, `${text} ${s.text}`);
  }
  for (const [lang, text] of sample) scripts.set(lang, dominantScript(text));
  return { fillMask, unigramTop5, reference, scripts, retrieval };
}

function meanOf(vectors: readonly number[][]): number[] {
  const m = new Array<number>(vectors[0].length).fill(0);
  for (const v of vectors) for (let d = 0; d < m.length; d++) m[d] += v[d] / vectors.length;
  return m;
}

function centred(v: readonly number[], mean: readonly number[]): Float32Array {
  const c = Float32Array.from(v, (x, d) => x - mean[d]);
  const n = Math.hypot(...c) || 1;
  for (let d = 0; d < c.length; d++) c[d] /= n;
  return c;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let d = 0; d < a.length; d++) s += a[d] * b[d];
  return s;
}

export interface RetrievalReport {
  name: string;
  candidates: number;
  languages: string[];
  /** Mean top-1 over ordered pairs, all / same script / different scripts; the 3-gram baseline beside each. */
  top1: number;
  top1SameScript: number | null;
  top1CrossScript: number | null;
  /**
   * The same retrieval scored by the ratio margin the hover uses (search/margin.ts: the cosine over the mean of the
   * two sides' k = 4 nearest cosines in the other language), all pairs and different scripts.
   */
  top1Margin: number;
  top1MarginCrossScript: number | null;
  trigram: number;
  trigramSameScript: number | null;
  trigramCrossScript: number | null;
  pairs: number;
  crossScriptPairs: number;
  /** Translation-pair detection by the cosine alone, at the best single threshold (validation sets only). */
  pairAccuracy?: number;
  pairThreshold?: number;
  /** With `pairThreshold` given to evaluateValidation: the accuracy at that threshold (chosen on another split). */
  pairAccuracyAtGiven?: number;
  /** Pairs compared: each translation once, and once a non-translation of the same two languages. */
  pairCount?: number;
  /** Per ordered pair "a>b": top-1, its 3-gram baseline, and whether the two write different scripts. */
  perPair: Record<string, { top1: number; trigram: number; crossScript: boolean }>;
}

export interface EvaluateOptions {
  /** Score translation-pair detection at this cosine threshold too (one chosen on the validation split). */
  pairThreshold?: number;
}

export interface ValidationReport {
  fillMaskTop5: number;
  unigramTop5: number;
  fillMaskRatio: number;
  mlmLoss: number;
  maskedPieces: number;
  fillMaskLanguages: number;
  /** Per language: top-5 accuracy, the unigram baseline's, and the masked pieces counted. */
  fillMaskPerLanguage: Record<string, { top5: number; unigram: number; pieces: number }>;
  retrieval: RetrievalReport[];
  seconds: number;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
const orNull = (xs: readonly number[]) => (xs.length ? mean(xs) : null);

export async function evaluateValidation(model: LoadedModel, sets: ValidationSets, options: EvaluateOptions = {}): Promise<ValidationReport> {
  const started = performance.now();
  // Fill-mask and masked-LM loss, per language, then the mean over languages.
  const examples = maskParagraphs(model.tokenizer, sets.fillMask, model.maxLength).filter((e) => e.positions.length);
  const scores = await scoreMasked(model, examples.map((e) => ({ ids: e.ids, positions: e.positions, labels: e.targets })));
  await releaseScoring(model);
  const perLang = new Map<string, { hit: number; base: number; loss: number; n: number }>();
  examples.forEach((e, i) => {
    const p = perLang.get(e.lang) ?? { hit: 0, base: 0, loss: 0, n: 0 };
    e.targets.forEach((t, j) => {
      p.n++;
      p.loss += scores[i].loss[j];
      if (scores[i].rank[j] < 5) p.hit++;
      if (sets.unigramTop5.get(e.lang)?.has(t)) p.base++;
    });
    perLang.set(e.lang, p);
  });
  const langs = [...perLang.values()];
  const fillMaskTop5 = mean(langs.map((p) => p.hit / p.n));
  const unigramTop5 = mean(langs.map((p) => p.base / p.n));

  // Sentence vectors as `xlm embed --normalize` returns them, centred on each language's training mean.
  const refVectors = (await embed(model, sets.reference.map((r) => r.text), { normalize: true })).vectors;
  const means = new Map<string, number[]>();
  for (const lang of new Set(sets.reference.map((r) => r.lang))) means.set(lang, meanOf(refVectors.filter((_, i) => sets.reference[i].lang === lang)));
  const retrieval: RetrievalReport[] = [];
  for (const set of sets.retrieval) {
    const vectors = new Map<string, Float32Array[]>();
    for (const lang of set.languages) {
      const raw = (await embed(model, set.texts.get(lang)!, { normalize: true })).vectors;
      const m = means.get(lang) ?? meanOf(raw);
      vectors.set(lang, raw.map((v) => centred(v, m)));
    }
    const same: number[] = [];
    const cross: number[] = [];
    const byMargin: number[] = [];
    const byMarginCross: number[] = [];
    const triSame: number[] = [];
    const triCross: number[] = [];
    const cosines: number[] = [];
    const positive: boolean[] = [];
    const perPair: RetrievalReport['perPair'] = {};
    const n = set.units.length;
    for (const a of set.languages) {
      for (const b of set.languages) {
        if (a === b) continue;
        const va = vectors.get(a)!;
        const vb = vectors.get(b)!;
        const cos = cosineMatrix(va, vb);
        const score = top1(va.map((_, i) => i), vb.map((_, j) => j), (i, j) => cos[i]![j]!);
        const crossScript = sets.scripts.get(a) !== sets.scripts.get(b);
        (crossScript ? cross : same).push(score);
        const marginScore = top1ByMargin(va, vb, MARGIN_NEIGHBOURS, cos);
        byMargin.push(marginScore);
        if (crossScript) byMarginCross.push(marginScore);
        (crossScript ? triCross : triSame).push(set.trigram.get(`${a}>${b}`)!);
        perPair[`${a}>${b}`] = { top1: score, trigram: set.trigram.get(`${a}>${b}`)!, crossScript };
        if (a < b) {
          // Pairs: verse i with its translation, and with verse i + k (k from the pair's position, never 0).
          const shift = 1 + ((a.charCodeAt(0) * 31 + b.charCodeAt(1)) % (n - 1));
          for (let i = 0; i < n; i++) {
            cosines.push(dot(va[i], vb[i]));
            positive.push(true);
            cosines.push(dot(va[i], vb[(i + shift) % n]));
            positive.push(false);
          }
        }
      }
    }
    const report: RetrievalReport = {
      name: set.name,
      candidates: n,
      languages: set.languages,
      top1: mean([...same, ...cross]),
      top1SameScript: orNull(same),
      top1CrossScript: orNull(cross),
      top1Margin: mean(byMargin),
      top1MarginCrossScript: orNull(byMarginCross),
      trigram: mean([...triSame, ...triCross]),
      trigramSameScript: orNull(triSame),
      trigramCrossScript: orNull(triCross),
      pairs: same.length + cross.length,
      crossScriptPairs: cross.length,
      perPair,
    };
    if (!set.name.endsWith('held-out')) {
      const best = bestThreshold(cosines, positive);
      report.pairAccuracy = best.accuracy;
      report.pairThreshold = best.threshold;
      report.pairCount = cosines.length;
      const given = options.pairThreshold;
      if (given !== undefined) report.pairAccuracyAtGiven = cosines.filter((c, i) => c > given === positive[i]).length / cosines.length;
    }
    retrieval.push(report);
  }
  return {
    fillMaskTop5,
    unigramTop5,
    fillMaskRatio: fillMaskTop5 / unigramTop5,
    mlmLoss: langs.reduce((s, p) => s + p.loss, 0) / langs.reduce((s, p) => s + p.n, 0),
    maskedPieces: langs.reduce((s, p) => s + p.n, 0),
    fillMaskLanguages: langs.length,
    fillMaskPerLanguage: Object.fromEntries([...perLang].map(([lang, p]) => [lang, { top5: p.hit / p.n, unigram: p.base / p.n, pieces: p.n }])),
    retrieval,
    seconds: (performance.now() - started) / 1000,
  };
}

/** One line for a log: the headline figures of a report. */
export function validationLine(r: ValidationReport): string {
  const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);
  const parts = [`fill-mask top-5 ${pct(r.fillMaskTop5)} (unigram ${pct(r.unigramTop5)}, ${r.fillMaskRatio.toFixed(2)}x)`, `MLM loss ${r.mlmLoss.toFixed(3)}`];
  for (const s of r.retrieval) {
    parts.push(`${s.name} top-1 ${pct(s.top1)} [cross-script ${pct(s.top1CrossScript)}] of ${s.candidates} (3-gram ${pct(s.trigram)} [${pct(s.trigramCrossScript)}])${s.pairAccuracy !== undefined ? `, pairs by cosine ${s.pairAccuracy.toFixed(3)}` : ''}`);
  }
  return parts.join('; ');
}
