/**
 * Pre-training batches for the three objectives, each row a token sequence with its own position ids and
 * masked-LM labels (-100 where no token is predicted):
 * - MLM (XLM-R): a window of one language's monolingual stream (its training paragraphs concatenated),
 *   `<s> window </s>`, positions 2, 3, ... as HF computes them;
 * - TLM (XLM, Lample & Conneau 2019): the same paragraph in two languages, `<s> A </s>` then `</s> B </s>`
 *   (XLM-R's pair template), positions restarting at the second side so each side is placed as if alone,
 *   and masks drawn on both sides: predicting a masked word can look at its translation;
 * - NSP (BERT): `<s> A </s></s> B </s>` with B the paragraph that follows A (label 1) or a paragraph of
 *   the same language from elsewhere (label 0); the tokens are masked too, as BERT does; a binary head on `<s>`.
 * - RANK, translation ranking (LaBSE, Feng et al. 2022: a dual encoder with in-batch negatives): k paragraphs
 *   in one language and their translations in another, each its own row `<s> text </s>`, masked as MLM rows
 *   are (the masked pieces are MLM targets too); every paragraph's mean-pooled vector (what `embed` returns)
 *   must be closer to its own translation than to the other k - 1, both ways. One language pair per batch, so
 *   the negatives differ in content, not language. This is the sentence-level signal that ties the languages
 *   together: MLM and TLM alone leave a model this small with little of it.
 * Languages are drawn with XLM-R's exponential smoothing (sampling.ts). Masking is BERT's 80/10/10
 * (features.ts), per side, so every side of a pair has at least one target.
 */
import { maskTokens, type MaskingOptions } from '../train/features.js';
import { ort } from '../runtime/session.js';
import type { XlmTokenizer } from '../tokenize/tokenizer.js';
import { createRng, type Rng } from '../rng/rng.js';
import { XlmError } from '../errors.js';
import { parallelUnits, trainingParagraphs, type UdhrArticle } from './corpus.js';
import { SOURCE_NAMES, type CorpusSegment, type SourceName } from './sources.js';
import type { ObjectiveName, PretrainRecipe } from './recipe.js';
import { characterSizes, createLanguageSampler, type LanguageSampler } from './sampling.js';

export const IGNORE_LABEL = -100;

export interface SpecialIds {
  cls: number;
  sep: number;
  pad: number;
  mask: number;
  vocabSize: number;
}

export interface PretrainRow {
  objective: ObjectiveName;
  ids: number[];
  /** Position ids, one per token (the embedding rows: real tokens from pad + 1). */
  positions: number[];
  /** The original id where a token is masked, -100 elsewhere. */
  labels: number[];
  /** NSP rows: 1 when the second paragraph follows the first. */
  nspLabel?: 0 | 1;
  /** RANK rows: which of the batch's translation pairs this row is, and its side. */
  rank?: { pair: number; side: 0 | 1 };
}

/** The training text, tokenized once: streams, paragraphs in order, and the parallel units for TLM. */
export interface PretrainMaterials {
  languages: string[];
  /** Character sizes of the training text per language: what the smoothing is computed from. */
  sizes: Map<string, number>;
  streams: Map<string, number[]>;
  paragraphs: Map<string, { article: number; ids: number[] }[]>;
  units: Map<string, number[]>[];
  /**
   * Multi-source corpora (sources.ts): each source's parallel units and its share of the TLM and RANK rows
   * (the recipe's corpus.parallelMix). Absent: pairs come from `units`, languages drawn first.
   */
  parallel?: { source: SourceName; weight: number; units: Map<string, number[]>[]; languages: Set<string> }[];
}

/**
 * The training materials of a multi-source corpus: each language's stream is its training segments in corpus
 * order (UDHR paragraphs, verses, names), the units are the training segments grouped by alignment key.
 */
export function segmentMaterials(segments: readonly CorpusSegment[], tokenizer: XlmTokenizer, mix: Partial<Record<SourceName, number>>): PretrainMaterials {
  const training = segments.filter((s) => s.split === 'train');
  const languages = [...new Set(training.map((p) => p.lang))];
  const streams = new Map<string, number[]>(languages.map((l) => [l, []]));
  const paragraphs = new Map<string, { article: number; ids: number[] }[]>(languages.map((l) => [l, []]));
  const byUnit = new Map<string, { source: SourceName; texts: Map<string, number[]> }>();
  for (const p of training) {
    const ids = pieceIds(tokenizer, p.text);
    const stream = streams.get(p.lang)!;
    for (const id of ids) stream.push(id);
    paragraphs.get(p.lang)!.push({ article: 0, ids });
    let unit = byUnit.get(p.unit);
    if (!unit) byUnit.set(p.unit, (unit = { source: p.source, texts: new Map() }));
    unit.texts.set(p.lang, ids);
  }
  const aligned = [...byUnit.values()].filter((u) => u.texts.size >= 2);
  const parallel = SOURCE_NAMES.filter((source) => (mix[source] ?? 0) > 0).map((source) => {
    const units = aligned.filter((u) => u.source === source).map((u) => u.texts);
    return { source, weight: mix[source]!, units, languages: new Set(units.flatMap((u) => [...u.keys()])) };
  });
  for (const p of parallel) if (!p.units.length) throw new XlmError('corpus-empty', `the corpus source "${p.source}" has no translation pairs in the recipe's languages, but corpus.parallelMix gives it a share`, { what: p.source });
  return { languages, sizes: characterSizes(training), streams, paragraphs, units: aligned.map((u) => u.texts), parallel };
}

/** Token ids of a text without the template's <s> and </s>. */
function pieceIds(tokenizer: XlmTokenizer, text: string): number[] {
  const ids = tokenizer.encode(text).ids;
  return ids.slice(1, -1);
}

export function pretrainMaterials(corpus: readonly UdhrArticle[], tokenizer: XlmTokenizer, heldOut: readonly number[]): PretrainMaterials {
  const training = trainingParagraphs(corpus, heldOut);
  const languages = [...new Set(training.map((p) => p.lang))];
  const streams = new Map<string, number[]>(languages.map((l) => [l, []]));
  const paragraphs = new Map<string, { article: number; ids: number[] }[]>(languages.map((l) => [l, []]));
  for (const p of training) {
    const ids = pieceIds(tokenizer, p.text);
    streams.get(p.lang)!.push(...ids);
    paragraphs.get(p.lang)!.push({ article: p.article, ids });
  }
  const units = parallelUnits(corpus, 'train', heldOut).map((u) => new Map([...u.texts].map(([lang, text]) => [lang, pieceIds(tokenizer, text)])));
  return { languages, sizes: characterSizes(training), streams, paragraphs, units };
}

function maskingOptions(special: SpecialIds, probability: number): MaskingOptions {
  return { probability, wholeWord: false, maskId: special.mask, vocabSize: special.vocabSize, specialIds: new Set([special.cls, special.sep, special.pad, special.mask]) };
}

/** Masks one segment; returns its ids and labels (-100 where not a target). */
function maskSegment(ids: number[], options: MaskingOptions, seed: number): { ids: number[]; labels: number[] } {
  const masked = maskTokens({ ids }, options, seed);
  const labels = new Array<number>(ids.length).fill(IGNORE_LABEL);
  masked.positions.forEach((p, k) => (labels[p] = masked.labels[k]));
  return { ids: masked.ids, labels };
}

/** Positions of a segment placed alone: pad + 1, pad + 2, ... (HF's cumsum rule). */
function segmentPositions(length: number, pad: number): number[] {
  return Array.from({ length }, (_, i) => pad + 1 + i);
}

/** Cuts the longer of two texts first until both fit in `budget` tokens (transformers' longest_first). */
export function truncatePair(a: number[], b: number[], budget: number): [number[], number[]] {
  let la = a.length;
  let lb = b.length;
  while (la + lb > budget) {
    if (la >= lb) la--;
    else lb--;
  }
  return [a.slice(0, la), b.slice(0, lb)];
}

export function mlmRow(window: number[], special: SpecialIds, probability: number, seed: number): PretrainRow {
  const m = maskSegment([special.cls, ...window, special.sep], maskingOptions(special, probability), seed);
  return { objective: 'mlm', ids: m.ids, positions: segmentPositions(m.ids.length, special.pad), labels: m.labels };
}

/** `<s> A </s>` + `</s> B </s>`, positions restarting at the second side, masks drawn on each side. */
export function tlmRow(first: number[], second: number[], maxLength: number, special: SpecialIds, probability: number, seed: number): PretrainRow {
  const [a, b] = truncatePair(first, second, maxLength - 4);
  const options = maskingOptions(special, probability);
  const rng = createRng(seed);
  const left = maskSegment([special.cls, ...a, special.sep], options, rng.int(2 ** 31));
  const right = maskSegment([special.sep, ...b, special.sep], options, rng.int(2 ** 31));
  return {
    objective: 'tlm',
    ids: [...left.ids, ...right.ids],
    positions: [...segmentPositions(left.ids.length, special.pad), ...segmentPositions(right.ids.length, special.pad)],
    labels: [...left.labels, ...right.labels],
  };
}

/** `<s> A </s></s> B </s>` with continuous positions (one input, as fine-tuning on pairs sees it). */
export function nspRow(first: number[], second: number[], isNext: boolean, maxLength: number, special: SpecialIds, probability: number, seed: number): PretrainRow {
  const [a, b] = truncatePair(first, second, maxLength - 4);
  const m = maskSegment([special.cls, ...a, special.sep, special.sep, ...b, special.sep], maskingOptions(special, probability), seed);
  return { objective: 'nsp', ids: m.ids, positions: segmentPositions(m.ids.length, special.pad), labels: m.labels, nspLabel: isNext ? 1 : 0 };
}

/** Rows per objective in a batch of `batchSize`: weights normalised, largest remainder, at least 1 each. */
export function objectiveRowCounts(objectives: PretrainRecipe['objectives'], batchSize: number): Map<ObjectiveName, number> {
  const active = objectives.filter((o) => o.weight > 0);
  const total = active.reduce((s, o) => s + o.weight, 0);
  const exact = active.map((o) => (o.weight / total) * batchSize);
  const counts = exact.map((x) => Math.max(1, Math.floor(x)));
  let left = batchSize - counts.reduce((s, c) => s + c, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k][1]]++;
  for (let i = counts.length - 1; left < 0; i = (i - 1 + counts.length) % counts.length) {
    if (counts[i] > 1) {
      counts[i]--;
      left++;
    }
  }
  return new Map(active.map((o, i) => [o.name, counts[i]]));
}

/** Draws batches for a recipe from (seed): the same recipe gives the same batches. */
export class PretrainBatcher {
  private readonly rng: Rng;
  private readonly sampler: LanguageSampler;
  readonly counts: Map<ObjectiveName, number>;
  /** Translation pairs drawn so far (TLM rows and RANK batches), by "source:first-second" (multi-source corpora). */
  readonly pairsDrawn = new Map<string, number>();

  constructor(
    private readonly materials: PretrainMaterials,
    private readonly recipe: PretrainRecipe,
    private readonly special: SpecialIds,
    /** RANK batches draw their pairs from this many consecutive units of one source (absent: from all of them). */
    private readonly rankWindow?: number,
  ) {
    this.rng = createRng(recipe.seed * 7919 + 17);
    this.sampler = createLanguageSampler(materials.sizes, { alpha: recipe.alpha, rng: this.rng });
    this.counts = objectiveRowCounts(recipe.objectives, recipe.batchSize);
  }

  get hasNsp(): boolean {
    return this.counts.has('nsp');
  }

  get hasRank(): boolean {
    return this.counts.has('rank');
  }

  private seed(): number {
    return this.rng.int(2 ** 31);
  }

  private mlm(): PretrainRow {
    const stream = this.materials.streams.get(this.sampler.next())!;
    const width = this.recipe.maxLength - 2;
    const start = stream.length > width ? this.rng.int(stream.length - width + 1) : 0;
    return mlmRow(stream.slice(start, start + width), this.special, this.recipe.maskProbability, this.seed());
  }

  /** Two different languages and the units both have; none (only with odd paragraph splits) gives []. */
  private languagePair(): { first: string; second: string; units: Map<string, number[]>[] } {
    const parallel = this.materials.parallel;
    if (parallel) {
      // The source by its share, then two of its languages by the smoothed distribution (rejection sampling).
      const total = parallel.reduce((t, p) => t + p.weight, 0);
      let u = this.rng.next() * total;
      const source = parallel.find((p) => (u -= p.weight) < 0) ?? parallel[parallel.length - 1];
      const draw = () => {
        for (let tries = 0; tries < 10_000; tries++) {
          const lang = this.sampler.next();
          if (source.languages.has(lang)) return lang;
        }
        throw new Error(`translation pairs: the language sampler never drew a language of "${source.source}"`);
      };
      const first = draw();
      let second = draw();
      while (second === first) second = draw();
      const key = `${source.source}:${first}-${second}`;
      this.pairsDrawn.set(key, (this.pairsDrawn.get(key) ?? 0) + 1);
      return { first, second, units: source.units.filter((x) => x.has(first) && x.has(second)) };
    }
    const first = this.sampler.next();
    let second = this.sampler.next();
    while (second === first) second = this.sampler.next();
    return { first, second, units: this.materials.units.filter((u) => u.has(first) && u.has(second)) };
  }

  private tlm(): PretrainRow {
    const { first, second, units } = this.languagePair();
    // A language pair with no shared unit falls back to one language.
    if (!units.length) return this.mlm();
    const unit = units[this.rng.int(units.length)];
    return tlmRow(unit.get(first)!, unit.get(second)!, this.recipe.maxLength, this.special, this.recipe.maskProbability, this.seed());
  }

  private nsp(): PretrainRow {
    const paragraphs = this.materials.paragraphs.get(this.sampler.next())!;
    const i = this.rng.int(paragraphs.length - 1);
    const isNext = this.rng.next() < 0.5;
    let j = i + 1;
    if (!isNext) {
      // Any paragraph but A and its neighbours: a far one is "not next" by construction.
      do j = this.rng.int(paragraphs.length); while (Math.abs(j - i) <= 1);
    }
    return nspRow(paragraphs[i].ids, paragraphs[j].ids, isNext, this.recipe.maxLength, this.special, this.recipe.maskProbability, this.seed());
  }

  /**
   * `count` rows of translation ranking: count / 2 paragraphs of one language pair (distinct units) and their
   * translations; an odd count gets one more row, so there are at least two pairs to rank.
   */
  private rank(count: number): PretrainRow[] {
    let { first, second, units } = this.languagePair();
    const pairs = Math.max(2, Math.ceil(count / 2));
    for (let tries = 0; units.length < pairs; tries++) {
      if (tries === 100) throw new Error(`translation ranking: no two languages of the recipe share ${pairs} paragraphs`);
      ({ first, second, units } = this.languagePair());
    }
    const chosen = this.rankWindow ? this.neighbours(units, first, second, pairs, this.rankWindow) : [];
    while (chosen.length < pairs) {
      const u = this.rng.int(units.length);
      if (!chosen.includes(u)) chosen.push(u);
    }
    const width = this.recipe.maxLength - 2;
    const options = maskingOptions(this.special, this.recipe.maskProbability);
    const row = (ids: number[], pair: number, side: 0 | 1): PretrainRow => {
      const m = maskSegment([this.special.cls, ...ids.slice(0, width), this.special.sep], options, this.seed());
      return { objective: 'rank', ids: m.ids, positions: segmentPositions(m.ids.length, this.special.pad), labels: m.labels, rank: { pair, side } };
    };
    return chosen.flatMap((u, pair) => [row(units[u].get(first)!, pair, 0), row(units[u].get(second)!, pair, 1)]);
  }

  /**
   * Harder negatives: `pairs` units drawn from `window` consecutive ones (a source's units are in its own order,
   * so these are neighbouring verses of one chapter, or articles of one declaration), leaving out a unit whose text
   * on either side repeats one already drawn (a refrain is not a negative of itself). Returns fewer when the window
   * has too few distinct units; the caller fills up from anywhere.
   */
  private neighbours(units: Map<string, number[]>[], first: string, second: string, pairs: number, window: number): number[] {
    const start = units.length > window ? this.rng.int(units.length - window + 1) : 0;
    const end = Math.min(units.length, start + window);
    const seen = new Set<string>();
    const chosen: number[] = [];
    for (let tries = 0; chosen.length < pairs && tries < 4 * window; tries++) {
      const u = start + this.rng.int(end - start);
      if (chosen.includes(u)) continue;
      const texts = [units[u].get(first)!.join(' '), units[u].get(second)!.join(' ')].map((t, side) => `${side}:${t}`);
      if (texts.some((t) => seen.has(t))) continue;
      texts.forEach((t) => seen.add(t));
      chosen.push(u);
    }
    return chosen;
  }

  next(): PretrainRow[] {
    const rows: PretrainRow[] = [];
    for (const [objective, count] of this.counts) {
      if (objective === 'rank') rows.push(...this.rank(count));
      else for (let k = 0; k < count; k++) rows.push(this[objective]());
    }
    return rows;
  }
}

/**
 * Rows padded on the right to the longest, as the pre-training graph's inputs: input_ids, attention_mask,
 * position_ids (pads at the pad position), mlm_positions / mlm_labels (flat b * seq + s of each target), and
 * with NSP nsp_positions (b * seq, the `<s>` of each NSP row) / nsp_labels, and with RANK rows
 * rank_first / rank_second / rank_labels (below).
 */
export function pretrainFeeds(rows: readonly PretrainRow[], padId: number, withNsp: boolean): Record<string, ort.Tensor> {
  const seq = Math.max(...rows.map((r) => r.ids.length));
  const n = rows.length;
  const ids = new BigInt64Array(n * seq).fill(BigInt(padId));
  const mask = new BigInt64Array(n * seq);
  const positions = new BigInt64Array(n * seq).fill(BigInt(padId));
  const mlmPositions: bigint[] = [];
  const mlmLabels: bigint[] = [];
  const nspPositions: bigint[] = [];
  const nspLabels: bigint[] = [];
  rows.forEach((row, r) => {
    row.ids.forEach((id, s) => {
      ids[r * seq + s] = BigInt(id);
      mask[r * seq + s] = 1n;
      positions[r * seq + s] = BigInt(row.positions[s]);
      if (row.labels[s] !== IGNORE_LABEL) {
        mlmPositions.push(BigInt(r * seq + s));
        mlmLabels.push(BigInt(row.labels[s]));
      }
    });
    if (row.nspLabel !== undefined) {
      nspPositions.push(BigInt(r * seq));
      nspLabels.push(BigInt(row.nspLabel));
    }
  });
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [n, seq]),
    attention_mask: new ort.Tensor('int64', mask, [n, seq]),
    position_ids: new ort.Tensor('int64', positions, [n, seq]),
    mlm_positions: new ort.Tensor('int64', BigInt64Array.from(mlmPositions), [mlmPositions.length]),
    mlm_labels: new ort.Tensor('int64', BigInt64Array.from(mlmLabels), [mlmLabels.length]),
  };
  if (rows.some((r) => r.rank)) {
    // rank_first[i] / rank_second[i]: the rows of pair i's two sides (row indices into the batch).
    const sides = [new Map<number, number>(), new Map<number, number>()];
    rows.forEach((row, r) => row.rank && sides[row.rank.side].set(row.rank.pair, r));
    const order = [...sides[0].keys()].sort((a, b) => a - b);
    feeds.rank_first = new ort.Tensor('int64', BigInt64Array.from(order, (p) => BigInt(sides[0].get(p)!)), [order.length]);
    feeds.rank_second = new ort.Tensor('int64', BigInt64Array.from(order, (p) => BigInt(sides[1].get(p)!)), [order.length]);
    feeds.rank_labels = new ort.Tensor('int64', BigInt64Array.from(order, (_, i) => BigInt(i)), [order.length]);
  }
  if (withNsp) {
    feeds.nsp_positions = new ort.Tensor('int64', BigInt64Array.from(nspPositions), [nspPositions.length]);
    feeds.nsp_labels = new ort.Tensor('int64', BigInt64Array.from(nspLabels), [nspLabels.length]);
  }
  return feeds;
}
