/**
 * One record → one Example, or the reason it cannot be one: a missing or empty text, a value of the wrong
 * type, a label outside the label set, tags that are not IOB2. The error points at the field's line and
 * column when the reader can say where it is.
 */
import { toIob2 } from './bio.js';
import { COLUMN_NAMES, type ColumnPlan } from './columns.js';
import { isBlank } from './jsonl.js';
import type { RawRecord, RecordProblem } from './record.js';
import { type DataError, type DataErrorCode, type DataFormat, type Example, type ReadOptions } from './types.js';
import { field as optionField, reasonNaming, said, type Said } from '../errors.js';

/** The classes of the XNLI format (XNLI-MT's 'contradictory' is read as contradiction). */
const XNLI_LABELS: readonly string[] = ['entailment', 'neutral', 'contradiction'];

export type RowMapper = (record: RawRecord) => Example | RecordProblem;

export function createRowMapper(plan: ColumnPlan, format: DataFormat, options: ReadOptions): RowMapper {
  const { columns, kind } = plan;
  const id2label = options.id2label;
  const labelSet = options.labels ? new Set(options.labels) : id2label ? new Set(Object.values(id2label)) : null;
  const labelList = labelSet ? [...labelSet].slice(0, 12).join(', ') + (labelSet.size > 12 ? ', ...' : '') : '';
  const needsLabel = (kind === 'sequence-classification' || kind === 'pair-classification') && !options.labelsOptional;
  const wantsPair = kind === 'pair-classification' || kind === 'parallel';
  const wantsLabel = kind === 'sequence-classification' || kind === 'pair-classification';
  const tagScheme = options.tagScheme ?? 'iob2';
  const language = plan.language ?? options.language;
  const pairLanguage = plan.pairLanguage ?? options.pairLanguage;

  const problem = (record: RawRecord, code: DataErrorCode, field: string | undefined, reason: string | Said, index?: number, severity: 'error' | 'warning' = 'error'): RecordProblem => {
    const place = field !== undefined ? record.locate?.(field, index) : undefined;
    const error: DataError = { file: record.source.file, line: place?.line ?? record.source.line, code, ...(typeof reason === 'string' ? { reason } : reasonNaming(reason)) };
    if (place !== undefined) error.column = place.column;
    return { kind: severity, error };
  };

  /** A row that has none of the columns the plan looks for (the plan came from a first row without them). */
  const noColumn = (record: RawRecord, what: keyof typeof COLUMN_NAMES, option: string): RecordProblem => {
    const has = Object.keys(record.fields);
    return problem(record, 'missing-column', undefined, said`no ${what} column: this row has ${has.length ? has.join(', ') : 'no fields'}; looked for ${COLUMN_NAMES[what].join(', ')} (or name it with ${optionField(option)})`);
  };

  /** A text field: present, a string, not blank. */
  const textOf = (record: RawRecord, column: string, what: string): string | RecordProblem => {
    const value = record.fields[column];
    if (value === undefined || value === null) return problem(record, 'missing-column', column, `no '${column}' (the ${what} column)`);
    if (typeof value !== 'string') return problem(record, 'wrong-type', column, `'${column}' must be a string, found ${describe(value)}`);
    if (isBlank(value)) return problem(record, 'empty-text', column, `'${column}' (the ${what}) is empty`);
    return value;
  };

  /** The first row label read without a label set: whether it was an id (a number) or a name. */
  let firstLabel: { kind: 'id' | 'name'; label: string; line: number } | undefined;

  /** A class name from a string or an id; undefined when absent and allowed to be. */
  const labelOf = (record: RawRecord, column: string, value: unknown, index?: number, checkSet = true): string | undefined | RecordProblem => {
    if (value === undefined || value === null || value === '') {
      if (!needsLabel && index === undefined) return undefined;
      return problem(record, 'missing-column', column, `no label: '${column}' is ${value === '' ? 'empty' : value === null ? 'null' : 'missing'}`, index);
    }
    let label: string;
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) return problem(record, 'wrong-type', column, `'${column}' must be a class name or an integer id, found ${value}`, index);
      if (id2label) {
        const name = id2label[value];
        if (name === undefined) return problem(record, 'unknown-label', column, `label id ${value} is not in id2label (ids: ${Object.keys(id2label).join(', ')})`, index);
        return name;
      }
      label = String(value);
    } else if (typeof value === 'string') {
      label = value.trim();
      if (label === '-' && index === undefined) {
        return problem(record, 'no-gold-label', column, `gold label '-': the annotators reached no consensus; the row is left out`, undefined, 'warning');
      }
      if (format === 'xnli' && label === 'contradictory') label = 'contradiction'; // XNLI-MT's name for the class
      if (format === 'xnli' && index === undefined && !XNLI_LABELS.includes(label)) {
        return problem(record, 'unknown-label', column, `label '${label}' is not an XNLI class: expected ${XNLI_LABELS.join(', ')} (or - for no consensus)`);
      }
      if (id2label && /^\d+$/.test(label) && !labelSet!.has(label)) {
        const name = id2label[label];
        if (name === undefined) return problem(record, 'unknown-label', column, `label id ${label} is not in id2label (ids: ${Object.keys(id2label).join(', ')})`, index);
        return name;
      }
    } else if (Array.isArray(value)) {
      return problem(record, 'wrong-type', column, `'${column}' holds a list: multi-label classification is not supported, give one label per row`, index);
    } else return problem(record, 'wrong-type', column, `'${column}' must be a class name or an integer id, found ${describe(value)}`, index);
    if (checkSet && labelSet && !labelSet.has(label)) return problem(record, 'unknown-label', column, `label '${label}' is not one of: ${labelList}`, index);
    if (index === undefined && !labelSet) {
      // Ids and names in one file ("0" beside "pos") would be taken as that many classes.
      const kind = /^-?\d+$/.test(label) ? 'id' : 'name';
      if (!firstLabel) firstLabel = { kind, label, line: record.source.line };
      else if (firstLabel.kind !== kind) {
        const first = `the first labelled row (line ${firstLabel.line}) has ${firstLabel.kind === 'id' ? 'the number' : 'the name'} '${firstLabel.label}'`;
        return problem(record, 'wrong-type', column, said`label '${label}' is ${kind === 'id' ? 'a number' : 'a name'}, but ${first}: give every row a name, or every row a number (named by the model's id2label or ${optionField('labelNames')})`, index);
      }
    }
    return label;
  };

  const languageOf = (record: RawRecord): string | undefined => {
    if (columns.language !== undefined) {
      const value = record.fields[columns.language];
      if (typeof value === 'string' && value.trim() !== '') return value.trim();
    }
    return language;
  };

  const tokenRow = (record: RawRecord): Example | RecordProblem => {
    if (columns.tokens === undefined) return noColumn(record, 'tokens', 'tokensColumn');
    if (columns.tags === undefined) return noColumn(record, 'tags', 'tagsColumn');
    const tokensColumn = columns.tokens;
    const tagsColumn = columns.tags;
    const tokens = record.fields[tokensColumn];
    const rawTags = record.fields[tagsColumn];
    if (tokens === undefined || tokens === null) return problem(record, 'missing-column', tokensColumn, `no '${tokensColumn}' (the tokens column)`);
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) return problem(record, 'wrong-type', tokensColumn, `'${tokensColumn}' must be a list of strings`);
    if (tokens.length === 0) return problem(record, 'empty-text', tokensColumn, `'${tokensColumn}' is an empty list`);
    if (rawTags === undefined || rawTags === null) return problem(record, 'missing-column', tagsColumn, `no '${tagsColumn}' (the tags column)`);
    if (!Array.isArray(rawTags)) return problem(record, 'wrong-type', tagsColumn, `'${tagsColumn}' must be a list of tags`);
    if (rawTags.length !== tokens.length) {
      return problem(record, 'tag-count', tagsColumn, `${tokens.length} tokens but ${rawTags.length} tags: one tag per token`);
    }
    const fileTags: string[] = [];
    for (let i = 0; i < rawTags.length; i++) {
      const value = rawTags[i];
      if (typeof value === 'number' && !id2label) {
        return problem(record, 'wrong-type', tagsColumn, said`tag ${i + 1} is the integer ${value}: integer tags need their names, from the model's id2label or ${optionField('labelNames')} (the tag names in id order)`, i);
      }
      // Names only here: the label set holds IOB2 tags, so it is checked after the scheme's conversion.
      const tag = labelOf(record, tagsColumn, value, i, false);
      if (tag === undefined) return problem(record, 'missing-column', tagsColumn, `tag ${i + 1} is missing`, i);
      if (typeof tag !== 'string') return tag;
      fileTags.push(tag);
    }
    const tags = toIob2(fileTags, tagScheme);
    if (!Array.isArray(tags)) return problem(record, 'invalid-bio', tagsColumn, said`token ${tags.index + 1} '${tokens[tags.index]}': ${tags.reason}`, tags.index);
    if (labelSet) {
      const unknown = tags.findIndex((t) => !labelSet.has(t));
      if (unknown !== -1) {
        const asRead = fileTags[unknown] === tags[unknown] ? `'${tags[unknown]}'` : `'${fileTags[unknown]}' (${tags[unknown]} in IOB2)`;
        return problem(record, 'unknown-label', tagsColumn, `tag ${asRead} is not one of: ${labelList}`, unknown);
      }
    }
    const example: Example = { text: tokens.join(' '), tokens, tags, source: record.source };
    const lang = languageOf(record);
    if (lang !== undefined) example.language = lang;
    return example;
  };

  return (record) => {
    if (kind === 'token-classification') return tokenRow(record);
    if (columns.text === undefined) return noColumn(record, 'text', 'textColumn');
    const text = textOf(record, columns.text, 'text');
    if (typeof text !== 'string') return text;
    const example: Example = { text, source: record.source };
    if (wantsPair) {
      if (columns.pair === undefined) return noColumn(record, 'pair', 'pairColumn');
      const pair = textOf(record, columns.pair, kind === 'parallel' ? 'translation' : 'pair');
      if (typeof pair !== 'string') return pair;
      example.textPair = pair;
    }
    if (wantsLabel && columns.label !== undefined) {
      const label = labelOf(record, columns.label, record.fields[columns.label]);
      if (typeof label === 'object') return label;
      if (label !== undefined) example.label = label;
    }
    const lang = languageOf(record);
    if (lang !== undefined) example.language = lang;
    if (kind === 'parallel' && pairLanguage !== undefined) example.pairLanguage = pairLanguage;
    return example;
  };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
