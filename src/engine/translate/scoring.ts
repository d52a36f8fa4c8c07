/**
 * Next-token scores of one decoder row as transformers' logits processors leave them, computed without a
 * vocabulary-sized array: log-softmax, forbidden tokens (bad_words_ids) at -inf, a forced token (the target
 * language first, `</s>` last) with log p = 0 and every other token at -inf, and an optional second
 * log-softmax (renormalize_logits).
 */

/** The search options the processors read (search.ts's SearchOptions has them all). */
export interface ScoringOptions {
  /** Longest decoder sequence, start token included. */
  maxLength: number;
  badTokenIds: readonly number[];
  forcedBosTokenId?: number;
  forcedEosTokenId?: number;
  renormalizeLogits?: boolean;
}

/** Either one forced token, or log p(v) = logits[v] - shift (bad tokens excepted). */
export interface RowScores {
  forced: number | undefined;
  shift: number;
}

/**
 * The shift is max + log(sum exp) over the whole row (the processors act after the log-softmax), or over the
 * allowed tokens only when renormalize_logits asks for a second log-softmax. One pass: the running sum is
 * rescaled whenever the maximum grows.
 */
export function rowScores(
  logits: Float32Array, offset: number, vocab: number, curLen: number, opts: ScoringOptions, bad: ReadonlySet<number>, logSumExp?: number,
): RowScores {
  if (opts.forcedBosTokenId !== undefined && curLen === 1) return { forced: opts.forcedBosTokenId, shift: 0 };
  if (opts.forcedEosTokenId !== undefined && curLen === opts.maxLength - 1) return { forced: opts.forcedEosTokenId, shift: 0 };
  const skipBad = opts.renormalizeLogits === true && bad.size > 0;
  // The decoder's log-sum-exp covers the whole row: right unless renormalization leaves the bad tokens out.
  if (logSumExp !== undefined && !skipBad) return { forced: undefined, shift: logSumExp };
  let max = -Infinity;
  let sum = 0;
  for (let v = 0; v < vocab; v++) {
    const x = logits[offset + v];
    if (skipBad && bad.has(v)) continue;
    if (x > max) {
      sum = sum * Math.exp(max - x) + 1;
      max = x;
    } else {
      sum += Math.exp(x - max);
    }
  }
  return { forced: undefined, shift: max + Math.log(sum) };
}

/** The processed log-probabilities of one row as an array (for tests and tools; the search does without). */
export function processedLogProbs(logits: Float32Array, row: number, vocab: number, curLen: number, opts: ScoringOptions, out: Float64Array): void {
  const bad = new Set(opts.badTokenIds);
  const { forced, shift } = rowScores(logits, row * vocab, vocab, curLen, opts, bad);
  for (let v = 0; v < vocab; v++) out[v] = forced !== undefined ? (v === forced ? 0 : -Infinity) : bad.has(v) ? -Infinity : logits[row * vocab + v] - shift;
}

/** The best allowed token of a row (greedy), with its processed log-probability. */
export function bestToken(
  logits: Float32Array, offset: number, vocab: number, curLen: number, opts: ScoringOptions, bad: ReadonlySet<number>, logSumExp?: number,
): { token: number; logProb: number } {
  const { forced, shift } = rowScores(logits, offset, vocab, curLen, opts, bad, logSumExp);
  if (forced !== undefined) return { token: forced, logProb: 0 };
  let best = -1;
  let bestLogit = -Infinity;
  for (let v = 0; v < vocab; v++) {
    const x = logits[offset + v];
    // The set lookup only for a new best: a vocabulary of lookups per row would cost more than the scan.
    if (x > bestLogit && !bad.has(v)) {
      bestLogit = x;
      best = v;
    }
  }
  return { token: best, logProb: bestLogit - shift };
}

export interface Candidate {
  score: number;
  /** The beam (0..k-1) the candidate continues. */
  beam: number;
  token: number;
}

/**
 * The best `keep` continuations of one sentence's k beams (rows firstRow..firstRow+k-1), best first: the
 * beam's score plus the token's processed log-probability.
 */
export function topCandidates(
  logits: Float32Array, vocab: number, firstRow: number, beamScores: readonly number[], keep: number,
  curLen: number, opts: ScoringOptions, bad: ReadonlySet<number>, eos: ReadonlySet<number>, logSumExp?: Float32Array,
  badOf?: (beam: number) => ReadonlySet<number>,
): Candidate[] {
  const top: Candidate[] = [];
  const offer = (score: number, beam: number, token: number) => {
    let at = top.length === keep ? keep - 1 : top.length;
    if (top.length < keep) top.push({ score, beam, token });
    while (at > 0 && top[at - 1].score < score) {
      top[at] = top[at - 1];
      at--;
    }
    top[at] = { score, beam, token };
  };
  beamScores.forEach((base, beam) => {
    const offset = (firstRow + beam) * vocab;
    // Per-beam bans (min_length, no_repeat_ngram_size, ...) on top of bad_words_ids, when any are set.
    const rowBad = badOf ? badOf(beam) : bad;
    const { forced, shift } = rowScores(logits, offset, vocab, curLen, opts, rowBad, logSumExp?.[firstRow + beam]);
    if (forced !== undefined) {
      if (top.length < keep || base > top[keep - 1].score) offer(base, beam, forced);
      return;
    }
    const add = base - shift;
    for (let token = 0; token < vocab; token++) {
      const score = logits[offset + token] + add;
      // Most tokens fall below the current k-th best: test that before any call or set lookup.
      if (top.length === keep && !(score > top[keep - 1].score)) continue;
      if (!rowBad.has(token)) offer(score, beam, token);
    }
  });
  // Like torch.topk, the list is filled with -inf entries when too few tokens are possible (a forced step):
  // they rank after every real candidate and fill beams that can never win. They are not end tokens, so that
  // every beam is filled (an end token ranked below the first k would be skipped and leave a beam empty).
  for (let token = 0; top.length < keep && token < vocab; token++) if (!eos.has(token)) top.push({ score: -Infinity, beam: 0, token });
  return top;
}
