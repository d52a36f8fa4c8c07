/**
 * Which fill-mask candidate the product offers first: inline fill-in's ghost text, the masked-word panel's sentence,
 * the Fill mask command's title and `xlm fill-mask`'s filled line. Where the mask stands alone between spaces it
 * stands for a whole word: the most probable candidate that starts a word (`startsWord`: SentencePiece's ▁,
 * byte-level BPE's Ġ, no WordPiece ##) and holds a letter or digit, among the top k or, when none is there, among
 * the top OFFER_DEPTH. A piece that does not start a word would be glued onto the word before it ("the" + "m" reads
 * "them"), and punctuation is no word; either is offered only when no candidate is a word. Where the mask touches
 * other text (`un<mask>able`), the most probable piece.
 */
import type { MaskCandidate } from '../rpc/protocol.js';

const HOLDS_WORD = /^[\p{L}\p{N}]/u;

/** The mask at `at` in `text` has a space (or the text's edge) on both sides: it stands for a whole word, not a piece or a mark. */
export function maskStandsAlone(text: string, at: number, maskToken: string): boolean {
  const end = at + maskToken.length;
  return (at === 0 || /\s/.test(text[at - 1]!)) && (end === text.length || /[\s.,;:!?)\]"'»”]/.test(text[end]!));
}

/** How far down the model's order fill-mask looks for a whole word to offer when none made the top k. */
export const OFFER_DEPTH = 50;

/** A candidate that is a whole word: it starts a word and begins with a letter or digit. */
export function isWord(c: Pick<MaskCandidate, 'text' | 'startsWord'>): boolean {
  return c.startsWord && HOLDS_WORD.test(c.text);
}

/**
 * The rank of the candidate offered first among `count` candidates (most probable first; `candidateAt(j)` gives
 * rank j, asked for in order and only as far as needed): the first whole word where the mask stands alone, else 0.
 */
export function offeredRank(candidateAt: (rank: number) => Pick<MaskCandidate, 'text' | 'startsWord'>, count: number, alone: boolean): number {
  if (!alone) return 0;
  for (let j = 0; j < count; j++) if (isWord(candidateAt(j))) return j;
  return 0;
}

/** Where each mask of `text` starts, in order. */
function maskStarts(text: string, maskToken: string): number[] {
  const starts: number[] = [];
  for (let at = text.indexOf(maskToken); at >= 0; at = text.indexOf(maskToken, at + maskToken.length)) starts.push(at);
  return starts;
}

/** Whether each mask of `text`, in order, stands alone. */
export function masksStandAlone(text: string, maskToken: string): boolean[] {
  return maskStarts(text, maskToken).map((at) => maskStandsAlone(text, at, maskToken));
}

/** `text` with its masks, in order, replaced by `words` (a mask past the list's end stays). */
export function replaceMasks(text: string, maskToken: string, words: readonly string[]): string {
  let out = '';
  let from = 0;
  maskStarts(text, maskToken).forEach((at, i) => {
    out += text.slice(from, at) + (words[i] ?? maskToken);
    from = at + maskToken.length;
  });
  return out + text.slice(from);
}
