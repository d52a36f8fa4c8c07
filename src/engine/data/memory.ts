/**
 * A whole validated dataset in memory, for data small enough to shuffle by index: texts in arrays, labels,
 * languages and source lines as typed-array ids, so a million rows cost their strings plus a few bytes each
 * instead of a million Example objects. Label ids follow the given label set (labels / id2label order), or
 * a stable order of the labels seen (sorted; for NER tags: O, then B-/I- by type), so a run's label ids do
 * not depend on row order.
 */
import { orderTags } from './bio.js';
import { openDataset } from './dataset.js';
import type { ColumnMapping, DataFormat, DataKind, Example, ReadOptions, ReadReport } from './types.js';

interface Store {
  texts: string[];
  pairs: string[] | null;
  labelIds: Int32Array;
  languageIds: Int32Array;
  tokens: string[][] | null;
  tagIds: Int32Array[] | null;
  lines: Int32Array;
}

export interface DatasetInfo {
  path: string;
  format: DataFormat;
  kind: DataKind;
  columns: ColumnMapping;
  report: ReadReport;
  /** Language of the pair side (parallel text), when known. */
  pairLanguage?: string;
}

export class LoadedDataset {
  readonly size: number;

  constructor(
    readonly info: DatasetInfo,
    private readonly store: Store,
    /** Class names (or NER tags), indexed by label id. */
    readonly labels: readonly string[],
    /** Language codes, indexed by language id. */
    readonly languages: readonly string[],
  ) {
    this.size = store.texts.length;
  }

  text(i: number): string {
    return this.store.texts[i];
  }
  textPair(i: number): string | undefined {
    return this.store.pairs?.[i];
  }
  /** -1 when the row has no label. */
  labelId(i: number): number {
    return this.store.labelIds[i];
  }
  /** -1 when the row has no language. */
  languageId(i: number): number {
    return this.store.languageIds[i];
  }
  language(i: number): string | undefined {
    const id = this.store.languageIds[i];
    return id < 0 ? undefined : this.languages[id];
  }
  tokens(i: number): string[] | undefined {
    return this.store.tokens?.[i];
  }
  /** NER tag ids (into `labels`), one per token. */
  tagIds(i: number): Int32Array | undefined {
    return this.store.tagIds?.[i];
  }
  line(i: number): number {
    return this.store.lines[i];
  }

  example(i: number): Example {
    const example: Example = { text: this.store.texts[i], source: { file: this.info.path, line: this.store.lines[i] } };
    const pair = this.textPair(i);
    if (pair !== undefined) example.textPair = pair;
    const labelId = this.store.labelIds[i];
    if (labelId >= 0 && this.store.tagIds === null) example.label = this.labels[labelId];
    const language = this.language(i);
    if (language !== undefined) example.language = language;
    if (this.info.pairLanguage !== undefined) example.pairLanguage = this.info.pairLanguage;
    const tokens = this.tokens(i);
    if (tokens !== undefined) {
      example.tokens = tokens;
      example.tags = Array.from(this.store.tagIds![i], (id) => this.labels[id]);
    }
    return example;
  }

  *[Symbol.iterator](): IterableIterator<Example> {
    for (let i = 0; i < this.size; i++) yield this.example(i);
  }

  /** A dataset of the given rows (in that order), sharing strings with this one. */
  select(indices: ArrayLike<number>): LoadedDataset {
    const pick = <T>(values: T[]): T[] => Array.from(indices, (i) => values[i]);
    const pickIds = (values: Int32Array): Int32Array => Int32Array.from(indices, (i) => values[i]);
    const s = this.store;
    return new LoadedDataset(
      this.info,
      {
        texts: pick(s.texts),
        pairs: s.pairs && pick(s.pairs),
        labelIds: pickIds(s.labelIds),
        languageIds: pickIds(s.languageIds),
        tokens: s.tokens && pick(s.tokens),
        tagIds: s.tagIds && pick(s.tagIds),
        lines: pickIds(s.lines),
      },
      this.labels,
      this.languages,
    );
  }

  /** Row indices per language id (rows without a language are left out). */
  indicesByLanguage(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (let i = 0; i < this.size; i++) {
      const language = this.language(i);
      if (language === undefined) continue;
      let list = out.get(language);
      if (!list) out.set(language, (list = []));
      list.push(i);
    }
    return out;
  }
}

/** Reads and validates the whole file (under the options' error policy) into a LoadedDataset. */
export async function loadDataset(path: string, options: ReadOptions = {}): Promise<LoadedDataset> {
  const dataset = await openDataset(path, options);
  const ner = dataset.kind === 'token-classification';
  const texts: string[] = [];
  const pairs: string[] = [];
  const tokens: string[][] = [];
  const rawTags: string[][] = [];
  const rawLabels: (string | undefined)[] = [];
  const rawLanguages: (string | undefined)[] = [];
  const lines: number[] = [];
  let pairLanguage: string | undefined;
  for await (const batch of dataset.batches()) {
    for (const example of batch) {
      texts.push(example.text);
      if (example.textPair !== undefined) pairs.push(example.textPair);
      rawLabels.push(example.label);
      rawLanguages.push(example.language);
      lines.push(example.source.line);
      if (ner) {
        tokens.push(example.tokens!);
        rawTags.push(example.tags!);
      }
      pairLanguage ??= example.pairLanguage;
    }
  }

  const given = options.labels ?? (options.id2label ? idOrder(options.id2label) : undefined);
  const seenLabels = ner ? rawTags.flat() : rawLabels.filter((l): l is string => l !== undefined);
  const labels = given ? [...given] : ner ? orderTags(seenLabels) : [...new Set(seenLabels)].sort();
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const languages = [...new Set(rawLanguages.filter((l): l is string => l !== undefined))].sort();
  const languageIndex = new Map(languages.map((l, i) => [l, i]));

  const store: Store = {
    texts,
    pairs: pairs.length === texts.length && pairs.length > 0 ? pairs : null,
    labelIds: Int32Array.from(rawLabels, (l) => (l === undefined ? -1 : labelIndex.get(l)!)),
    languageIds: Int32Array.from(rawLanguages, (l) => (l === undefined ? -1 : languageIndex.get(l)!)),
    tokens: ner ? tokens : null,
    tagIds: ner ? rawTags.map((tags) => Int32Array.from(tags, (t) => labelIndex.get(t)!)) : null,
    lines: Int32Array.from(lines),
  };
  const info: DatasetInfo = { path, format: dataset.format, kind: dataset.kind, columns: dataset.columns, report: dataset.report };
  if (pairLanguage !== undefined) info.pairLanguage = pairLanguage;
  return new LoadedDataset(info, store, labels, languages);
}

/** id2label's names in id order (HF configs key ids as strings). */
export function idOrder(id2label: Readonly<Record<string | number, string>>): string[] {
  return Object.entries(id2label)
    .map(([id, name]) => [Number(id), name] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, name]) => name);
}
