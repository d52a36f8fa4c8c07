/**
 * Which fill-mask candidate inline fill-in offers first (pure: no VS Code API, so the unit tests run it under Node).
 * Where the mask stands alone between spaces it stands for a whole word: the most probable candidate that starts a
 * word (the engine's `startsWord`: SentencePiece's ▁, byte-level BPE's Ġ, no WordPiece ##) and holds a letter or digit. A piece that does not start a word
 * would be glued onto the word before it ("the" + "m" reads "them"), and punctuation is no word; either is offered
 * only when no candidate is a word. Where the mask touches other text (`un<mask>able`), the most probable piece.
 */
import { MASK_TOKEN, type MaskCandidate } from '../engine/rpc/protocol.js';

const HOLDS_WORD = /^[\p{L}\p{N}]/u;

/** A mask at `at` in `text` with a space (or the text's edge) on both sides stands for a whole word, not a piece or a mark. */
export function maskStandsAlone(text: string, at: number): boolean {
  const end = at + MASK_TOKEN.length;
  return (at === 0 || /\s/.test(text[at - 1]!)) && (end === text.length || /[\s.,;:!?)\]"'»”]/.test(text[end]!));
}

/**
 * `text` with each `<mask>`, in order, replaced by its preferred candidate: the sentence inline fill-in would make,
 * which the masked-word panel shows above the candidates (the engine's own `filled` takes each mask's top-1 piece,
 * which can glue a piece onto the word before: "Paris is them of France.").
 */
export function fillPreferred(text: string, masks: readonly { candidates: readonly Pick<MaskCandidate, 'text' | 'startsWord'>[] }[]): string {
  let out = '';
  let from = 0;
  for (const mask of masks) {
    const at = text.indexOf(MASK_TOKEN, from);
    if (at < 0) break;
    const best = preferredCandidate(mask.candidates, maskStandsAlone(text, at));
    out += text.slice(from, at) + (best ? best.text : MASK_TOKEN);
    from = at + MASK_TOKEN.length;
  }
  return out + text.slice(from);
}

export function preferredCandidate<T extends Pick<MaskCandidate, 'text' | 'startsWord'>>(candidates: readonly T[], alone: boolean): T | undefined {
  if (!alone) return candidates[0];
  return candidates.find((c) => c.startsWord && HOLDS_WORD.test(c.text)) ?? candidates[0];
}
