/**
 * The audit's checks that need no trained model: duplicates with conflicting labels (exact, or near: equal once
 * normalised), rows in another language than the other rows of their language value, and rows far longer
 * than the rest. Each returns the rows it flags with what it would suggest.
 */
import type { LoadedDataset } from '../data/index.js';

export interface DuplicateConflict {
  /** Rows of one text (or pair) whose labels disagree, in file order. */
  rows: number[];
  /** 'exact': the texts are equal as written; 'near': equal after normalisation only. */
  kind: 'exact' | 'near';
  /** The label most of the group has (ties: the one the model's probabilities favour), suggested for the others. */
  majority: number;
}

/** NFKC, case folded, punctuation and symbols dropped, whitespace runs made one space, trimmed. */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\p{P}\p{S}]+/gu, ' ').replace(/\s+/gu, ' ').trim();
}

/**
 * Groups of rows whose normalised text (and pair) is equal and whose labels are not all the same. `preference`
 * breaks a tie between labels (the summed probability the model gives each class over the group's rows).
 */
export function conflictingDuplicates(data: LoadedDataset, preference?: (rows: readonly number[], label: number) => number): DuplicateConflict[] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < data.size; i++) {
    const pair = data.textPair(i);
    const key = normaliseText(data.text(i)) + (pair === undefined ? '' : '\u0000' + normaliseText(pair));
    if (key === '') continue;
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  }
  const out: DuplicateConflict[] = [];
  for (const rows of groups.values()) {
    if (rows.length < 2) continue;
    const counts = new Map<number, number>();
    for (const i of rows) counts.set(data.labelId(i), (counts.get(data.labelId(i)) ?? 0) + 1);
    if (counts.size < 2) continue;
    const top = Math.max(...counts.values());
    const tied = [...counts.entries()].filter(([, c]) => c === top).map(([l]) => l).sort((a, b) => a - b);
    const majority = tied.length > 1 && preference ? tied.reduce((best, l) => (preference(rows, l) > preference(rows, best) ? l : best)) : tied[0];
    const exact = rows.every((i) => data.text(i) === data.text(rows[0]) && data.textPair(i) === data.textPair(rows[0]));
    out.push({ rows, kind: exact ? 'exact' : 'near', majority });
  }
  return out.sort((a, b) => a.rows[0] - b.rows[0]);
}

export interface LanguageOutlier {
  row: number;
  /** What the row's text reads as (a language code of the identifier, or a script name). */
  detected: string;
  /** What the other rows of its language value read as. */
  expected: string;
  /** The language value whose rows read like this one, when the file has one. */
  suggested?: string;
  /** How sure the identifier is of `detected` (1 for a script). */
  confidence: number;
}

/**
 * With a language column: each language value's rows are identified (`detect`), the value's usual reading is what
 * most of its rows read as, and a row that reads as something else (at `minConfidence` or more) is flagged.
 */
export function languageOutliers(data: LoadedDataset, detected: readonly { label: string; score: number }[], minConfidence = 0.5): LanguageOutlier[] {
  const byValue = data.indicesByLanguage();
  const usual = new Map<string, string>();
  for (const [value, rows] of byValue) usual.set(value, mostCommon(rows.map((i) => detected[i].label)));
  // A reading that is some other value's usual one suggests that value.
  const valueOfReading = new Map<string, string>();
  for (const [value, reading] of usual) if (!valueOfReading.has(reading)) valueOfReading.set(reading, value);
  const out: LanguageOutlier[] = [];
  for (const [value, rows] of byValue) {
    const expected = usual.get(value)!;
    if (rows.length < 3) continue;
    for (const i of rows) {
      const d = detected[i];
      if (d.label === expected || d.score < minConfidence) continue;
      const suggested = valueOfReading.get(d.label);
      out.push({ row: i, detected: d.label, expected, confidence: d.score, ...(suggested !== undefined && suggested !== value ? { suggested } : {}) });
    }
  }
  return out.sort((a, b) => a.row - b.row);
}

export interface LengthOutlier {
  row: number;
  /** Characters of text (and pair). */
  length: number;
  /** The median length of the rows it is compared with: those of its language value when the file has one, else of its label. */
  median: number;
}

/** How many times the median length a row must reach to count as far longer than the rest. */
export const LENGTH_FACTOR = 5;

/**
 * Rows at least LENGTH_FACTOR times the median length and longer than 200 characters (NER: words joined by spaces).
 * Each row is compared with its own language's rows when the file has a language column, else with its label's
 * (NER: the whole file), since scripts differ in how many characters a sentence takes (a Japanese sentence is a
 * third of an English one) and a language-identification file's label is the language.
 */
export function lengthOutliers(data: LoadedDataset): LengthOutlier[] {
  const lengths = Array.from({ length: data.size }, (_, i) => [...data.text(i)].length + [...(data.textPair(i) ?? '')].length);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < data.size; i++) {
    const key = data.info.columns.language !== undefined ? data.languageId(i) : data.info.kind === 'token-classification' ? 0 : data.labelId(i);
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  }
  const out: LengthOutlier[] = [];
  for (const rows of groups.values()) {
    const sorted = rows.map((i) => lengths[i]).sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    for (const row of rows) if (lengths[row] >= LENGTH_FACTOR * Math.max(median, 1) && lengths[row] > 200) out.push({ row, length: lengths[row], median });
  }
  return out.sort((a, b) => a.row - b.row);
}

function mostCommon(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = values[0];
  for (const [v, c] of counts) if (c > counts.get(best)! || (c === counts.get(best)! && v < best)) best = v;
  return best;
}
