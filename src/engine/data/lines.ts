/**
 * Streams a file as decoded lines with exact 1-based line numbers, holding at most one read chunk (1 MiB) and
 * one line (capped by maxLineBytes) in memory, so a file of any size can be read. Lines split at LF bytes; a CR
 * before the LF is dropped (CRLF files), a UTF-8 byte order mark at the start of the file is dropped. A UTF-16
 * file (encoding.ts) is decoded to UTF-8 a chunk at a time first; a UTF-32 one is refused before any row.
 *
 * Each chunk is decoded in one call with a fatal decoder (fast); only when that fails is it decoded line by
 * line, to name the line and column of the bad bytes. A bad line still comes out (lossily decoded, with its
 * problem attached) so format readers keep their place, e.g. inside a multi-line CSV record.
 */
import { createReadStream } from 'node:fs';
import { TextDecoder } from 'node:util';
import { XlmError, field, reasonNaming, said } from '../errors.js';
import { sniffEncoding } from './encoding.js';
import type { DataError } from './types.js';

export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;
const CHUNK_BYTES = 1 << 20;
const LF = 0x0a;

export interface TextLine {
  line: number;
  text: string;
  /** Invalid UTF-8 or a line over the byte limit; `text` is then lossy or empty. */
  problem?: DataError;
}

export interface LineReaderOptions {
  maxLineBytes?: number;
  /** How the file is named in errors (defaults to the path). */
  displayName?: string;
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossyDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Batches of lines, one batch per chunk read: callers loop over a batch synchronously, which keeps streaming cheap. */
export async function* readLineBatches(path: string, options: LineReaderOptions = {}): AsyncGenerator<TextLine[]> {
  const file = options.displayName ?? path;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let lineNumber = 0;
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let firstChunk = true;
  let utf16: TextDecoder | null = null;

  const finishLine = (bytes: Buffer | null, totalBytes: number, out: TextLine[]): void => {
    lineNumber++;
    if (bytes === null) {
      out.push({
        line: lineNumber,
        text: '',
        problem: {
          file,
          line: lineNumber,
          code: 'line-too-long',
          ...reasonNaming(said`line is ${totalBytes} bytes, over the limit of ${maxLineBytes} (raise ${field('maxLineBytes')} if such lines are meant to be there)`),
        },
      });
      return;
    }
    out.push(decodeLine(bytes, lineNumber, file));
  };

  for await (const raw of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
    let chunk = raw as Buffer;
    if (firstChunk) {
      firstChunk = false;
      const sniffed = sniffEncoding(chunk, file);
      chunk = chunk.subarray(sniffed.bomBytes);
      if (sniffed.encoding !== 'utf-8') utf16 = new TextDecoder(sniffed.encoding, { fatal: true, ignoreBOM: true });
    }
    if (utf16 !== null) chunk = transcode(utf16, chunk, false, file, lineNumber + 1);
    const out: TextLine[] = [];
    let start = 0;
    const firstNewline = chunk.indexOf(LF);
    if (firstNewline === -1) {
      carryBytes += chunk.length;
      if (carryBytes <= maxLineBytes) carry.push(chunk);
      else carry = [];
      continue;
    }
    if (carryBytes > 0) {
      const total = carryBytes + firstNewline;
      const bytes = total <= maxLineBytes ? Buffer.concat([...carry, chunk.subarray(0, firstNewline)]) : null;
      finishLine(bytes, total, out);
      carry = [];
      carryBytes = 0;
      start = firstNewline + 1;
    }
    const lastNewline = chunk.lastIndexOf(LF);
    if (lastNewline >= start) decodeSpan(chunk, start, lastNewline, maxLineBytes, out, () => ++lineNumber, file);
    const rest = chunk.subarray(lastNewline + 1);
    if (rest.length > 0) {
      carryBytes = rest.length;
      // Copied: the chunk is released once its lines are out, the carried tail must not pin it.
      carry = carryBytes <= maxLineBytes ? [Buffer.from(rest)] : [];
    }
    if (out.length > 0) yield out;
  }
  if (utf16 !== null) {
    const tail = transcode(utf16, Buffer.alloc(0), true, file, lineNumber + 1);
    if (tail.length > 0) {
      carryBytes += tail.length;
      if (carryBytes <= maxLineBytes) carry.push(tail);
      else carry = [];
    }
  }
  if (carryBytes > 0) {
    const out: TextLine[] = [];
    finishLine(carryBytes <= maxLineBytes ? Buffer.concat(carry) : null, carryBytes, out);
    yield out;
  }
}

/** A UTF-16 chunk as UTF-8 bytes; bytes that are not UTF-16 (an unpaired surrogate) refuse the whole file. */
function transcode(decoder: TextDecoder, chunk: Buffer, last: boolean, file: string, firstLine: number): Buffer {
  try {
    return Buffer.from(decoder.decode(chunk, { stream: !last }), 'utf8');
  } catch {
    const line = firstLine + utf16LinesBeforeBadUnit(chunk, decoder.encoding === 'utf-16be');
    throw new XlmError('data/encoding', `${file}:${line}: this UTF-16 file has an unpaired surrogate (bytes that are no character) on this line; the file is not read. Save it as UTF-8.`, { file, line });
  }
}

/** How many LFs come before the first unpaired surrogate of a UTF-16 chunk (0 when none is found in it). */
function utf16LinesBeforeBadUnit(chunk: Buffer, bigEndian: boolean): number {
  let lines = 0;
  for (let i = 0; i + 1 < chunk.length; i += 2) {
    const unit = bigEndian ? chunk.readUInt16BE(i) : chunk.readUInt16LE(i);
    if (unit === 0x0a) lines++;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 3 < chunk.length ? (bigEndian ? chunk.readUInt16BE(i + 2) : chunk.readUInt16LE(i + 2)) : -1;
      if (next >= 0xdc00 && next <= 0xdfff) i += 2;
      else if (next !== -1) return lines;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return lines;
  }
  return 0;
}

/** One line at a time, for readers that hold state between lines. */
export async function* readLines(path: string, options: LineReaderOptions = {}): AsyncGenerator<TextLine> {
  for await (const batch of readLineBatches(path, options)) yield* batch;
}

/** Lines between `start` and the LF at `end` (inclusive), all complete inside one chunk. */
function decodeSpan(
  chunk: Buffer,
  start: number,
  end: number,
  maxLineBytes: number,
  out: TextLine[],
  nextLine: () => number,
  file: string,
): void {
  const span = chunk.subarray(start, end);
  let text: string | null = null;
  if (span.length <= maxLineBytes || !hasLongLine(span, maxLineBytes)) {
    try {
      text = fatalDecoder.decode(span);
    } catch {
      text = null;
    }
  }
  if (text !== null) {
    // An LF byte never occurs inside a multi-byte UTF-8 sequence, so splitting the decoded text at '\n'
    // gives exactly the byte-level lines.
    for (const piece of text.split('\n')) {
      const line = nextLine();
      out.push({ line, text: piece.endsWith('\r') ? piece.slice(0, -1) : piece });
    }
    return;
  }
  let lineStart = 0;
  while (lineStart <= span.length) {
    let lineEnd = span.indexOf(LF, lineStart);
    if (lineEnd === -1) lineEnd = span.length;
    const line = nextLine();
    const length = lineEnd - lineStart;
    if (length > maxLineBytes) {
      out.push({
        line,
        text: '',
        problem: {
          file,
          line,
          code: 'line-too-long',
          ...reasonNaming(said`line is ${length} bytes, over the limit of ${maxLineBytes} (raise ${field('maxLineBytes')} if such lines are meant to be there)`),
        },
      });
    } else {
      out.push(decodeLine(span.subarray(lineStart, lineEnd), line, file));
    }
    lineStart = lineEnd + 1;
  }
}

function hasLongLine(span: Buffer, maxLineBytes: number): boolean {
  let from = 0;
  while (from <= span.length) {
    let nl = span.indexOf(LF, from);
    if (nl === -1) nl = span.length;
    if (nl - from > maxLineBytes) return true;
    from = nl + 1;
  }
  return false;
}

function decodeLine(bytes: Buffer, line: number, file: string): TextLine {
  const withoutCr = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, bytes.length - 1) : bytes;
  try {
    return { line, text: fatalDecoder.decode(withoutCr) };
  } catch {
    const badAt = firstInvalidUtf8(withoutCr);
    const column = lossyDecoder.decode(withoutCr.subarray(0, badAt)).length + 1;
    const shown = Array.from(withoutCr.subarray(badAt, Math.min(badAt + 4, withoutCr.length)), (b) => b.toString(16).padStart(2, '0')).join(' ');
    return {
      line,
      text: lossyDecoder.decode(withoutCr),
      problem: {
        file,
        line,
        column,
        code: 'invalid-utf8',
        reason: `invalid UTF-8 at byte ${badAt + 1} of the line (bytes ${shown}); save the file as UTF-8`,
      },
    };
  }
}

/** Byte offset of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min = 0x80;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) min = 0xa0; // overlong
      if (b === 0xed) max = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) min = 0x90;
      if (b === 0xf4) max = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      const lo = k === 1 ? min : 0x80;
      const hi = k === 1 ? max : 0xbf;
      if (c < lo || c > hi) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}
