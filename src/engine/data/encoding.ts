/**
 * Which text encoding a data file is in, from its first bytes: UTF-8 (with or without a byte order mark), or
 * UTF-16 (what Windows tools such as Notepad and PowerShell write as "Unicode"), told by its BOM or, without one,
 * by the NUL bytes every ASCII character brings along. UTF-16 files are decoded; UTF-32 files are refused as a
 * whole: read line by line as UTF-8 they would come out as rows full of NUL bytes, some of them "good".
 */
import { XlmError } from '../errors.js';

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface SniffedEncoding {
  encoding: TextEncoding;
  /** Length of the byte order mark to skip. */
  bomBytes: number;
  /** How it was told, for messages. */
  reason: string;
}

/** How many leading bytes the NUL pattern is judged on. */
export const SNIFF_BYTES = 4096;

/** `file` undefined: the bytes are standard input's (messages then say so, with no file to convert). */
export function sniffEncoding(head: Uint8Array, file: string | undefined): SniffedEncoding {
  const b = head;
  if (b.length >= 4 && ((b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff))) {
    throw utf32(file, 'its byte order mark');
  }
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8', bomBytes: 3, reason: 'UTF-8 byte order mark' };
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', bomBytes: 2, reason: 'UTF-16 LE byte order mark' };
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', bomBytes: 2, reason: 'UTF-16 BE byte order mark' };

  // No BOM: count NUL bytes by their position modulo 4. UTF-8 text has none; UTF-16 text in a Latin, Cyrillic
  // or similar script has one in every pair (odd positions in LE, even in BE); UTF-32 three in every four.
  const n = Math.min(b.length, SNIFF_BYTES) & ~3;
  if (n < 4) return { encoding: 'utf-8', bomBytes: 0, reason: 'default' };
  const nuls = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) if (b[i] === 0) nuls[i & 3]++;
  const quads = n / 4;
  const total = nuls[0] + nuls[1] + nuls[2] + nuls[3];
  if (total === 0) return { encoding: 'utf-8', bomBytes: 0, reason: 'no NUL bytes' };
  if ((nuls[1] + nuls[2] + nuls[3]) >= 2.4 * quads && nuls[0] < 0.2 * quads) throw utf32(file, 'NUL bytes in three of every four');
  if (nuls[0] + nuls[1] + nuls[2] >= 2.4 * quads && nuls[3] < 0.2 * quads) throw utf32(file, 'NUL bytes in three of every four');
  const odd = nuls[1] + nuls[3];
  const even = nuls[0] + nuls[2];
  if (odd >= 0.6 * quads && even < 0.1 * odd) return { encoding: 'utf-16le', bomBytes: 0, reason: 'NUL bytes in every other byte (UTF-16 LE without a byte order mark)' };
  if (even >= 0.6 * quads && odd < 0.1 * even) return { encoding: 'utf-16be', bomBytes: 0, reason: 'NUL bytes in every other byte (UTF-16 BE without a byte order mark)' };
  return { encoding: 'utf-8', bomBytes: 0, reason: 'NUL bytes, but in no UTF-16 pattern' };
}

function utf32(file: string | undefined, how: string): XlmError {
  if (file === undefined) return new XlmError('data/encoding', `the text on standard input is UTF-32 (${how}), which XLM Lab does not read; give UTF-8 text (iconv -f UTF-32 -t UTF-8 converts it)`, { what: 'stdin' });
  return new XlmError(
    'data/encoding',
    `${file} is UTF-32 (${how}), which XLM Lab does not read; save it as UTF-8 (e.g. iconv -f UTF-32 -t UTF-8 ${file} > out.txt)`,
    { file, line: 1 },
  );
}

/**
 * A whole file's (or standard input's) bytes as text, in the encoding its first bytes show (UTF-8, or UTF-16 by its
 * byte order mark or its zero bytes); bytes that are not valid in it are refused, not turned into U+FFFD.
 */
export function decodeWhole(bytes: Uint8Array, name: string, isStdin = false): string {
  const sniffed = sniffEncoding(bytes, isStdin ? undefined : name);
  try {
    return new TextDecoder(sniffed.encoding, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(sniffed.bomBytes));
  } catch {
    const why = sniffed.encoding === 'utf-8' && !sniffed.bomBytes ? '' : ` (${sniffed.reason})`;
    throw new XlmError('data/encoding', `${isStdin ? 'the text on standard input' : name} is not valid ${sniffed.encoding.toUpperCase()}${why}; ${isStdin ? 'give UTF-8 text (iconv -f LATIN1 -t UTF-8 converts Latin-1)' : 'save it as UTF-8'}`, isStdin ? { what: 'stdin' } : { file: name });
  }
}
