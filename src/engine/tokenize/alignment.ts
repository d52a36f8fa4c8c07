/**
 * Character offsets for tokens, computed by aligning the tokens back to the original text.
 *
 * @huggingface/tokenizers returns token strings but no offsets. The tokens are pieces of the *normalized*
 * text after the pre-tokenizer has rewritten it (Metaspace turns spaces into '▁' and prepends one; ByteLevel
 * turns bytes into printable characters). So the original text is normalized piece by piece (one code point
 * with its combining marks at a time), which tells where every normalized symbol came from, and the tokens'
 * symbols are then matched against that stream left to right. Whatever the matching cannot explain (an
 * unusual normalizer, a pre-tokenizer we do not model) degrades to the nearest covering span: alignment
 * never throws.
 */

/** Symbols of the normalized text, each with the span [start, end) of the original text it came from. */
export interface SourceSymbols {
  symbols: number[];
  starts: number[];
  ends: number[];
  /** Length of the original text in UTF-16 code units. */
  textLength: number;
}

/** 'utf16': symbols are UTF-16 code units; 'bytes': symbols are UTF-8 bytes (byte-level BPE). */
export type SymbolMode = 'utf16' | 'bytes';

/**
 * Code points a normalizer may compose with the one before: combining marks, Hangul vowel and final jamo,
 * and the half-width voiced sound marks (NFKC turns them into combining marks).
 */
const ATTACHES_TO_PREVIOUS = /[\p{M}\u1160-\u11ff\ud7b0-\ud7ff\uff9e\uff9f]/u;
const utf8 = new TextEncoder();

/** Splits text into units that a normalizer can change independently: a code point and what attaches to it. */
function units(text: string): Array<[start: number, end: number]> {
  const out: Array<[number, number]> = [];
  let i = 0;
  while (i < text.length) {
    const start = i;
    i += (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
    while (i < text.length) {
      const cp = text.codePointAt(i) ?? 0;
      if (cp < 0x300 || !ATTACHES_TO_PREVIOUS.test(String.fromCodePoint(cp))) break;
      i += cp > 0xffff ? 2 : 1;
    }
    out.push([start, i]);
  }
  return out;
}

/**
 * Normalizes `text` unit by unit. Normalizations that act across units (composing Hangul jamo, collapsing
 * runs of spaces, stripping ends) make this stream differ slightly from the real normalized text; the token
 * alignment absorbs such differences.
 */
export function normalizedSource(
  text: string,
  normalize: ((s: string) => string) | null,
  mode: SymbolMode = 'utf16',
  cache: Map<string, string> = new Map(),
): SourceSymbols {
  const symbols: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (const [start, end] of units(text)) {
    const unit = text.slice(start, end);
    const normalized = normalize ? cachedNormalize(unit) : unit;
    if (normalized === unit) {
      // Unchanged: each code point keeps its own place, so a mark tokenized apart from its base is not
      // given the base's span too.
      for (let k = start; k < end; ) {
        const width = (text.codePointAt(k) ?? 0) > 0xffff ? 2 : 1;
        pushSymbols(text.slice(k, k + width), k, k + width);
        k += width;
      }
    } else if (end - start === 1 || (end - start === 2 && text.codePointAt(start)! > 0xffff)) {
      pushSymbols(normalized, start, end);
    } else {
      pushComposed(unit, normalized, start);
    }
  }
  return { symbols, starts, ends, textLength: text.length };

  /**
   * The normalizer read a cluster as a whole (NFKC composing e + U+0301 into é): symbol by symbol, the
   * shortest prefix of the cluster whose normalization already yields it, so é takes [e, U+0301] and a
   * second U+0301 keeps its own place, and a space the normalizer drops before a mark goes to no symbol.
   */
  function pushComposed(unit: string, normalized: string, offset: number) {
    const cuts = [0];
    for (const ch of unit) cuts.push(cuts[cuts.length - 1] + ch.length);
    // settled[j]: how many leading symbols of `normalized` the prefix of j code points yields for good
    // (its normalization is exactly those symbols), -1 when the prefix still changes with what follows.
    const settled = cuts.map((cut) => {
      const n = cut === 0 ? '' : cachedNormalize(unit.slice(0, cut));
      return normalized.startsWith(n) ? n.length : -1;
    });
    let from = 0;
    let p = 0;
    for (let j = 1; j < cuts.length; j++) {
      if (settled[j] < 0) continue;
      if (settled[j] === p) {
        from = j;
        continue;
      }
      pushSymbols(normalized.slice(p, settled[j]), offset + cuts[from], offset + cuts[j]);
      p = settled[j];
      from = j;
    }
    if (p < normalized.length) pushSymbols(normalized.slice(p), offset + cuts[from], offset + unit.length);
  }

  function cachedNormalize(unit: string): string {
    let normalized = cache.get(unit);
    if (normalized === undefined) {
      normalized = normalizeInPlace(normalize!, unit);
      cache.set(unit, normalized);
    }
    return normalized;
  }

  function pushSymbols(s: string, start: number, end: number) {
    if (mode === 'bytes') {
      for (const b of utf8.encode(s)) {
        symbols.push(b);
        starts.push(start);
        ends.push(end);
      }
    } else {
      for (let k = 0; k < s.length; k++) {
        symbols.push(s.charCodeAt(k));
        starts.push(start);
        ends.push(end);
      }
    }
  }
}

/**
 * A unit normalized as it reads inside the text: whitespace alone would be stripped by a normalizer that
 * strips the ends of the text, so a unit that starts with whitespace is normalized between two letters,
 * which are then taken off again.
 */
function normalizeInPlace(normalize: (s: string) => string, unit: string): string {
  try {
    if (!/^\s/u.test(unit)) return normalize(unit);
    const framed = normalize(`x${unit}x`);
    return framed.length >= 2 && framed.startsWith('x') && framed.endsWith('x') ? framed.slice(1, -1) : normalize(unit);
  } catch {
    return unit;
  }
}

const whitespaceCache = new Map<number, boolean>();
/** Whether a symbol is whitespace (code unit, or a single-byte UTF-8 symbol, which is ASCII). */
export function isWhitespaceSymbol(symbol: number): boolean {
  let known = whitespaceCache.get(symbol);
  if (known === undefined) {
    known = symbol < 0xd800 || symbol > 0xdfff ? /\s/.test(String.fromCharCode(symbol)) : false;
    whitespaceCache.set(symbol, known);
  }
  return known;
}

const looseCache = new Map<number, string>();
/** A symbol folded for a tolerant comparison: compatibility-decomposed, marks removed, lower-cased. */
function loose(symbol: number): string {
  let folded = looseCache.get(symbol);
  if (folded === undefined) {
    folded = symbol >= 0xd800 && symbol <= 0xdfff
      ? String.fromCharCode(symbol)
      : String.fromCharCode(symbol).normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    looseCache.set(symbol, folded);
  }
  return folded;
}

function same(a: number, b: number): boolean {
  return a === b || (loose(a) !== '' && loose(a) === loose(b));
}

/** How far ahead the alignment looks to resynchronize after a mismatch. */
const RESYNC_WINDOW = 16;

/**
 * Aligns tokens (each given as its symbols, in order) to the source and returns one span per token in the
 * original text. A token's span covers the original characters of its content symbols; a token made only
 * of space marks (a lone '▁') covers the whitespace it stands for, or is empty where it was prepended.
 *
 * @param spaceMarks token symbols that stand for a space ('▁' for Metaspace, ' ' for byte-level).
 */
export function alignTokens(source: SourceSymbols, tokens: readonly number[][], spaceMarks: ReadonlySet<number>): Array<[number, number]> {
  const { symbols: src, starts, ends } = source;
  const n = src.length;
  let q = 0;
  let lastEnd = 0;
  const here = () => (q < n ? starts[q] : lastEnd);
  const flat: number[] = [];
  const tokenOf: number[] = [];
  tokens.forEach((t, i) => {
    for (const s of t) {
      flat.push(s);
      tokenOf.push(i);
    }
  });

  const content: Array<[number, number] | null> = tokens.map(() => null);
  const spaces: Array<[number, number] | null> = tokens.map(() => null);
  const empty: number[] = tokens.map(() => -1);
  const widen = (spans: Array<[number, number] | null>, i: number, start: number, end: number) => {
    const cur = spans[i];
    spans[i] = cur ? [Math.min(cur[0], start), Math.max(cur[1], end)] : [start, end];
  };
  const take = (i: number, asSpace: boolean) => {
    widen(asSpace ? spaces : content, i, starts[q], ends[q]);
    lastEnd = ends[q];
    q++;
  };
  const skipSourceWhitespaceUntil = (symbol: number) => {
    while (q < n && src[q] !== symbol && isWhitespaceSymbol(src[q])) {
      lastEnd = ends[q];
      q++;
    }
  };

  /** How many of the next token symbols from j match the source from p, space marks passing freely. */
  const agreement = (j: number, p: number): number => {
    let matched = 0;
    for (let k = j; k < flat.length && k < j + RESYNC_WINDOW; k++) {
      if (p < n && same(flat[k], src[p])) {
        matched++;
        p++;
      } else if (spaceMarks.has(flat[k])) {
        if (p < n && src[p] === 0x20) p++;
      } else if (p < n && isWhitespaceSymbol(src[p])) {
        p++;
        k--;
      } else break;
    }
    return matched;
  };

  for (let j = 0; j < flat.length; j++) {
    const s = flat[j];
    const i = tokenOf[j];
    const isSpaceMark = spaceMarks.has(s);
    if (q < n && s === src[q]) {
      take(i, isSpaceMark || isWhitespaceSymbol(s));
      continue;
    }
    if (isSpaceMark) {
      // A space mark stands for the whitespace before its word: U+0020 that Metaspace replaced, or any
      // whitespace a pre-tokenizer (WhitespaceSplit) dropped, unless the tokens themselves carry it next.
      if (q < n && (src[q] === 0x20 || (isWhitespaceSymbol(src[q]) && flat[j + 1] !== src[q]))) take(i, true);
      else if (empty[i] < 0) empty[i] = here();
      continue;
    }
    skipSourceWhitespaceUntil(s);
    if (q < n && same(s, src[q])) {
      take(i, false);
      continue;
    }
    // Mismatch: the source has symbols the tokens dropped (skip them), or the token has a symbol the source
    // lacks (insert it), or they differ (substitute). Pick whichever makes the next symbols agree best.
    let bestSkip = 0;
    let bestScore = agreement(j + 1, q + 1);
    const insertScore = agreement(j + 1, q);
    for (let d = 1; d <= RESYNC_WINDOW && q + d < n; d++) {
      if (!same(s, src[q + d])) continue;
      const score = 1 + agreement(j + 1, q + d + 1);
      if (score > bestScore) {
        bestScore = score;
        bestSkip = d;
      }
    }
    if (q >= n) {
      if (empty[i] < 0) empty[i] = lastEnd;
    } else if (insertScore > bestScore) {
      if (empty[i] < 0) empty[i] = here();
    } else {
      if (bestSkip > 0) {
        lastEnd = ends[q + bestSkip - 1];
        q += bestSkip;
      }
      take(i, false);
    }
  }

  return tokens.map((_, i) => {
    const span = content[i] ?? spaces[i];
    if (span) return span;
    const at = empty[i] >= 0 ? empty[i] : lastEnd;
    return [at, at];
  });
}

/** UTF-16 code units of a token string, the symbols of a Metaspace/WordPiece token. */
export function codeUnits(token: string): number[] {
  const out = new Array<number>(token.length);
  for (let k = 0; k < token.length; k++) out[k] = token.charCodeAt(k);
  return out;
}

/**
 * Byte-level BPE (GPT-2, RoBERTa) writes every byte as a printable character: bytes that are printable
 * Latin-1 stand for themselves, the others are moved to U+0100 and up in byte order.
 */
function byteLevelDecoder(): Map<number, number> {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const decoder = new Map<number, number>();
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (printable(b)) decoder.set(b, b);
    else decoder.set(256 + next++, b);
  }
  return decoder;
}
let byteDecoder: Map<number, number> | null = null;

/** The UTF-8 bytes a byte-level token stands for. Characters outside the byte alphabet are encoded as UTF-8. */
export function byteLevelBytes(token: string): number[] {
  byteDecoder ??= byteLevelDecoder();
  const out: number[] = [];
  for (const ch of token) {
    const b = byteDecoder.get(ch.codePointAt(0) ?? 0);
    if (b !== undefined) out.push(b);
    else out.push(...utf8.encode(ch));
  }
  return out;
}

/**
 * Spans in UTF-16 code units (what JavaScript and VS Code count) as spans in code points (what Python and
 * Hugging Face tokenizers count): a character outside the Basic Multilingual Plane is one code point.
 */
export function codePointOffsets(text: string, spans: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const before = new Array<number>(text.length + 1);
  let count = 0;
  for (let k = 0; k <= text.length; k++) {
    before[k] = count;
    const c = text.charCodeAt(k);
    // A low surrogate after a high one is the second half of the same code point.
    if (k < text.length && !(c >= 0xdc00 && c <= 0xdfff && k > 0 && text.charCodeAt(k - 1) >= 0xd800 && text.charCodeAt(k - 1) <= 0xdbff)) count++;
  }
  return spans.map(([s, e]) => [before[Math.min(s, text.length)], before[Math.min(e, text.length)]]);
}
