/**
 * What an evaluation leaves behind: eval.json (everything but the per-row predictions, which go to a JSONL
 * file of their own when asked for) and the text report `xlm eval` prints: the overall metrics, the
 * XNLI-style per-language table (a column per language, the average over languages, and the pooled value),
 * and the per-class (or per-entity-type) table with the confusion matrix.
 */
import { formatDataErrorNaming, withReasonsNamed } from '../data/types.js';
import type { NameOption } from '../errors.js';
import { writeWhole } from '../io-errors.js';
import { formatLanguageTable, orderLanguages } from '../metrics/index.js';
import type { EvalResult } from './evaluate.js';

export type EvalJson = Omit<EvalResult, 'predictions'> & { languages: string[] };

/** eval.json's content: skipped rows' reasons name options as `name` says (the CLI: its flags). */
export function evalJson(result: EvalResult, name: NameOption): EvalJson {
  const { predictions: _predictions, ...rest } = result;
  return { ...rest, skipped: withReasonsNamed(result.skipped, name), languages: orderLanguages(Object.keys(result.perLanguage)) };
}

/** Writes through a temporary name, so a reader never sees half a file. */
export function writeJsonFile(path: string, value: unknown): void {
  writeWhole(path, JSON.stringify(value, null, 2) + '\n');
}

export function writePredictions(path: string, result: EvalResult): void {
  writeWhole(path, result.predictions.map((p) => JSON.stringify(p)).join('\n') + (result.predictions.length ? '\n' : ''));
}

/** Metrics shown as percentages in tables; the others (loss, perplexity, counts) as plain numbers. */
const RATIO = /(accuracy|f1|precision|recall|exact_match)$/;

/** Whether a metric is a share, shown as a percentage (accuracy, the F1s, precision, recall, exact match). */
export function isRatio(name: string): boolean {
  return RATIO.test(name);
}

/** The metric rows of the per-language table, in reading order. */
function tableMetrics(result: EvalResult): string[] {
  const present = new Set(Object.keys(result.metrics));
  const order = ['accuracy', 'macro_f1', 'micro_f1', 'f1', 'precision', 'recall', ...Object.keys(result.metrics).filter((k) => /^top\d+_accuracy$/.test(k))];
  return order.filter((k) => present.has(k));
}

/** Ratio metrics that only languages have, not the pooled scores: a label-grouped file's own-label f1. */
function languageOnlyRatios(pooled: Readonly<Record<string, number>>, perLanguage: Readonly<Record<string, Readonly<Record<string, number>>>>, languages: readonly string[]): string[] {
  return [...new Set(languages.flatMap((l) => Object.keys(perLanguage[l]!)))].filter((k) => RATIO.test(k) && !(k in pooled));
}

/** The text report; a skipped row's reason names options as `name` says (the CLI: its flags). */
export function formatEvalReport(result: EvalResult, name: NameOption): string {
  const lines: string[] = [];
  const languages = orderLanguages(Object.keys(result.perLanguage));
  // Without a language column the groups are scripts, named for their language where one language writes it
  // (Greek: el), by the script's name where many do (Latin): said so, not counted as languages.
  const groups =
    result.languageSource === 'column' || result.languageSource === 'label'
      ? `${languages.length} language${languages.length === 1 ? '' : 's'} (from the ${result.languageSource === 'column' ? 'language column' : 'labels, which are languages'})`
      : `${languages.length} script group${languages.length === 1 ? '' : 's'} (no language column: a script one language writes is named for it, as el for Greek; others, such as Latin, by the script)`;
  lines.push(`${result.task} on ${result.examples} examples of ${result.data}; ${groups}`);
  if (result.skipped.errorCount) lines.push(`${result.skipped.errorCount} bad rows were skipped (first: ${describeFirst(result, name)})`);
  if (result.truncatedRows) lines.push(`${result.truncatedRows} rows were cut at ${result.maxLength} tokens${result.task === 'token-classification' ? ' (their cut-off words count as O)' : ''}`);
  lines.push('');
  lines.push(`overall: ${Object.entries(result.metrics).map(([k, v]) => `${k} ${show(k, v)}${RATIO.test(k) ? '%' : ''}`).join('  ')}`);

  const perLanguageOnly = languageOnlyRatios(result.metrics, result.perLanguage, languages);
  const ratios = [...tableMetrics(result), ...perLanguageOnly];
  if (languages.length > 0) {
    lines.push('');
    lines.push(result.languageSource !== 'script' ? 'per language (%; avg = mean over languages, all = pooled over rows):' : 'per script group (%; avg = mean over the groups, all = pooled over rows):');
    const rows = [...ratios, 'loss'].filter((name) => name in result.metrics || perLanguageOnly.includes(name)).map((name) => ({
      name,
      values: Object.fromEntries(languages.map((l) => [l, result.perLanguage[l][name]])),
      pooled: result.metrics[name],
    }));
    // Loss is not a percentage: a table of its own keeps each table's scale honest.
    const percent = rows.filter((r) => r.name !== 'loss');
    if (percent.length) lines.push(formatLanguageTable(percent, { languages, pooled: true, title: 'metric' }));
    const loss = rows.find((r) => r.name === 'loss');
    if (loss) lines.push('', formatLanguageTable([loss], { languages, pooled: true, scale: 1, digits: 4, title: 'nats' }));
    if (result.classes && 'macro_f1' in result.metrics) lines.push(macroNote(result.classes.length, result.languageSource === 'label'));
  }

  if (result.classes) {
    lines.push('');
    lines.push('per class (precision, recall and f1 in %):');
    lines.push(...table(['label', 'precision', 'recall', 'f1', 'support'], result.classes.map((c) => [c.label, pct(c.precision), pct(c.recall), pct(c.f1), String(c.support)])));
  }
  if (result.confusion) {
    lines.push('');
    lines.push('confusion matrix (rows: gold, columns: predicted):');
    const { labels, matrix } = result.confusion;
    lines.push(...table(['', ...labels], matrix.map((row, i) => [labels[i], ...row.map(String)])));
  }
  if (result.entityTypes) {
    lines.push('');
    lines.push('per entity type (precision, recall and f1 in %):');
    lines.push(...table(['type', 'precision', 'recall', 'f1', 'support', 'predicted'], result.entityTypes.map((t) => [t.type, pct(t.precision), pct(t.recall), pct(t.f1), String(t.support), String(t.predicted)])));
  }
  return lines.join('\n') + '\n';
}

/**
 * The XNLI-style table of an eval line's flat metrics (`accuracy`, `accuracy/de`, ...): a column per language,
 * the mean over languages and the pooled value; undefined when the line has no per-language keys.
 */
export function formatEvalLineTable(flat: Readonly<Record<string, number>>): string | undefined {
  const perLanguage: Record<string, Record<string, number>> = {};
  for (const [key, value] of Object.entries(flat)) {
    const slash = key.indexOf('/');
    if (slash < 0) continue;
    (perLanguage[key.slice(slash + 1)] ??= {})[key.slice(0, slash)] = value;
  }
  const languages = orderLanguages(Object.keys(perLanguage));
  if (languages.length === 0) return undefined;
  // Pooled metrics first, then those only languages have.
  const pooled = Object.fromEntries(Object.entries(flat).filter(([k]) => !k.includes('/')));
  const names = [...Object.keys(pooled).filter((k) => RATIO.test(k)), ...languageOnlyRatios(pooled, perLanguage, languages)];
  const rows = names.map((name) => ({ name, values: Object.fromEntries(languages.map((l) => [l, perLanguage[l][name]])), pooled: flat[name] }));
  return formatLanguageTable(rows, { languages, pooled: true, title: 'metric' }) + '\n';
}

/** Which labels each macro average is over: they differ, and a reader comparing the columns needs to know. */
function macroNote(modelLabels: number, byLabel: boolean): string {
  const pooled = `macro_f1: "all" averages over the model's ${modelLabels} labels (one neither in the data nor predicted counts as 0)`;
  return byLabel ? `${pooled}; f1: each language's is its own label's F1 over every row (each row counts under its label, so a language's rows hold one label)` : `${pooled}; each language over its own gold and predicted labels`;
}

function describeFirst(result: EvalResult, name: NameOption): string {
  const e = result.skipped.errors[0];
  return e ? formatDataErrorNaming(e, name) : 'not kept';
}

function show(key: string, value: number): string {
  if (RATIO.test(key)) return pct(value);
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(4);
}

function pct(value: number): string {
  return (value * 100).toFixed(1);
}

/** Left-aligned first column, right-aligned numbers. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`);
}
