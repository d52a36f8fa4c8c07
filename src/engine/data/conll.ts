/**
 * CoNLL-2003 and WikiANN-style NER files: one token per line, columns split by spaces or tabs, the token in
 * the first column and its tag in the last; a blank line ends a sentence; `-DOCSTART-` lines separate
 * documents. WikiANN prefixes each token with its language (`en:Paris`); when every token of a sentence has
 * the same such prefix it becomes the sentence's language. One record per sentence, at its first token's line.
 */
import { DEFAULT_MAX_LINE_BYTES, readLineBatches, type LineReaderOptions } from './lines.js';
import type { RecordItem } from './record.js';
import type { DataError } from './types.js';
import { field, reasonNaming, said } from '../errors.js';

const LANGUAGE_PREFIX = /^([a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?):(.+)$/;

interface Sentence {
  /** Characters held for the sentence so far: capped by maxLineBytes like a line, so a file with no blank lines cannot fill memory. */
  chars: number;
  tokens: string[];
  tags: string[];
  lines: number[];
  tagColumns: number[];
  problem: DataError | null;
}

export async function* readConll(path: string, options: LineReaderOptions = {}): AsyncGenerator<RecordItem[]> {
  const file = options.displayName ?? path;
  const maxChars = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let sentence: Sentence | null = null;

  const close = (out: RecordItem[]): void => {
    if (sentence === null) return;
    const done = sentence;
    sentence = null;
    if (done.problem) {
      out.push({ kind: 'error', error: done.problem });
      return;
    }
    const fields: Record<string, unknown> = { tokens: done.tokens, tags: done.tags };
    const language = sharedPrefix(done.tokens);
    if (language !== null) {
      fields.tokens = done.tokens.map((t) => t.slice(language.length + 1));
      fields.language = language;
    }
    out.push({
      kind: 'record',
      source: { file, line: done.lines[0] },
      fields,
      locate: (field, index = 0) => {
        const i = Math.min(index, done.lines.length - 1);
        if (field === 'tags') return { line: done.lines[i], column: done.tagColumns[i] };
        return { line: done.lines[i], column: 1 };
      },
    });
  };

  for await (const batch of readLineBatches(path, options)) {
    const out: RecordItem[] = [];
    for (const { line, text, problem } of batch) {
      const trimmed = text.trim();
      if (!problem && (trimmed === '' || trimmed.startsWith('-DOCSTART-'))) {
        close(out);
        continue;
      }
      sentence ??= { chars: 0, tokens: [], tags: [], lines: [], tagColumns: [], problem: null };
      if (problem) {
        // The sentence is refused at its bad line; its other lines are still consumed up to the blank line.
        sentence.problem ??= problem;
        continue;
      }
      const columns = trimmed.split(/[ \t]+/);
      if (columns.length < 2) {
        sentence.problem ??= {
          file,
          line,
          column: text.length - text.trimStart().length + 1,
          code: 'wrong-column-count',
          reason: `a token line needs the token and its tag separated by a space or tab, found one column '${columns[0]}'`,
        };
        continue;
      }
      sentence.chars += text.length;
      if (sentence.chars > maxChars) {
        // Refused at its first line; its tokens are let go and the lines up to the next blank line only counted.
        sentence.problem ??= {
          file,
          line: sentence.lines[0] ?? line,
          code: 'line-too-long',
          ...reasonNaming(said`this sentence runs over ${maxChars} characters (to line ${line} and on): is a blank line missing between sentences? (raise ${field('maxLineBytes')} if such sentences are meant to be there)`),
        };
        sentence.tokens = [];
        sentence.tags = [];
        sentence.lines = [];
        sentence.tagColumns = [];
        continue;
      }
      if (sentence.problem) continue;
      const tag = columns[columns.length - 1];
      sentence.tokens.push(columns[0]);
      sentence.tags.push(tag);
      sentence.lines.push(line);
      sentence.tagColumns.push(text.trimEnd().length - tag.length + 1);
    }
    if (out.length > 0) yield out;
  }
  const out: RecordItem[] = [];
  close(out);
  if (out.length > 0) yield out;
}

function sharedPrefix(tokens: readonly string[]): string | null {
  const first = LANGUAGE_PREFIX.exec(tokens[0]);
  if (!first) return null;
  const prefix = first[1] + ':';
  for (const token of tokens) if (!token.startsWith(prefix) || token.length === prefix.length) return null;
  return first[1];
}
