/**
 * JSON Lines: one JSON object per line (MultiNLI's and most Hugging Face exports). Blank lines are skipped;
 * every other line is a record or an error naming the column where the JSON goes wrong.
 */
import { locateJsonError } from './json-error.js';
import { readLineBatches, type LineReaderOptions } from './lines.js';
import { locateJsonKey, repeatedTopLevelKey, type RecordItem } from './record.js';

export async function* readJsonl(path: string, options: LineReaderOptions = {}): AsyncGenerator<RecordItem[]> {
  const file = options.displayName ?? path;
  for await (const batch of readLineBatches(path, options)) {
    const out: RecordItem[] = [];
    for (const { line, text, problem } of batch) {
      if (problem) {
        out.push({ kind: 'error', error: problem });
        continue;
      }
      if (isBlank(text)) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        const found = locateJsonError(text);
        out.push({ kind: 'error', error: { file, line, column: found.index + 1, code: 'invalid-json', reason: `invalid JSON: ${found.reason}` } });
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
        const column = text.length - text.trimStart().length + 1;
        out.push({ kind: 'error', error: { file, line, column, code: 'not-an-object', reason: `expected a JSON object per line, found ${what}` } });
        continue;
      }
      const repeated = repeatedTopLevelKey(text);
      if (repeated) {
        const reason = `the key ${JSON.stringify(repeated.key)} appears twice in this row; JSON keeps only the last value, so the row is left out rather than read with one value lost (keep one of the two)`;
        out.push({ kind: 'error', error: { file, line, column: repeated.index + 1, code: 'duplicate-key', reason } });
        continue;
      }
      out.push({
        kind: 'record',
        source: { file, line },
        fields: value as Record<string, unknown>,
        locate: (field) => locateJsonKey(text, line, field),
      });
    }
    if (out.length > 0) yield out;
  }
}

export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0b && c !== 0x0c && c !== 0xa0 && c !== 0xfeff) return false;
  }
  return true;
}
