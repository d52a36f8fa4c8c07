/**
 * Word ids, numbered from 0 in each sequence, as Hugging Face tokenizers gives them: a word is one piece of
 * the pre-tokenizer's split of the *normalized* text, and every added token (`<mask>`) found in the text is
 * a word of its own, which also ends the word before it.
 *
 * - Metaspace (XLM-R, with `split`): the normalized text is cut before each '▁', that is at each U+0020
 *   the normalizer left (a tab, NBSP or U+3000 is a word boundary only where the normalizer turned it into
 *   a space; NFKC's ﷺ is four words). A token never crosses such a cut, so a word starts exactly at each
 *   token that begins with '▁' (a lone '▁' of a run of spaces is a word of its own, as in tokenizers).
 * - WordPiece: a word starts at each token without the continuing-subword prefix ('##').
 * - Any other pre-tokenizer (byte-level BPE): words are the whitespace-separated units of the original text
 *   ({@link wordIdsForSpans}), an approximation of its regex split.
 */

/** Word ids read off the tokens: a word starts at the first token, at a token `startsWord` accepts, and at and after an added token. */
export function wordIdsFromTokens(surfaces: readonly string[], added: readonly boolean[], startsWord: (surface: string) => boolean): number[] {
  let word = -1;
  return surfaces.map((surface, i) => {
    if (i === 0 || added[i] || added[i - 1] || startsWord(surface)) word++;
    return word;
  });
}

/** [start, end) of each whitespace-separated unit of `text`, in UTF-16 code units. */
export function whitespaceWords(text: string): Array<[number, number]> {
  const words: Array<[number, number]> = [];
  for (const m of text.matchAll(/\S+/gu)) words.push([m.index, m.index + m[0].length]);
  return words;
}

/** The word of each token span. */
export function wordIdsForSpans(text: string, spans: ReadonlyArray<readonly [number, number]>): number[] {
  const words = whitespaceWords(text);
  if (words.length === 0) return spans.map(() => 0);
  return spans.map(([start]) => {
    // First word that ends after the span starts: the word containing it, or the next one.
    let lo = 0;
    let hi = words.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (words[mid][1] > start) hi = mid;
      else lo = mid + 1;
    }
    return Math.min(lo, words.length - 1);
  });
}

/**
 * Word ids for pre-split words (transformers' `is_split_into_words`): the words were joined by single
 * spaces and tokenized as one text; each token's word id becomes the index of the input word it lies in,
 * however the tokenizer splits a word inside (a `<mask>`, NFKC's ﷺ, an NBSP). A token that stands only for
 * whitespace belongs to the word after it. Tokens without a word (specials, padding) stay null.
 */
export function inputWordIds(words: readonly string[], encoding: { offsets: ReadonlyArray<readonly [number, number]>; wordIds: ReadonlyArray<number | null> }): Array<number | null> {
  const starts: number[] = [];
  let at = 0;
  for (const word of words) {
    starts.push(at);
    at += word.length + 1;
  }
  const text = words.join(' ');
  const wordAt = (k: number) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= k) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  };
  return encoding.wordIds.map((w, i) => {
    if (w === null) return null;
    const [s, e] = encoding.offsets[i];
    return wordAt(text.slice(s, e).trim() === '' ? e : s);
  });
}
