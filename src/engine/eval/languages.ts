/**
 * The language of each evaluation row, for per-language metrics: the data's language column (or WikiANN's
 * `xx:` prefixes) when it has one; for a language-identification file (no language column, every label a language
 * code, at least three), the row's own label, since that is its language; otherwise guessed from the writing system. A script stands for a language
 * only where one language owns it (Hangul → ko, Thai → th); Latin or Cyrillic text is grouped under the
 * script's name, since guessing a language from those would be a coin toss.
 */
import { detectScript, languageOfScript, type LoadedDataset } from '../data/index.js';
import { looksLikeLanguageHeader } from '../data/language-codes.js';

export interface RowLanguages {
  /** One entry per row. */
  languages: string[];
  source: LanguageSource;
}

/** Where the rows' languages came from: the language column, the labels (language identification), or the script. */
export type LanguageSource = 'column' | 'label' | 'script';

export function rowLanguages(data: LoadedDataset): RowLanguages {
  const fromColumn = Array.from({ length: data.size }, (_, i) => data.language(i));
  if (fromColumn.some((l) => l !== undefined)) {
    // Rows without a language in a file that has the column are grouped by their script.
    return { languages: fromColumn.map((l, i) => l ?? scriptLanguage(rowText(data, i))), source: 'column' };
  }
  // Language identification: the label is the row's language (grouping by script would pool Russian with Ukrainian).
  if (data.tagIds(0) === undefined && data.labels.length >= 3 && data.labels.every((l) => looksLikeLanguageHeader(l))) {
    return { languages: Array.from({ length: data.size }, (_, i) => (data.labelId(i) >= 0 ? data.labels[data.labelId(i)]! : scriptLanguage(rowText(data, i)))), source: 'label' };
  }
  return { languages: Array.from({ length: data.size }, (_, i) => scriptLanguage(rowText(data, i))), source: 'script' };
}

function rowText(data: LoadedDataset, i: number): string {
  const pair = data.textPair(i);
  return pair === undefined ? data.text(i) : `${data.text(i)} ${pair}`;
}

function scriptLanguage(text: string): string {
  const script = detectScript(text);
  return languageOfScript(script) ?? script;
}
