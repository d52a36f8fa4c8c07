/**
 * What format readers hand to column mapping: a record (its named fields and where it starts) or a row
 * that is already known to be bad. Readers yield arrays of these, one array per chunk of the file, so the
 * per-row cost of async iteration is paid once per chunk.
 */
import type { DataError, SourcePosition } from './types.js';

export interface FieldPlace {
  line: number;
  column: number;
}

export interface RawRecord {
  kind: 'record';
  source: SourcePosition;
  fields: Record<string, unknown>;
  /** Where a field (or the index-th tag) sits, computed only when an error needs it. */
  locate?: (field: string, index?: number) => FieldPlace | undefined;
}

export interface RecordProblem {
  kind: 'error' | 'warning';
  error: DataError;
}

export type RecordItem = RawRecord | RecordProblem;

/** Where the value of `"key"` starts in a JSON line (or the key itself): enough to put an editor on the field. */
export function locateJsonKey(lineText: string, line: number, key: string): FieldPlace | undefined {
  const quoted = JSON.stringify(key);
  const skipSpace = (i: number): number => {
    while (i < lineText.length && /\s/.test(lineText[i])) i++;
    return i;
  };
  // The same text may also occur as a value ("label": "text"): a key is the occurrence followed by ':'.
  for (let at = lineText.indexOf(quoted); at !== -1; at = lineText.indexOf(quoted, at + 1)) {
    const colon = skipSpace(at + quoted.length);
    if (lineText[colon] !== ':') continue;
    const value = skipSpace(colon + 1);
    return { line, column: (value < lineText.length ? value : at) + 1 };
  }
  return undefined;
}
