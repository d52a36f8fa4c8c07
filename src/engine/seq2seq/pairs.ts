/**
 * A minimal reader of parallel text for translation training: `.jsonl` files hold one {"source": ..., "target": ...}
 * object a line; any other file one `source<TAB>target` pair a line. Blank lines are skipped; a line with an empty
 * side, a missing tab or a bad object is an error naming the file and line.
 */
import { readFileSync } from 'node:fs';
import { XlmError } from '../errors.js';
import { ioError } from '../io-errors.js';
import type { TranslationPair } from './features.js';

export function readParallelFile(file: string): TranslationPair[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw ioError(e, file);
  }
  const jsonl = /\.jsonl$/i.test(file);
  const pairs: TranslationPair[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const fail = (message: string) => new XlmError('bad-pair', message, { file, line: i + 1 });
    let source: unknown;
    let target: unknown;
    if (jsonl) {
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (e) {
        throw fail(`not a JSON object: ${(e as Error).message}`);
      }
      if (!row || typeof row !== 'object' || Array.isArray(row)) throw fail('expected an object with "source" and "target"');
      ({ source, target } = row as Record<string, unknown>);
    } else {
      const tab = line.indexOf('\t');
      if (tab < 0) throw fail('expected source<TAB>target; this line has no tab');
      source = line.slice(0, tab);
      target = line.slice(tab + 1);
    }
    if (typeof source !== 'string' || source.trim() === '') throw fail('the source side is empty or missing');
    if (typeof target !== 'string' || target.trim() === '') throw fail('the target side is empty or missing');
    pairs.push({ source, target });
  });
  return pairs;
}
