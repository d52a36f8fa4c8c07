/**
 * Which column is the text, the pair, the label, the language: detected from the names people use
 * (text/sentence/content, premise/hypothesis, sentence1/sentence2, text_a/text_b, label/gold_label/labels/category,
 * lang/language or a first side's premise_lang/sentence1_lang/lang1, tokens/words + tags/ner_tags/labels), overridable
 * by option. Problems that concern the whole
 * file (no text column, an override naming a column that is not there) throw at once; problems of one row are
 * the mapper's business (rows.ts).
 */
import { XlmError, field, said } from '../errors.js';
import type { ColumnMapping, DataFormat, DataKind, ReadOptions } from './types.js';

export const COLUMN_NAMES = {
  text: ['text', 'sentence', 'content', 'premise', 'sentence1', 'text_a', 'source', 'src'],
  pair: ['text_pair', 'hypothesis', 'sentence2', 'text_b', 'target', 'tgt'],
  label: ['label', 'gold_label', 'labels', 'category'],
  // A pair file that names each side's language (premise_lang / hypothesis_lang) is grouped by its first side's.
  language: ['lang', 'language', 'premise_lang', 'sentence1_lang', 'text_lang', 'lang1', 'src_lang', 'source_lang'],
  tokens: ['tokens', 'words'],
  tags: ['tags', 'ner_tags', 'labels', 'label'],
} as const;

/** Lower-case names that mark the first row of a CSV/TSV as a header. */
export const KNOWN_COLUMNS: ReadonlySet<string> = new Set(Object.values(COLUMN_NAMES).flat());

/** Columns named by language codes (a parallel TSV with header `en<TAB>fr`). */
const LANGUAGE_CODE = /^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$/;
const PARALLEL_PAIR_NAMES = new Set(['target', 'tgt']);

export interface ColumnPlan {
  kind: DataKind;
  columns: ColumnMapping;
  /** Languages named by a parallel TSV's header. */
  language?: string;
  pairLanguage?: string;
}

export function planColumns(fieldNames: readonly string[], format: DataFormat, options: ReadOptions, file: string): ColumnPlan {
  if (format === 'conll') return finish({ kind: 'token-classification', columns: { tokens: 'tokens', tags: 'tags', language: 'language' } }, options, file, fieldNames, true);
  if (format === 'text') return finish({ kind: 'masked-lm', columns: { text: 'text' } }, options, file, fieldNames, true);
  if (format === 'parallel' && fieldNames.includes('textPair')) return finish({ kind: 'parallel', columns: { text: 'text', pair: 'textPair' } }, options, file, fieldNames, true);

  const find = (candidates: readonly string[]): string | undefined => {
    for (const c of candidates) {
      const hit = fieldNames.find((n) => n.toLowerCase() === c);
      if (hit !== undefined) return hit;
    }
    return undefined;
  };
  const override = (name: string | undefined, option: string): string | undefined => {
    if (name === undefined) return undefined;
    const hit = fieldNames.find((n) => n === name) ?? fieldNames.find((n) => n.toLowerCase() === name.toLowerCase());
    if (hit === undefined) {
      throw new XlmError(
        'data/no-such-column',
        said`${field(option)} '${name}' is not a column of this file; its columns are: ${fieldNames.join(', ') || '(none found)'}`,
        { file, what: name },
      );
    }
    return hit;
  };

  const columns: ColumnMapping = {};
  const plan: ColumnPlan = { kind: 'masked-lm', columns };
  const positional = fieldNames.length > 0 && fieldNames.every((n, i) => n === `column${i + 1}`);
  const codeHeader = fieldNames.length === 2 && fieldNames.every((n) => LANGUAGE_CODE.test(n)) && !fieldNames.some((n) => KNOWN_COLUMNS.has(n.toLowerCase()));

  if (positional || codeHeader) {
    // No header (or one made of language codes): columns by position.
    const parallel = codeHeader || options.kind === 'parallel' || format === 'parallel';
    columns.text = fieldNames[0];
    if (parallel) {
      columns.pair = fieldNames[1];
      if (codeHeader) {
        plan.language = fieldNames[0];
        plan.pairLanguage = fieldNames[1];
      }
    } else if (fieldNames.length === 2) columns.label = fieldNames[1];
    else if (fieldNames.length >= 3) {
      columns.pair = fieldNames[1];
      columns.label = fieldNames[2];
    }
  } else {
    columns.tokens = find(COLUMN_NAMES.tokens);
    if (columns.tokens !== undefined) columns.tags = find(COLUMN_NAMES.tags);
    else {
      columns.text = find(COLUMN_NAMES.text);
      columns.pair = find(COLUMN_NAMES.pair);
      columns.label = find(COLUMN_NAMES.label);
    }
    columns.language = find(COLUMN_NAMES.language);
  }

  const overrides: [keyof ColumnMapping, string | undefined, keyof ReadOptions][] = [
    ['text', options.textColumn, 'textColumn'],
    ['pair', options.pairColumn, 'pairColumn'],
    ['label', options.labelColumn, 'labelColumn'],
    ['language', options.languageColumn, 'languageColumn'],
    ['tokens', options.tokensColumn, 'tokensColumn'],
    ['tags', options.tagsColumn, 'tagsColumn'],
  ];
  for (const [key, name, option] of overrides) {
    const hit = override(name, option);
    if (hit !== undefined) columns[key] = hit;
  }
  for (const key of Object.keys(columns) as (keyof ColumnMapping)[]) if (columns[key] === undefined) delete columns[key];

  plan.kind =
    options.kind ??
    (columns.tokens !== undefined
      ? 'token-classification'
      : format === 'parallel' || plan.pairLanguage !== undefined || (columns.pair !== undefined && PARALLEL_PAIR_NAMES.has(columns.pair.toLowerCase()))
        ? 'parallel'
        : columns.pair !== undefined
          ? 'pair-classification'
          : columns.label !== undefined
            ? 'sequence-classification'
            : 'masked-lm');
  return finish(plan, options, file, fieldNames, false);
}

/** Checks that the kind's required columns exist, with a message that lists what the file has. */
function finish(plan: ColumnPlan, options: ReadOptions, file: string, fieldNames: readonly string[], fixedLayout: boolean): ColumnPlan {
  if (fieldNames.length === 0 || fixedLayout) return plan;
  const { kind, columns } = plan;
  const have = fieldNames.join(', ');
  const need = (present: string | undefined, what: string, names: readonly string[], option: keyof ReadOptions): void => {
    if (present !== undefined) return;
    if (fieldNames.includes('translation') && columns.text === undefined) {
      throw new XlmError(
        'data/parallel-text',
        said`${file} holds parallel text for translation ({"translation": {...}} rows), not ${kind} data: translation training reads it, and data inspection summarises it when no ${field('format')} is given`,
        { file, line: 1 },
      );
    }
    throw new XlmError(
      'data/no-column',
      said`${file}: no ${what} column for ${kind}; looked for ${names.join(', ')} among: ${have}. Name it with ${field(option)}.`,
      { file, line: 1 },
    );
  };
  if (kind === 'token-classification') {
    need(columns.tokens, 'tokens', COLUMN_NAMES.tokens, 'tokensColumn');
    need(columns.tags, 'tags', COLUMN_NAMES.tags, 'tagsColumn');
    return plan;
  }
  need(columns.text, 'text', COLUMN_NAMES.text, 'textColumn');
  if (kind === 'pair-classification' || kind === 'parallel') need(columns.pair, 'pair', COLUMN_NAMES.pair, 'pairColumn');
  if ((kind === 'pair-classification' || kind === 'sequence-classification') && !options.labelsOptional) {
    need(columns.label, 'label', COLUMN_NAMES.label, 'labelColumn');
  }
  return plan;
}
