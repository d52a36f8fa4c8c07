/**
 * From start and end logits over a question's windows to answer spans, as run_qa.py's
 * postprocess_qa_predictions does: in each window the n best start and n best end positions are paired; a pair
 * counts when both are context tokens, the end is not before the start and the span has at most
 * `maxAnswerLength` tokens; its score is start logit + end logit. The null answer's score is the lowest
 * `<s>` score (start + end logit at position 0) over the windows. The n best spans (the same character span
 * found in two overlapping windows counted once, with its best score) get probabilities by a softmax over
 * their scores, the null answer included when unanswerable questions are allowed.
 *
 * With unanswerable questions allowed (SQuAD v2.0), the answer is empty when the null score exceeds the best
 * span's score by more than `nullThreshold` (run_qa.py's null_score_diff_threshold, default 0).
 */

export interface QaDecodeOptions {
  /** Start and end positions tried per window (run_qa.py's n_best_size, 20). */
  nBest: number;
  /** Longest answer in tokens (30). */
  maxAnswerLength: number;
  /** SQuAD v2.0: an answer may be empty. */
  allowNull: boolean;
  /** How much the null score must beat the best span by for the answer to be empty (0). */
  nullThreshold: number;
}

export const DEFAULT_DECODE: QaDecodeOptions = { nBest: 20, maxAnswerLength: 30, allowNull: false, nullThreshold: 0 };

export interface QaWindowLogits {
  spans: ReadonlyArray<readonly [number, number] | null>;
  startLogits: ArrayLike<number>;
  endLogits: ArrayLike<number>;
}

export interface QaSpan {
  text: string;
  /** [start, end) in UTF-16 units of the context; both 0 for the null answer. */
  start: number;
  end: number;
  /** start logit + end logit. */
  score: number;
  probability: number;
}

export interface QaDecoded {
  /** The answer: the best span's text, or "" for a null answer. */
  answer: string;
  /** The best spans, best first; the null answer among them (text "") when allowed. */
  nBest: QaSpan[];
  nullScore: number;
}

/** Indices of the n largest values, largest first (ties: the earlier index first). */
function topIndices(values: ArrayLike<number>, n: number): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, n);
}

export function decodeAnswer(context: string, windows: readonly QaWindowLogits[], o: QaDecodeOptions): QaDecoded {
  let nullScore = Infinity;
  const found = new Map<string, { start: number; end: number; score: number }>();
  for (const w of windows) {
    const length = w.spans.length;
    nullScore = Math.min(nullScore, w.startLogits[0] + w.endLogits[0]);
    const starts = topIndices(Array.prototype.slice.call(w.startLogits, 0, length) as number[], o.nBest);
    const ends = topIndices(Array.prototype.slice.call(w.endLogits, 0, length) as number[], o.nBest);
    for (const s of starts) {
      const from = w.spans[s];
      if (!from) continue;
      for (const e of ends) {
        const to = w.spans[e];
        if (!to || e < s || e - s + 1 > o.maxAnswerLength) continue;
        const score = w.startLogits[s] + w.endLogits[e];
        const key = `${from[0]}:${to[1]}`;
        const seen = found.get(key);
        if (!seen || seen.score < score) found.set(key, { start: from[0], end: to[1], score });
      }
    }
  }
  const candidates = [...found.values()].sort((a, b) => b.score - a.score || a.start - b.start);
  const spans = candidates.slice(0, o.nBest).map((c) => ({ ...c, text: context.slice(c.start, c.end), probability: 0 }));
  const list: QaSpan[] = o.allowNull ? [...spans, { text: '', start: 0, end: 0, score: nullScore, probability: 0 }].sort((a, b) => b.score - a.score) : spans;
  const top = list.length ? Math.max(...list.map((s) => s.score)) : 0;
  const weights = list.map((s) => Math.exp(s.score - top));
  const sum = weights.reduce((a, b) => a + b, 0);
  list.forEach((s, i) => (s.probability = weights[i] / sum));
  const best = spans[0];
  let answer = best ? best.text : '';
  if (o.allowNull && (!best || nullScore - best.score > o.nullThreshold)) answer = '';
  return { answer, nBest: list, nullScore: Number.isFinite(nullScore) ? nullScore : 0 };
}
