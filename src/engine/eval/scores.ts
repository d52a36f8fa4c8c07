/**
 * From per-row predictions to the metrics evaluation reports, pooled and per language. One place for both
 * `xlm eval` and evaluation during training, so a metric has the same name and meaning in eval.json, in
 * metrics.jsonl eval lines and on the dashboard:
 * - classification / NLI: loss (mean cross-entropy per row), accuracy, macro_f1, micro_f1;
 * - token classification: loss (per labelled word), accuracy (per word), and for BIO label sets the
 *   entity-level precision, recall, f1 (seqeval's default);
 * - masked-LM: loss (per masked token), perplexity, accuracy (top-1) and top{k}_accuracy, a tie with the
 *   original token counting as a miss.
 */
import {
  classificationByLanguage,
  entityMetricsByLanguage,
  type ClassMetrics,
  type EntityMetrics,
  type EntityTypeMetrics,
} from '../metrics/index.js';

export interface TaskScores {
  /** Over all rows. */
  metrics: Record<string, number>;
  /** The same metrics for each language's rows, languages sorted by code. */
  perLanguage: Record<string, Record<string, number>>;
  /** Classification: precision, recall, F1 and support of every class (pooled). */
  classes?: ClassMetrics[];
  /** Classification: gold rows × predicted columns, in `labels` order (pooled). */
  confusion?: { labels: string[]; matrix: number[][] };
  /** NER: entity scores per entity type (pooled). */
  entityTypes?: EntityTypeMetrics[];
}

export interface ClassifiedRow {
  gold: string;
  predicted: string;
  /** Cross-entropy of the gold label. */
  loss: number;
  language: string;
}

/**
 * Accuracy, macro and micro F1, pooled and per language. When each row's language is its own label (a language
 * identifier's eval file without a language column), a language's group holds one gold class, where macro F1 over
 * the group's gold and predicted labels means little (a user saw 0.40 for a group of three Russian rows, one called
 * Ukrainian): such a group gets its label's own F1 instead (precision counted over every row), beside its accuracy.
 */
export function classificationScores(rows: readonly ClassifiedRow[], labels: readonly string[], languagesAreLabels = false): TaskScores {
  const byLanguage = classificationByLanguage(
    rows.map((r) => r.gold),
    rows.map((r) => r.predicted),
    rows.map((r) => r.language),
    labels,
  );
  const losses = meanBy(rows, (r) => r.language, (r) => [r.loss, 1]);
  const summary = (m: { accuracy: number; macroF1: number; microF1: number }, loss: number) => ({ loss, accuracy: m.accuracy, macro_f1: m.macroF1, micro_f1: m.microF1 });
  const ownF1 = new Map(languagesAreLabels ? byLanguage.all.perClass.map((c) => [c.label, c.f1]) : []);
  const perLanguage = (l: string, m: { accuracy: number; macroF1: number; microF1: number }) => {
    const f1 = ownF1.get(l);
    return f1 === undefined ? summary(m, losses.languages[l]) : { loss: losses.languages[l], accuracy: m.accuracy, f1 };
  };
  return {
    metrics: summary(byLanguage.all, losses.all),
    perLanguage: Object.fromEntries(Object.entries(byLanguage.languages).map(([l, m]) => [l, perLanguage(l, m)])),
    classes: byLanguage.all.perClass,
    confusion: byLanguage.all.confusion,
  };
}

export interface TaggedRow {
  gold: readonly string[];
  predicted: readonly string[];
  /** Summed cross-entropy over the words that were scored, and how many they were. */
  lossSum: number;
  lossWords: number;
  language: string;
}

/** Whether a label set is BIO-style (B-/I- prefixes), where entity-level scores mean something. */
export function isBioLabelSet(labels: readonly string[]): boolean {
  return labels.some((l) => /^[BIES]-/.test(l));
}

export function taggingScores(rows: readonly TaggedRow[], labels: readonly string[]): TaskScores {
  const byLanguage = entityMetricsByLanguage(
    rows.map((r) => r.gold),
    rows.map((r) => r.predicted),
    rows.map((r) => r.language),
  );
  const losses = meanBy(rows, (r) => r.language, (r) => [r.lossSum, r.lossWords]);
  const entities = isBioLabelSet(labels);
  const summary = (m: EntityMetrics, loss: number): Record<string, number> =>
    entities ? { loss, accuracy: m.tokenAccuracy, precision: m.precision, recall: m.recall, f1: m.f1 } : { loss, accuracy: m.tokenAccuracy };
  const scores: TaskScores = {
    metrics: summary(byLanguage.all, losses.all),
    perLanguage: Object.fromEntries(Object.entries(byLanguage.languages).map(([l, m]) => [l, summary(m, losses.languages[l])])),
  };
  if (entities) scores.entityTypes = byLanguage.all.perType;
  return scores;
}

export interface MaskedRowScore {
  /** Summed cross-entropy over the row's masked tokens. */
  lossSum: number;
  masked: number;
  /** Rank of the original token at each masked position (other entries scoring at least as high: a tie is a miss). */
  ranks: ArrayLike<number>;
  language: string;
}

export const DEFAULT_TOP_K: readonly number[] = [1, 5];

export function maskedScores(rows: readonly MaskedRowScore[], ks: readonly number[] = DEFAULT_TOP_K): TaskScores {
  const summarize = (group: readonly MaskedRowScore[]): Record<string, number> => {
    let lossSum = 0;
    let masked = 0;
    const hits = ks.map(() => 0);
    for (const r of group) {
      lossSum += r.lossSum;
      masked += r.masked;
      for (let p = 0; p < r.ranks.length; p++) ks.forEach((k, i) => (hits[i] += r.ranks[p] < k ? 1 : 0));
    }
    const loss = masked === 0 ? 0 : lossSum / masked;
    const out: Record<string, number> = { loss, perplexity: Math.exp(loss) };
    ks.forEach((k, i) => (out[k === 1 ? 'accuracy' : `top${k}_accuracy`] = masked === 0 ? 0 : hits[i] / masked));
    out.masked_tokens = masked;
    return out;
  };
  const groups = groupRows(rows, (r) => r.language);
  return {
    metrics: summarize(rows),
    perLanguage: Object.fromEntries([...groups].map(([l, group]) => [l, summarize(group)])),
  };
}

function groupRows<R>(rows: readonly R[], languageOf: (r: R) => string): Map<string, R[]> {
  const groups = new Map<string, R[]>();
  for (const r of rows) {
    const language = languageOf(r);
    let group = groups.get(language);
    if (!group) groups.set(language, (group = []));
    group.push(r);
  }
  return new Map([...groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** Weighted means of a per-row [sum, weight] pair, over all rows and per language. */
function meanBy<R>(rows: readonly R[], languageOf: (r: R) => string, part: (r: R) => [number, number]): { all: number; languages: Record<string, number> } {
  const mean = (group: readonly R[]): number => {
    let sum = 0;
    let weight = 0;
    for (const r of group) {
      const [s, w] = part(r);
      sum += s;
      weight += w;
    }
    return weight === 0 ? 0 : sum / weight;
  };
  const languages: Record<string, number> = {};
  for (const [l, group] of groupRows(rows, languageOf)) languages[l] = mean(group);
  return { all: mean(rows), languages };
}

/** Cross-entropy of class `gold` under `logits` (nats), computed stably. */
export function crossEntropyOf(logits: ArrayLike<number>, gold: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return max + Math.log(sum) - logits[gold];
}
