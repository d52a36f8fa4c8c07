/**
 * Sentences of a context, as QA shows and judges answers: the sentence around an answer (the editor's answer panel
 * shows it) and the first sentence (the baseline a QA run must beat to have learned). A sentence ends after a line
 * break, after 。！？, or after .!? followed by whitespace or the end of the text. Offsets are UTF-16 code units.
 */

/** Whether a sentence ends just before index i. */
function sentenceBreak(text: string, i: number): boolean {
  const before = text[i - 1];
  if (before === '\n' || before === '。' || before === '！' || before === '？') return true;
  return (before === '.' || before === '!' || before === '?') && (i === text.length || /\s/u.test(text[i]));
}

/** The sentence holding [start, end), its surrounding whitespace left out. */
export function sentenceAround(text: string, start: number, end: number): [number, number] {
  let from = start;
  while (from > 0 && !sentenceBreak(text, from)) from--;
  let to = Math.max(end, from);
  while (to < text.length && !sentenceBreak(text, to)) to++;
  while (from < to && /\s/u.test(text[from])) from++;
  while (to > from && /\s/u.test(text[to - 1])) to--;
  return [from, to];
}

/** The text's first sentence (its leading whitespace skipped). */
export function firstSentence(text: string): string {
  const lead = text.length - text.trimStart().length;
  const [from, to] = sentenceAround(text, lead, lead);
  return text.slice(from, to);
}
