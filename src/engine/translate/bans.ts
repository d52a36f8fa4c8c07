/**
 * The logits processors of transformers that forbid tokens at a step (read from huggingface/transformers
 * src/transformers/generation/logits_process.py and utils.py `_get_logits_processor`): they set scores to -inf,
 * so they act the same on raw logits (greedy) and on log-probabilities (beam search), and a forced token
 * (forced_bos / forced_eos, applied after them) still wins.
 * - MinLengthLogitsProcessor: end tokens while the sequence (start token included) is shorter than min_length;
 * - MinNewTokensLengthLogitsProcessor: end tokens while fewer than min_new_tokens were generated;
 * - NoRepeatNGramLogitsProcessor: a token that would repeat an n-gram of the sequence (start token included);
 * - SuppressTokensLogitsProcessor: suppress_tokens at every step;
 * - SuppressTokensAtBeginLogitsProcessor: begin_suppress_tokens at the first generated position (the second when
 *   forced_bos_token_id is set).
 */

export interface BanSettings {
  minLength?: number;
  minNewTokens?: number;
  noRepeatNgramSize?: number;
  suppressTokens?: readonly number[];
  beginSuppressTokens?: readonly number[];
}

export function hasBans(s: BanSettings): boolean {
  return (s.minLength ?? 0) > 0 || (s.minNewTokens ?? 0) > 0 || (s.noRepeatNgramSize ?? 0) > 0 || (s.suppressTokens?.length ?? 0) > 0 || (s.beginSuppressTokens?.length ?? 0) > 0;
}

/**
 * The tokens forbidden after `sequence` (decoder start token first, then the generated tokens), on top of
 * `always` (bad_words_ids). Returns `always` itself when nothing is added.
 */
export function bannedAfter(
  sequence: readonly number[], s: BanSettings, eosTokenIds: readonly number[], forcedBos: boolean, always: ReadonlySet<number>,
): ReadonlySet<number> {
  const extra: number[] = [];
  const length = sequence.length;
  if (length < (s.minLength ?? 0) || length - 1 < (s.minNewTokens ?? 0)) extra.push(...eosTokenIds);
  if (s.suppressTokens) extra.push(...s.suppressTokens);
  if (s.beginSuppressTokens && length === (forcedBos ? 2 : 1)) extra.push(...s.beginSuppressTokens);
  const n = s.noRepeatNgramSize ?? 0;
  if (n > 0 && length + 1 >= n) {
    const prefix = sequence.slice(length - n + 1);
    for (let start = 0; start + n <= length; start++) {
      let same = true;
      for (let j = 0; j < n - 1 && same; j++) same = sequence[start + j] === prefix[j];
      if (same) extra.push(sequence[start + n - 1]);
    }
  }
  if (extra.length === 0) return always;
  return new Set([...always, ...extra]);
}
