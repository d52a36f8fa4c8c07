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

/**
 * The first top-level key of a JSON object line that repeats an earlier one, and where it starts (0-based), for a
 * line JSON.parse accepted: JSON.parse keeps the last value of a repeated key and drops the others without a word,
 * so a row written `{"text": "a", "text": "b"}` would train on "b" alone. Strings are skipped by indexOf, so the
 * walk costs little beside the parse itself.
 */
export function repeatedTopLevelKey(text: string): { key: string; index: number } | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = text.indexOf('"', i + 1);
      for (;;) {
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (depth === 1 && expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (seen.has(key)) return { key, index: i };
        seen.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth === 1) expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1) {
      expectKey = true;
    }
  }
  return undefined;
}
