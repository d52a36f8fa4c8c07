/**
 * Tokenization as the protocol reports it: ids, token strings, character offsets, word and sequence ids.
 */
import type { TokenizeResult } from '../rpc/protocol.js';
import type { TruncationStrategy } from '../tokenize/encoding.js';
import type { XlmTokenizer } from '../tokenize/tokenizer.js';

export function tokenize(tokenizer: XlmTokenizer, text: string, textPair?: string, maxLength?: number, truncation?: TruncationStrategy): TokenizeResult {
  const e = tokenizer.encode(text, textPair ?? null, { maxLength, truncation });
  return { ids: e.ids, tokens: e.tokens, offsets: e.offsets, wordIds: e.wordIds, sequenceIds: e.sequenceIds };
}
