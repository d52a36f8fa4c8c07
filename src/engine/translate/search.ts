/**
 * Greedy and beam search over a decoder that gives next-token logits one step at a time, with
 * transformers' rules so that the same model gives the same tokens and scores:
 * - log-softmax of the logits, then the processors generation_config asks for: forbidden tokens
 *   (bad_words_ids) to -inf, the forced first token (M2M100/NLLB's target language) at step 1, the forced
 *   `</s>` at the last step, and a second log-softmax when renormalize_logits is set;
 * - beam search as BeamSearchScorer: beams start as one (the others at -1e9), the best 2·beams candidates
 *   of each sentence are taken in order, an `</s>` among the first `beams` ends a hypothesis scored
 *   sum(log p) / length^length_penalty (length = generated tokens, `</s>` included), a sentence is done
 *   when it holds `beams` hypotheses and no open beam can beat the worst (or at once with early_stopping);
 * - max_length counts the decoder start token, as transformers' max_length does.
 * A finished sentence (greedy) or a done one (beam) is fed the pad token until the whole batch is done.
 */
export interface SearchOptions {
  numBeams: number;
  /** Longest decoder sequence, start token included. */
  maxLength: number;
  lengthPenalty: number;
  earlyStopping: boolean;
  decoderStartTokenId: number;
  eosTokenIds: readonly number[];
  padTokenId: number;
  badTokenIds: readonly number[];
  forcedBosTokenId?: number;
  forcedEosTokenId?: number;
  renormalizeLogits?: boolean;
}

/** Next-token logits of every row ([rows][vocab], row-major) after feeding `tokens` (one per row). */
export interface StepResult {
  logits: Float32Array;
  vocab: number;
}

/**
 * One decoder step. `sourceRows[i]` is the row whose history (cache) row i continues; null keeps every
 * row where it is (greedy search, the first step).
 */
export type DecoderStep = (tokens: readonly number[], sourceRows: readonly number[] | null) => Promise<StepResult>;

export interface Hypothesis {
  /** Generated tokens: no start token; `</s>` at the end unless max_length cut the sentence. */
  tokens: number[];
  /** sum(log p) / length^length_penalty. */
  score: number;
}

/**
 * What the processors leave of one row, without writing a vocabulary-sized array: either one forced token
 * (every other token -inf, the forced one log p = 0), or log p(v) = logits[v] - shift with the bad tokens
 * at -inf. The shift is max + log(sum exp) over the whole row (processors act after the log-softmax), or over
 * the allowed tokens only when renormalize_logits asks for a second log-softmax.
 */
interface RowScores {
  forced: number | undefined;
  shift: number;
}

function rowScores(logits: Float32Array, offset: number, vocab: number, curLen: number, opts: SearchOptions, bad: ReadonlySet<number>): RowScores {
  if (opts.forcedBosTokenId !== undefined && curLen === 1) return { forced: opts.forcedBosTokenId, shift: 0 };
  if (opts.forcedEosTokenId !== undefined && curLen === opts.maxLength - 1) return { forced: opts.forcedEosTokenId, shift: 0 };
  const skipBad = opts.renormalizeLogits === true && bad.size > 0;
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) {
    const x = logits[offset + v];
    if (x > max && !(skipBad && bad.has(v))) max = x;
  }
  let sum = 0;
  for (let v = 0; v < vocab; v++) if (!(skipBad && bad.has(v))) sum += Math.exp(logits[offset + v] - max);
  return { forced: undefined, shift: max + Math.log(sum) };
}

/** The processed log-probabilities of one row, written into `out` (for tests and tools; search avoids the array). */
export function processedLogProbs(logits: Float32Array, row: number, vocab: number, curLen: number, opts: SearchOptions, out: Float64Array): void {
  const bad = new Set(opts.badTokenIds);
  const { forced, shift } = rowScores(logits, row * vocab, vocab, curLen, opts, bad);
  for (let v = 0; v < vocab; v++) out[v] = forced !== undefined ? (v === forced ? 0 : -Infinity) : bad.has(v) ? -Infinity : logits[row * vocab + v] - shift;
}

export async function greedySearch(step: DecoderStep, batch: number, opts: SearchOptions): Promise<Hypothesis[]> {
  const eos = new Set(opts.eosTokenIds);
  const bad = new Set(opts.badTokenIds);
  const generated: number[][] = Array.from({ length: batch }, () => []);
  const sums = new Array<number>(batch).fill(0);
  const done = new Array<boolean>(batch).fill(false);
  let tokens = new Array<number>(batch).fill(opts.decoderStartTokenId);
  for (let curLen = 1; curLen < opts.maxLength && !done.every(Boolean); curLen++) {
    const { logits, vocab } = await step(tokens, null);
    tokens = tokens.map((_, b) => {
      if (done[b]) return opts.padTokenId;
      const offset = b * vocab;
      const { forced, shift } = rowScores(logits, offset, vocab, curLen, opts, bad);
      let best = forced ?? -1;
      if (forced === undefined) {
        for (let v = 0; v < vocab; v++) if (!bad.has(v) && (best < 0 || logits[offset + v] > logits[offset + best])) best = v;
        sums[b] += logits[offset + best] - shift;
      }
      generated[b].push(best);
      done[b] = eos.has(best);
      return best;
    });
  }
  return generated.map((t, b) => ({ tokens: t, score: sums[b] / t.length ** opts.lengthPenalty }));
}

/** The finished hypotheses of one sentence: at most `beams`, the worst dropped first. */
class Hypotheses {
  readonly items: Hypothesis[] = [];
  private worst = 1e9;

  constructor(private readonly beams: number, private readonly lengthPenalty: number, private readonly earlyStopping: boolean) {}

  add(tokens: number[], sumLogProbs: number, generatedLength: number): void {
    const score = sumLogProbs / generatedLength ** this.lengthPenalty;
    if (this.items.length < this.beams || score > this.worst) {
      this.items.push({ tokens, score });
      if (this.items.length > this.beams) {
        const ranked = this.items.map((h, i) => [h.score, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.items.splice(ranked[0][1], 1);
        this.worst = ranked[1][0];
      } else {
        this.worst = Math.min(score, this.worst);
      }
    }
  }

  isDone(bestSumLogProbs: number, generatedLength: number): boolean {
    if (this.items.length < this.beams) return false;
    if (this.earlyStopping) return true;
    return this.worst >= bestSumLogProbs / generatedLength ** this.lengthPenalty;
  }

  best(): Hypothesis {
    return this.items.reduce((a, b) => (b.score > a.score ? b : a));
  }
}

interface Candidate {
  score: number;
  beam: number;
  token: number;
}

export async function beamSearch(step: DecoderStep, batch: number, opts: SearchOptions): Promise<Hypothesis[]> {
  const k = opts.numBeams;
  const eos = new Set(opts.eosTokenIds);
  const keep = Math.max(2, 1 + eos.size) * k;
  const rows = batch * k;
  // Row b·k + j holds beam j of sentence b; only beam 0 is live at first, so the k beams do not start equal.
  let beamScores: number[] = Array.from({ length: rows }, (_, r) => (r % k === 0 ? 0 : -1e9));
  let histories: number[][] = Array.from({ length: rows }, () => []);
  let tokens = new Array<number>(rows).fill(opts.decoderStartTokenId);
  let sourceRows: number[] | null = null;
  const hypotheses = Array.from({ length: batch }, () => new Hypotheses(k, opts.lengthPenalty, opts.earlyStopping));
  const done = new Array<boolean>(batch).fill(false);
  const bad = new Set(opts.badTokenIds);

  for (let curLen = 1; ; curLen++) {
    const { logits, vocab } = await step(tokens, sourceRows);
    const nextTokens = new Array<number>(rows).fill(opts.padTokenId);
    const nextRows = Array.from({ length: rows }, (_, r) => r - (r % k));
    const nextScores = new Array<number>(rows).fill(0);
    for (let b = 0; b < batch; b++) {
      if (done[b]) continue;
      const top = topCandidates(logits, vocab, b, k, keep, beamScores, curLen, opts, bad, eos);
      let chosen = 0;
      for (let rank = 0; rank < top.length && chosen < k; rank++) {
        const { score, beam, token } = top[rank];
        const row = b * k + beam;
        if (eos.has(token)) {
          // An end among the first k candidates finishes a hypothesis; one ranked below them is dropped.
          if (rank < k) hypotheses[b].add(histories[row], score, curLen);
          continue;
        }
        nextTokens[b * k + chosen] = token;
        nextRows[b * k + chosen] = row;
        nextScores[b * k + chosen] = score;
        chosen++;
      }
      done[b] = hypotheses[b].isDone(top[0].score, curLen);
    }
    histories = nextRows.map((row, r) => [...histories[row], nextTokens[r]]);
    beamScores = nextScores;
    tokens = nextTokens;
    sourceRows = nextRows;
    if (done.every(Boolean) || curLen + 1 >= opts.maxLength) break;
  }

  return hypotheses.map((h, b) => {
    if (!done[b]) for (let j = 0; j < k; j++) h.add(histories[b * k + j], beamScores[b * k + j], histories[b * k + j].length);
    const best = h.best();
    // A hypothesis ended by </s> is stored without it; one cut by max_length has no end token.
    const ended = best.tokens.length + 1 < opts.maxLength;
    return { tokens: ended ? [...best.tokens, opts.eosTokenIds[0]] : [...best.tokens], score: best.score };
  });
}

/** The best `keep` (beam, token) continuations of sentence b, best first. */
function topCandidates(
  logits: Float32Array, vocab: number, b: number, k: number, keep: number,
  beamScores: readonly number[], curLen: number, opts: SearchOptions, bad: ReadonlySet<number>, eos: ReadonlySet<number>,
): Candidate[] {
  const top: Candidate[] = [];
  const offer = (score: number, beam: number, token: number) => {
    if (top.length === keep && !(score > top[keep - 1].score)) return;
    let at = top.length === keep ? keep - 1 : top.length;
    if (top.length < keep) top.push({ score, beam, token });
    while (at > 0 && top[at - 1].score < score) {
      top[at] = top[at - 1];
      at--;
    }
    top[at] = { score, beam, token };
  };
  for (let beam = 0; beam < k; beam++) {
    const row = b * k + beam;
    const offset = row * vocab;
    const { forced, shift } = rowScores(logits, offset, vocab, curLen, opts, bad);
    const base = beamScores[row];
    if (forced !== undefined) {
      offer(base, beam, forced);
      continue;
    }
    for (let token = 0; token < vocab; token++) if (!bad.has(token)) offer(logits[offset + token] - shift + base, beam, token);
  }
  // Like torch.topk, the list is filled with -inf entries when too few tokens are possible (a forced step):
  // they rank after every real candidate and fill beams that can never win. They are not end tokens, so that
  // every beam is filled (an end token ranked below the first k would be skipped and leave a beam empty).
  for (let token = 0; top.length < keep && token < vocab; token++) if (!eos.has(token)) top.push({ score: -Infinity, beam: 0, token });
  return top;
}
