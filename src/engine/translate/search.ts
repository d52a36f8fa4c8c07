/**
 * Greedy and beam search over a decoder that gives next-token logits one step at a time, with
 * transformers' rules so that the same model gives the same tokens and scores:
 * - log-softmax, then the processors generation_config asks for (scoring.ts);
 * - beam search as BeamSearchScorer: beams start as one (the others at -1e9), the best 2·beams candidates
 *   of each sentence are taken in order, an `</s>` among the first `beams` ends a hypothesis scored
 *   sum(log p) / length^length_penalty (length = generated tokens, `</s>` included), a sentence is done
 *   when it holds `beams` hypotheses and no open beam can beat the worst (or at once with early_stopping);
 * - max_length counts the decoder start token, as transformers' max_length does.
 * A finished sentence leaves the batch: the decoder is asked for fewer rows from then on (transformers keeps
 * feeding it pad tokens; the other sentences' results are the same).
 */
import { bestToken, topCandidates } from './scoring.js';

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
  /** log(sum(exp(logits))) of every row, when the decoder computed it (else search does). */
  logSumExp?: Float32Array;
}

/**
 * One decoder step. Row i continues the history (cache) of the previous step's row `sourceRows[i]`; null
 * keeps every row where it is. When the number of rows is unchanged, rows move only within their sentence
 * (beams of one sentence); fewer rows means finished sentences left.
 */
export type DecoderStep = (tokens: readonly number[], sourceRows: readonly number[] | null) => Promise<StepResult>;

export interface Hypothesis {
  /** Generated tokens: no start token; `</s>` at the end unless max_length cut the sentence. */
  tokens: number[];
  /** sum(log p) / length^length_penalty. */
  score: number;
}

export async function greedySearch(step: DecoderStep, batch: number, opts: SearchOptions): Promise<Hypothesis[]> {
  const eos = new Set(opts.eosTokenIds);
  const bad = new Set(opts.badTokenIds);
  const generated: number[][] = Array.from({ length: batch }, () => []);
  const sums = new Array<number>(batch).fill(0);
  let active = Array.from({ length: batch }, (_, b) => b);
  let tokens = new Array<number>(batch).fill(opts.decoderStartTokenId);
  let sourceRows: number[] | null = null;
  for (let curLen = 1; curLen < opts.maxLength && active.length > 0; curLen++) {
    const { logits, vocab, logSumExp } = await step(tokens, sourceRows);
    const next: number[] = [];
    const kept: number[] = [];
    active.forEach((b, row) => {
      const { token, logProb } = bestToken(logits, row * vocab, vocab, curLen, opts, bad, logSumExp?.[row]);
      generated[b].push(token);
      sums[b] += logProb;
      if (!eos.has(token)) {
        kept.push(row);
        next.push(token);
      }
    });
    sourceRows = kept.length === active.length ? null : kept;
    active = kept.map((row) => active[row]);
    tokens = next;
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

/** The open beams of one sentence: token histories and summed log-probabilities. */
interface Beams {
  histories: number[][];
  scores: number[];
}

export async function beamSearch(step: DecoderStep, batch: number, opts: SearchOptions): Promise<Hypothesis[]> {
  const k = opts.numBeams;
  const eos = new Set(opts.eosTokenIds);
  const bad = new Set(opts.badTokenIds);
  const keep = Math.max(2, 1 + eos.size) * k;
  // Only beam 0 is live at first, so the k beams do not start equal.
  const beams: Beams[] = Array.from({ length: batch }, () => ({
    histories: Array.from({ length: k }, () => []),
    scores: Array.from({ length: k }, (_, j) => (j === 0 ? 0 : -1e9)),
  }));
  const hypotheses = Array.from({ length: batch }, () => new Hypotheses(k, opts.lengthPenalty, opts.earlyStopping));
  const done = new Array<boolean>(batch).fill(false);
  // Sentence of each block of k rows in the decoder's batch.
  let active = Array.from({ length: batch }, (_, b) => b);
  let tokens = new Array<number>(batch * k).fill(opts.decoderStartTokenId);
  let sourceRows: number[] | null = null;

  for (let curLen = 1; active.length > 0; curLen++) {
    const { logits, vocab, logSumExp } = await step(tokens, sourceRows);
    const nextTokens: number[] = [];
    const nextRows: number[] = [];
    const stillActive: number[] = [];
    active.forEach((b, block) => {
      const top = topCandidates(logits, vocab, block * k, beams[b].scores, keep, curLen, opts, bad, eos, logSumExp);
      const next: Beams = { histories: [], scores: [] };
      const rows: number[] = [];
      for (let rank = 0; rank < top.length && next.scores.length < k; rank++) {
        const { score, beam, token } = top[rank];
        if (eos.has(token)) {
          // An end among the first k candidates finishes a hypothesis; one ranked below them is dropped.
          if (rank < k) hypotheses[b].add(beams[b].histories[beam], score, curLen);
          continue;
        }
        next.histories.push([...beams[b].histories[beam], token]);
        next.scores.push(score);
        rows.push(block * k + beam);
      }
      beams[b] = next;
      done[b] = hypotheses[b].isDone(top[0].score, curLen);
      if (!done[b] && curLen + 1 < opts.maxLength) {
        stillActive.push(b);
        nextRows.push(...rows);
        nextTokens.push(...next.histories.map((h) => h[h.length - 1]));
      }
    });
    active = stillActive;
    tokens = nextTokens;
    sourceRows = nextRows;
  }

  return hypotheses.map((h, b) => {
    if (!done[b]) beams[b].histories.forEach((history, j) => h.add(history, beams[b].scores[j], history.length));
    const best = h.best();
    // A hypothesis ended by </s> is stored without it; one cut by max_length has no end token.
    const ended = best.tokens.length + 1 < opts.maxLength;
    return { tokens: ended ? [...best.tokens, opts.eosTokenIds[0]] : [...best.tokens], score: best.score };
  });
}
