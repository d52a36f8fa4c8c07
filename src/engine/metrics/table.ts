/**
 * The XNLI-style table of cross-lingual results: one column per language and the unweighted average over the
 * languages shown (the convention of the XNLI and XLM-R papers), one row per metric, as plain text for a
 * terminal, a log or a markdown code block.
 */
import type { PerLanguage } from './by-language.js';

/** XNLI's language order, so tables read the way papers print them; other languages follow, sorted. */
const XNLI_ORDER = ['en', 'fr', 'es', 'de', 'el', 'bg', 'ru', 'tr', 'ar', 'vi', 'th', 'zh', 'hi', 'sw', 'ur'];

export interface LanguageTableRow {
  name: string;
  values: Readonly<Record<string, number | undefined>>;
  /** The pooled value over all rows, shown in the `all` column when the table has one. */
  pooled?: number;
}

export interface LanguageTableOptions {
  /** Column order; default: XNLI's order for its languages, then the rest sorted. */
  languages?: readonly string[];
  /** Values are multiplied by this before printing (default 100: accuracies as percentages). */
  scale?: number;
  digits?: number;
  /** Add the `all` column with each row's pooled value (default false). */
  pooled?: boolean;
  /** Title of the first column (default empty). */
  title?: string;
}

export function orderLanguages(languages: Iterable<string>): string[] {
  const set = new Set(languages);
  const known = XNLI_ORDER.filter((l) => set.has(l));
  const rest = [...set].filter((l) => !XNLI_ORDER.includes(l)).sort();
  return [...known, ...rest];
}

export function formatLanguageTable(rows: readonly LanguageTableRow[], options: LanguageTableOptions = {}): string {
  const scale = options.scale ?? 100;
  const digits = options.digits ?? 1;
  const languages = options.languages ? [...options.languages] : orderLanguages(rows.flatMap((r) => Object.keys(r.values)));
  const show = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '-' : (v * scale).toFixed(digits));

  const header = [options.title ?? '', ...languages, 'avg', ...(options.pooled ? ['all'] : [])];
  const body = rows.map((row) => {
    const present = languages.map((l) => row.values[l]).filter((v): v is number => v !== undefined && !Number.isNaN(v));
    const average = present.length === 0 ? undefined : present.reduce((s, v) => s + v, 0) / present.length;
    return [row.name, ...languages.map((l) => show(row.values[l])), show(average), ...(options.pooled ? [show(row.pooled)] : [])];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}

/** A table straight from a per-language result: one row per named metric. */
export function languageTable(result: PerLanguage<Readonly<Record<string, number>>>, metrics: readonly string[], options: LanguageTableOptions = {}): string {
  const rows = metrics.map((name) => {
    const values: Record<string, number | undefined> = {};
    for (const [language, m] of Object.entries(result.languages)) values[language] = m[name];
    return { name, values, pooled: result.all[name] };
  });
  return formatLanguageTable(rows, { ...options, languages: options.languages ?? orderLanguages(Object.keys(result.languages)) });
}
