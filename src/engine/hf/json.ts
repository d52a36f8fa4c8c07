import { readFileSync } from 'node:fs';
import { XlmError } from '../errors.js';
import { assertRegularFile, ioError } from '../io-errors.js';
import { hfError } from './hf-error.js';

/**
 * Reads a JSON file of a model folder. A syntax error becomes an XlmError at the file's line and
 * column (V8 reports only a character position), so editors can jump to it.
 */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    assertRegularFile(path, 'a JSON file');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof XlmError && e.code === 'io/missing') throw hfError('file-missing', path, 'the file does not exist');
    throw ioError(e, path);
  }
  return parseJsonText(text, path);
}

export function parseJsonText(text: string, file: string): unknown {
  // A UTF-8 byte-order mark is legal in files written on Windows; JSON.parse rejects it.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    const message = (e as Error).message;
    const position = /position (\d+)/.exec(message);
    const at = position ? Number(position[1]) : /end of JSON input/.test(message) ? body.length : undefined;
    const place = at === undefined ? {} : lineAndColumn(body, at);
    // The place is in the error's line and column; V8's wording of it ("in JSON at position 2 (line 1 column 3)") goes.
    const what = /end of JSON input/.test(message) ? 'the file ends before the JSON does' : message.replace(/\s*in JSON at position \d+.*$/s, '').replace(/^Unexpected token/, 'unexpected character').replace(/^./, (c) => c.toLowerCase());
    throw new XlmError('hf/json-syntax', `not valid JSON: ${what}`, { file, ...place });
  }
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names a JSON value's type the way a user thinks of it, for "expected X, got Y" messages. */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}
