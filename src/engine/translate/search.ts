/**
 * Greedy and beam search over a decoder that gives next-token logits one step at a time, with
 * transformers' rules so that the same model gives the same tokens and scores:
 * - log-softmax, then the processors generation_config asks for (scoring.ts);
 * - beam search as transformers 4.50 and later (v5) do it (beamSearch below); an `</s>` among the first
 *   `beams` candidates ends a hypothesis scored sum(log p) / length^length_penalty (length = generated
 *   tokens, `</s>` included);
 * - max_length counts the decoder start token, as transformers' max_length does.
 * A finished sentence leaves the batch: the decoder is asked for fewer rows from then on (transformers keeps
 * feeding it pad tokens; the other sentences' results are the same).
 */
import { bannedAfter, hasBans, type BanSettings } from './bans.js';
import { bestToken, topCandidates, type ScoringOptions } from './scoring.js';

export interface SearchOptions extends ScoringOptions {
  numBeams: number;
  lengthPenalty: number;
  /** transformers' early_stopping: true, false or "never". */
  earlyStopping: boolean | 'never';
  /** Hypotheses kept per sentence (beam search only; at most numBeams), as Hypothesis.nBest. */
  numReturnSequences?: number;
  decoderStartTokenId: number;
  eosTokenIds: readonly number[];
  padTokenId: number;
  /** min_length, min_new_tokens, no_repeat_ngram_size, suppress_tokens, begin_suppress_tokens (bans.ts). */
  bans?: BanSettings;
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
  /** With numReturnSequences > 1: the best hypotheses, best first (this one first). */
  nBest?: Hypothesis[];
}

export async function greedySearch(step: DecoderStep, batch: number, opts: SearchOptions): Promise<Hypothesis[]> {
  const eos = new Set(opts.eosTokenIds);
  const bad = new Set(opts.badTokenIds);
  const generated: number[][] = Array.from({ length: batch }, () => []);
  const bansOn = opts.bans !== undefined && hasBans(opts.bans);
  const forcedBos = opts.forcedBosTokenId !== undefined;
  const sums = new Array<number>(batch).fill(0);
  let active = Array.from({ length: batch }, (_, b) => b);
  let tokens = new Array<number>(batch).fill(opts.decoderStartTokenId);
  let sourceRows: number[] | null = null;
  for (let curLen = 1; curLen < opts.maxLength && active.length > 0; curLen++) {
    const { logits, vocab, logSumExp } = await step(tokens, sourceRows);
    const next: number[] = [];
    const kept: number[] = [];
    active.forEach((b, row) => {
      const rowBad = bansOn ? bannedAfter([opts.decoderStartTokenId, ...generated[b]], opts.bans!, opts.eosTokenIds, forcedBos, bad) : bad;
      const { token, logProb } = bestToken(logits, row * vocab, vocab, curLen, opts, rowBad, logSumExp?.[row]);
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

  constructor(private readonly beams: number, private readonly lengthPenalty: number) {}

  /** `tokens` as generated (the end token included when one ended it). */
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

  get full(): boolean {
    return this.items.length >= this.beams;
  }

  /**
   * transformers' _check_early_stop_heuristic (generation/utils.py, 4.50 and later): no open beam can still
   * win when the best one still running (end candidates removed), scored at `length` tokens, is not above the
   * worst finished hypothesis.
   */
  cannotImprove(bestRunningSumLogProbs: number, length: number): boolean {
    return this.full && !(bestRunningSumLogProbs / length ** this.lengthPenalty > this.worst);
  }

  ranked(): Hypothesis[] {
    return this.items.map((h, i) => [h, i] as const).sort((a, b) => b[0].score - a[0].score || a[1] - b[1]).map(([h]) => h);
  }
}

/** The open beams of one sentence: token histories and summed log-probabilities. */
interface Beams {
  histories: number[][];
  scores: number[];
}

/**
 * Beam search as transformers' _beam_search (generation/utils.py, 4.50 and later, v5):
 * - the best max(2, 1 + #eos)·k candidates of each sentence are taken in order; an end token among the first
 *   k finishes a hypothesis (its end token kept), the first k others go on;
 * - at the last step (max_length reached) every one of the first k candidates is finished, ended or not;
 * - a sentence stops taking hypotheses when it holds k of them and either early_stopping is true, or the best
 *   running beam (after the end candidates are removed) scored at the current length (at max_length with
 *   early_stopping "never" and a positive length penalty) is not above the worst finished one.
 */
export async function beamSearch(step: DecoderStep, batch: number, opts: SearchOptions): Promise<Hypothesis[]> {
  const k = opts.numBeams;
  const eos = new Set(opts.eosTokenIds);
  const bad = new Set(opts.badTokenIds);
  const keep = Math.max(2, 1 + eos.size) * k;
  const returned = opts.numReturnSequences ?? 1;
  const bansOn = opts.bans !== undefined && hasBans(opts.bans);
  const forcedBos = opts.forcedBosTokenId !== undefined;
  // Only beam 0 is live at first, so the k beams do not start equal.
  const beams: Beams[] = Array.from({ length: batch }, () => ({
    histories: Array.from({ length: k }, () => []),
    scores: Array.from({ length: k }, (_, j) => (j === 0 ? 0 : -1e9)),
  }));
  const hypotheses = Array.from({ length: batch }, () => new Hypotheses(k, opts.lengthPenalty));
  // Sentence of each block of k rows in the decoder's batch.
  let active = Array.from({ length: batch }, (_, b) => b);
  let tokens = new Array<number>(batch * k).fill(opts.decoderStartTokenId);
  let sourceRows: number[] | null = null;

  for (let curLen = 1; active.length > 0; curLen++) {
    const { logits, vocab, logSumExp } = await step(tokens, sourceRows);
    const last = curLen + 1 >= opts.maxLength;
    const nextTokens: number[] = [];
    const nextRows: number[] = [];
    const stillActive: number[] = [];
    active.forEach((b, block) => {
      const histories = beams[b].histories;
      const badOf = bansOn ? (beam: number) => bannedAfter([opts.decoderStartTokenId, ...histories[beam]], opts.bans!, opts.eosTokenIds, forcedBos, bad) : undefined;
      const top = topCandidates(logits, vocab, block * k, beams[b].scores, keep, curLen, opts, bad, eos, logSumExp, badOf);
      const next: Beams = { histories: [], scores: [] };
      const rows: number[] = [];
      for (let rank = 0; rank < top.length && (next.scores.length < k || (last && rank < k)); rank++) {
        const { score, beam, token } = top[rank];
        const history = [...beams[b].histories[beam], token];
        // An end among the first k candidates finishes a hypothesis; one ranked below them is dropped.
        // At max_length each of the first k candidates is finished as it stands.
        if (eos.has(token) || last) {
          if (rank < k) hypotheses[b].add(history, score, curLen);
          continue;
        }
        next.histories.push(history);
        next.scores.push(score);
        rows.push(block * k + beam);
      }
      beams[b] = next;
      if (last) return;
      const length = opts.earlyStopping === 'never' && opts.lengthPenalty > 0 ? opts.maxLength - 1 : curLen;
      const done = hypotheses[b].full && (opts.earlyStopping === true || hypotheses[b].cannotImprove(next.scores[0], length));
      if (!done) {
        stillActive.push(b);
        nextRows.push(...rows);
        nextTokens.push(...next.histories.map((h) => h[h.length - 1]));
      }
    });
    active = stillActive;
    tokens = nextTokens;
    sourceRows = nextRows;
  }

  return hypotheses.map((h) => {
    const [best, ...others] = h.ranked();
    return returned > 1 ? { ...best, nBest: [best, ...others.slice(0, returned - 1)] } : best;
  });
}
