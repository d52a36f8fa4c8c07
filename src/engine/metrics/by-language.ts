/**
 * Every metric per language: the rows are grouped by their example's language and the same metric is
 * computed on each group, beside the pooled result over all rows. This is how zero-shot cross-lingual
 * transfer is read (train on English, score each language of XNLI or WikiANN).
 */
import { classificationMetrics, type ClassificationMetrics } from './classification.js';
import { entityMetrics, type EntityMetrics } from './ner.js';

export interface PerLanguage<R> {
  /** Over all rows, languages pooled. */
  all: R;
  /** One result per language code (rows without a language are only in `all`). */
  languages: Record<string, R>;
}

/** Row indices by language, languages sorted by code. */
export function groupByLanguage(languages: readonly (string | undefined)[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  languages.forEach((language, i) => {
    if (language === undefined) return;
    let group = groups.get(language);
    if (!group) groups.set(language, (group = []));
    group.push(i);
  });
  return new Map([...groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** `compute` over all rows and over each language's rows. */
export function perLanguage<R>(languages: readonly (string | undefined)[], compute: (indices: readonly number[]) => R): PerLanguage<R> {
  const out: Record<string, R> = {};
  for (const [language, indices] of groupByLanguage(languages)) out[language] = compute(indices);
  return { all: compute(languages.map((_, i) => i)), languages: out };
}

const pick = <T>(values: readonly T[], indices: readonly number[]): T[] => indices.map((i) => values[i]);

export function classificationByLanguage(
  gold: readonly string[],
  predicted: readonly string[],
  languages: readonly (string | undefined)[],
  labels?: readonly string[],
): PerLanguage<ClassificationMetrics> {
  // The pooled result averages over the whole label list (the model's labels when given, absent classes
  // scoring 0, as scikit-learn does with `labels=`). Each language averages over its own gold ∪ predicted
  // labels, as scikit-learn does without `labels=`: a language whose rows all carry one label is not
  // divided by every class the model knows. Its confusion matrix still uses the shared list, so every
  // language's matrix has the same rows and columns.
  const classes = labels ?? [...new Set([...gold, ...predicted])].sort();
  const all = classificationMetrics(gold, predicted, classes);
  const out: Record<string, ClassificationMetrics> = {};
  for (const [language, rows] of groupByLanguage(languages)) {
    const g = pick(gold, rows);
    const p = pick(predicted, rows);
    const own = classificationMetrics(g, p);
    out[language] = { ...own, confusion: classificationMetrics(g, p, classes).confusion };
  }
  return { all, languages: out };
}

export function entityMetricsByLanguage(
  gold: readonly (readonly string[])[],
  predicted: readonly (readonly string[])[],
  languages: readonly (string | undefined)[],
): PerLanguage<EntityMetrics> {
  return perLanguage(languages, (rows) => entityMetrics(pick(gold, rows), pick(predicted, rows)));
}

/**
 * Flat `name` and `name/language` keys (`accuracy`, `accuracy/de`), the shape of an eval line in
 * metrics.jsonl and of eval.json's metrics.
 */
export function flattenPerLanguage(result: PerLanguage<Readonly<Record<string, number>>>): Record<string, number> {
  const flat: Record<string, number> = { ...result.all };
  for (const [language, metrics] of Object.entries(result.languages)) {
    for (const [name, value] of Object.entries(metrics)) flat[`${name}/${language}`] = value;
  }
  return flat;
}

/** The headline numbers of a classification result, for tables and flat metric records. */
export function classificationSummary(m: ClassificationMetrics): Record<string, number> {
  return { accuracy: m.accuracy, macro_f1: m.macroF1, micro_f1: m.microF1 };
}
