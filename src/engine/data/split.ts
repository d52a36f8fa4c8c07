/**
 * Train/eval splits: two explicit files, or one file split by a seeded, stratified draw, so the held-out part
 * has the same label mix (and the same language mix, when rows have languages) as the whole, and the same
 * seed gives the same split on every machine.
 */
import { createRng } from '../rng/rng.js';
import { loadDataset, type LoadedDataset } from './memory.js';
import { mixSeed, shuffledIndices } from './shuffle.js';
import type { ReadOptions } from './types.js';
import { XlmError } from '../errors.js';

export interface SplitOptions {
  /** Share of rows held out, in (0, 1). */
  evalFraction: number;
  seed: number;
  /** Keep each label's (and language's) share equal in both parts (default true). */
  stratify?: boolean;
}

export interface Split {
  train: LoadedDataset;
  eval: LoadedDataset;
}

export function stratifiedSplit(data: LoadedDataset, options: SplitOptions): Split {
  const { evalFraction, seed } = options;
  if (!(evalFraction > 0 && evalFraction < 1)) {
    throw new XlmError('data/bad-split', `evalFraction must be between 0 and 1 (exclusive), got ${evalFraction}`);
  }
  if (data.size < 2) throw new XlmError('data/too-small-to-split', `${data.info.path} has ${data.size} row${data.size === 1 ? '' : 's'}: too few to split into train and eval`, { file: data.info.path });

  // Groups of rows sharing (label, language); one group when not stratifying.
  const groups = new Map<number, number[]>();
  const stratify = options.stratify ?? true;
  const ner = data.info.kind === 'token-classification';
  for (let i = 0; i < data.size; i++) {
    const label = stratify && !ner ? data.labelId(i) + 1 : 0;
    const language = stratify ? data.languageId(i) + 1 : 0;
    const key = label * (data.languages.length + 1) + language;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(i);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);

  // Each group's exact share, rounded down, then the rows still owed go to the largest remainders.
  let total = Math.round(evalFraction * data.size);
  total = Math.min(data.size - 1, Math.max(1, total));
  const quota = new Map<number, number>();
  let given = 0;
  for (const key of keys) {
    const q = Math.floor(evalFraction * groups.get(key)!.length);
    quota.set(key, q);
    given += q;
  }
  const byRemainder = [...keys].sort((a, b) => {
    const ra = evalFraction * groups.get(a)!.length - quota.get(a)!;
    const rb = evalFraction * groups.get(b)!.length - quota.get(b)!;
    return rb - ra || a - b;
  });
  for (let k = 0; given < total; k = (k + 1) % byRemainder.length) {
    const key = byRemainder[k];
    if (quota.get(key)! < groups.get(key)!.length) {
      quota.set(key, quota.get(key)! + 1);
      given++;
    }
  }

  const rng = createRng(mixSeed(seed, 0x5b1d));
  const evalRows: number[] = [];
  const trainRows: number[] = [];
  for (const key of keys) {
    const rows = groups.get(key)!;
    const order = shuffledIndices(rows.length, rng);
    const take = quota.get(key)!;
    for (let k = 0; k < rows.length; k++) (k < take ? evalRows : trainRows).push(rows[order[k]]);
  }
  // File order inside each part: the trainer shuffles per epoch anyway, and reports read better in order.
  trainRows.sort((a, b) => a - b);
  evalRows.sort((a, b) => a - b);
  return { train: data.select(trainRows), eval: data.select(evalRows) };
}

export interface SplitFilesOptions extends ReadOptions {
  /** A held-out file; when absent, `evalFraction` of the training file is held out. */
  evalPath?: string;
  evalFraction?: number;
  seed?: number;
  stratify?: boolean;
}

/**
 * The trainer's way in for data that fits in memory: explicit files, or a seeded stratified split of one.
 * An eval file is read with the training file's label set, so a label the model never saw is reported there.
 */
export async function loadSplits(trainPath: string, options: SplitFilesOptions = {}): Promise<Split & { how: 'files' | 'split' }> {
  const { evalPath, evalFraction = 0.1, seed = 42, stratify, ...readOptions } = options;
  const train = await loadDataset(trainPath, readOptions);
  if (evalPath !== undefined) {
    const evalOptions: ReadOptions = { ...readOptions, kind: train.info.kind };
    if (!readOptions.labels && !readOptions.id2label && train.labels.length > 0) evalOptions.labels = train.labels;
    const held = await loadDataset(evalPath, evalOptions);
    return { train, eval: held, how: 'files' };
  }
  return { ...stratifiedSplit(train, { evalFraction, seed, stratify }), how: 'split' };
}
