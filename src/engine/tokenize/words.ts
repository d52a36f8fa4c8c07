/**
 * Word ids: a word is a whitespace-separated unit of the original text, numbered from 0 in each sequence,
 * so word k of a text is `text.split(/\s+/).filter(Boolean)[k]` and every token of it carries k. A token
 * that stands only for whitespace (a lone '▁') belongs to the word that follows it, or to the last word at
 * the end of the text.
 */

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
