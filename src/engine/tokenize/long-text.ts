/**
 * Where a long text is cut before the segmenter sees it. @huggingface/tokenizers builds one Unigram lattice per
 * pre-tokenized word and spreads each word's tokens into an array as call arguments, so one long run (a 1 MB
 * paragraph where the pre-tokenizer does not split, or CJK text without spaces) overflows the call stack and
 * its lattice holds hundreds of MB. Pieces of a few thousand characters keep both small.
 *
 * A piece ends where a whitespace run begins, so the run opens the next piece: with XLM-R's normalizer and
 * Metaspace pre-tokenizer that piece tokenizes exactly as it does inside the whole text. Where a window has no
 * whitespace, the cut goes after its last punctuation mark (。，、!? …), and failing that at a character
 * boundary (never inside a surrogate pair, before a combining mark, or inside an added token such as `<mask>`).
 */

/** Texts up to this many UTF-16 code units are encoded whole. */
export const LONG_TEXT_PIECE = 2_000;

const WHITESPACE = /\s/u;
const PUNCTUATION = /\p{P}/u;
const ATTACHES = /[\p{M}\u200c\u200d\ufe00-\ufe0f]/u;

/** [start, end) of consecutive pieces covering `text`; one piece when it is short. */
export function longTextPieces(text: string, addedTokens: readonly string[] = [], maxPiece = LONG_TEXT_PIECE): Array<[number, number]> {
  const pieces: Array<[number, number]> = [];
  let start = 0;
  while (text.length - start > maxPiece) {
    const cut = cutPoint(text, start, start + maxPiece, addedTokens);
    pieces.push([start, cut]);
    start = cut;
  }
  pieces.push([start, text.length]);
  return pieces;
}

function cutPoint(text: string, start: number, limit: number, addedTokens: readonly string[]): number {
  // The start of the last whitespace run in the window.
  for (let i = limit; i > start; i--) {
    if (WHITESPACE.test(text[i]!) && !WHITESPACE.test(text[i - 1]!) && !insideAdded(text, i, addedTokens)) return i;
  }
  for (let i = limit; i > start + 1; i--) {
    if (PUNCTUATION.test(text[i - 1]!) && !ATTACHES.test(text[i]!) && !isLowSurrogate(text, i) && !insideAdded(text, i, addedTokens)) return i;
  }
  for (let i = limit; i > start + 1; i--) {
    if (!isLowSurrogate(text, i) && !ATTACHES.test(text[i]!) && !insideAdded(text, i, addedTokens)) return i;
  }
  return limit;
}

function isLowSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Whether a cut at `i` would split an occurrence of an added token. */
function insideAdded(text: string, i: number, addedTokens: readonly string[]): boolean {
  for (const token of addedTokens) {
    if (token.length < 2) continue;
    const from = Math.max(0, i - token.length + 1);
    const at = text.indexOf(token, from);
    if (at !== -1 && at < i && at + token.length > i) return true;
  }
  return false;
}
