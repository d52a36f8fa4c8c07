/**
 * Plain text for masked-LM (one sentence per line; blank lines are paragraph breaks, not rows) and parallel
 * text as two line-aligned files (line n of one is the translation of line n of the other).
 */
import { isBlank } from './jsonl.js';
import { readLineBatches, type LineReaderOptions, type TextLine } from './lines.js';
import type { RecordItem } from './record.js';

export async function* readTextLines(path: string, options: LineReaderOptions = {}): AsyncGenerator<RecordItem[]> {
  const file = options.displayName ?? path;
  for await (const batch of readLineBatches(path, options)) {
    const out: RecordItem[] = [];
    for (const { line, text, problem } of batch) {
      if (problem) out.push({ kind: 'error', error: problem });
      else if (!isBlank(text)) out.push({ kind: 'record', source: { file, line }, fields: { text } });
    }
    if (out.length > 0) yield out;
  }
}

/** Reads lines of a file on demand, a chunk at a time underneath. */
class LineCursor {
  private batch: TextLine[] = [];
  private index = 0;
  private readonly source: AsyncGenerator<TextLine[]>;

  constructor(path: string, options: LineReaderOptions) {
    this.source = readLineBatches(path, options);
  }

  /** The next batch of lines not yet taken, or null at the end of the file. */
  async rest(): Promise<TextLine[] | null> {
    if (this.index < this.batch.length) {
      const rest = this.batch.slice(this.index);
      this.index = this.batch.length;
      return rest;
    }
    const next = await this.source.next();
    if (next.done) return null;
    this.batch = next.value;
    this.index = this.batch.length;
    return this.batch;
  }

  /** Puts back the lines of `lines` from `from` on, to be returned by the next rest(). */
  unread(lines: TextLine[], from: number): void {
    this.batch = lines;
    this.index = from;
  }

  async close(): Promise<void> {
    await this.source.return(undefined);
  }
}

export async function* readParallelFiles(
  sourcePath: string,
  targetPath: string,
  options: LineReaderOptions & { targetDisplayName?: string } = {},
): AsyncGenerator<RecordItem[]> {
  const file = options.displayName ?? sourcePath;
  const targetFile = options.targetDisplayName ?? targetPath;
  const sources = new LineCursor(sourcePath, { ...options, displayName: file });
  const targets = new LineCursor(targetPath, { ...options, displayName: targetFile });
  try {
    let left = await sources.rest();
    let right = await targets.rest();
    // Lines paired so far: when one file ends, its line count.
    let paired = 0;
    while (left !== null && right !== null) {
      const n = Math.min(left.length, right.length);
      if (n > 0) paired = left[n - 1].line;
      const out: RecordItem[] = [];
      for (let i = 0; i < n; i++) {
        const a = left[i];
        const b = right[i];
        if (a.problem || b.problem) {
          out.push({ kind: 'error', error: (a.problem ?? b.problem)! });
          continue;
        }
        const emptyA = isBlank(a.text);
        const emptyB = isBlank(b.text);
        if (emptyA && emptyB) continue;
        if (emptyA || emptyB) {
          out.push({
            kind: 'error',
            error: {
              file: emptyA ? file : targetFile,
              line: a.line,
              code: 'empty-text',
              reason: `line ${a.line} is empty here but not in ${emptyA ? targetFile : file}: the files are out of step or a translation is missing`,
            },
          });
          continue;
        }
        out.push({ kind: 'record', source: { file, line: a.line }, fields: { text: a.text, textPair: b.text } });
      }
      if (out.length > 0) yield out;
      if (n < left.length) sources.unread(left, n);
      if (n < right.length) targets.unread(right, n);
      left = await sources.rest();
      right = await targets.rest();
    }
    const longer = left !== null ? { cursor: sources, lines: left, name: file, other: targetFile, otherLines: paired } : right !== null ? { cursor: targets, lines: right, name: targetFile, other: file, otherLines: paired } : null;
    if (longer) {
      // Trailing blank lines on one side are harmless; the first real line without a partner is one error
      // for the whole unmatched tail (a million "no partner" rows would bury the cause). The rest of the longer
      // file is counted, so the message can give both line counts.
      let lines: TextLine[] | null = longer.lines;
      let unmatched: TextLine | undefined;
      let count = 0;
      while (lines !== null) {
        unmatched ??= lines.find((l) => l.problem !== undefined || !isBlank(l.text));
        if (lines.length) count = lines[lines.length - 1].line;
        lines = await longer.cursor.rest();
      }
      if (unmatched !== undefined) {
        yield [
          {
            kind: 'error',
            error: {
              file: longer.name,
              line: unmatched.line,
              code: 'unaligned',
              reason: `${longer.name} has ${count} lines and ${longer.other} has ${longer.otherLines}: parallel files must have the same number of lines (line ${unmatched.line} on has no partner in ${longer.other} and is not read)`,
            },
          },
        ];
      }
    }
  } finally {
    await sources.close();
    await targets.close();
  }
}
