/**
 * Which fill-mask candidate inline fill-in offers first (pure: no VS Code API, so the unit tests run it under Node).
 * Where the mask stands alone between spaces it stands for a whole word: the most probable candidate that starts a
 * word (the engine's `startsWord`, SentencePiece's ▁) and holds a letter or digit. A piece that does not start a word
 * would be glued onto the word before it ("the" + "m" reads "them"), and punctuation is no word; either is offered
 * only when no candidate is a word. Where the mask touches other text (`un<mask>able`), the most probable piece.
 */
import type { MaskCandidate } from '../engine/rpc/protocol.js';

const HOLDS_WORD = /^[\p{L}\p{N}]/u;

export function preferredCandidate<T extends Pick<MaskCandidate, 'token' | 'startsWord'>>(candidates: readonly T[], alone: boolean): T | undefined {
  if (!alone) return candidates[0];
  return candidates.find((c) => c.startsWord && HOLDS_WORD.test(c.token.trim())) ?? candidates[0];
}
