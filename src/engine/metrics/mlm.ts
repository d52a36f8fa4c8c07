/**
 * Masked-LM evaluation: mean cross-entropy over the masked positions, perplexity = exp(mean loss), and top-k
 * accuracy (the original token among the k highest scores). Accumulated batch by batch, so evaluation over a
 * large set never holds more than one batch of logits.
 *
 * A tie counts against the original token (see `rankOf`): a collapsed model whose logits are all equal scores
 * 0 top-1, not 100%. With distinct logits this is the same as ranking by argmax, as Hugging Face's run_mlm does.
 */
import type { PerLanguage } from './by-language.js';

export const IGNORE_INDEX = -100;

/**
 * The original token's rank among the scores at one position: the entries scoring strictly higher plus the
 * other entries scoring the same, so the token is in the top k only when `rank < k` and it beats every
 * entry it ties with nowhere (a tie is a miss). 0 means it alone scores best.
 */
export function rankOf(scores: ArrayLike<number>, label: number, offset = 0, size = scores.length - offset): number {
  const gold = scores[offset + label];
  let rank = 0;
  for (let v = 0; v < size; v++) if (v !== label && scores[offset + v] >= gold) rank++;
  return rank;
}

export interface MlmMetrics {
  /** Mean cross-entropy (nats) per predicted token. */
  loss: number;
  perplexity: number;
  /** Tokens the loss is over. */
  tokens: number;
  /** k → share of positions whose gold token is among the k best (over the positions given as logits). */
  topK: Record<number, number>;
}

export class MlmMetricAccumulator {
  private lossSum = 0;
  private lossTokens = 0;
  private rankedTokens = 0;
  private readonly hits: number[];

  constructor(readonly ks: readonly number[] = [1, 5]) {
    this.hits = ks.map(() => 0);
  }

  /**
   * Logits for `labels.length` positions, row-major [position][vocab]; positions whose label is `ignoreIndex`
   * (unmasked tokens, padding) are skipped. A tie is a miss: the gold token is within the top k when fewer
   * than k other tokens score at least as high (`rankOf`).
   */
  addLogits(logits: ArrayLike<number>, vocabSize: number, labels: ArrayLike<number>, ignoreIndex = IGNORE_INDEX): void {
    if (logits.length !== labels.length * vocabSize) {
      throw new Error(`MlmMetricAccumulator: ${logits.length} logits for ${labels.length} positions × vocab ${vocabSize}`);
    }
    for (let p = 0; p < labels.length; p++) {
      const label = labels[p];
      if (label === ignoreIndex) continue;
      if (label < 0 || label >= vocabSize) throw new Error(`MlmMetricAccumulator: label ${label} at position ${p} is outside the vocabulary (${vocabSize})`);
      const base = p * vocabSize;
      const gold = logits[base + label];
      let max = -Infinity;
      for (let v = 0; v < vocabSize; v++) if (logits[base + v] > max) max = logits[base + v];
      let sumExp = 0;
      for (let v = 0; v < vocabSize; v++) sumExp += Math.exp(logits[base + v] - max);
      const rank = rankOf(logits, label, base, vocabSize);
      this.lossSum += max + Math.log(sumExp) - gold;
      this.lossTokens++;
      this.rankedTokens++;
      for (let k = 0; k < this.ks.length; k++) if (rank < this.ks[k]) this.hits[k]++;
    }
  }

  /** A batch whose mean loss came out of the training graph (top-k needs logits, so it is not updated). */
  addLoss(meanLoss: number, tokens: number): void {
    this.lossSum += meanLoss * tokens;
    this.lossTokens += tokens;
  }

  result(): MlmMetrics {
    const loss = this.lossTokens === 0 ? 0 : this.lossSum / this.lossTokens;
    const topK: Record<number, number> = {};
    this.ks.forEach((k, i) => (topK[k] = this.rankedTokens === 0 ? 0 : this.hits[i] / this.rankedTokens));
    return { loss, perplexity: Math.exp(loss), tokens: this.lossTokens, topK };
  }
}

/** One-shot form of the accumulator. */
export function mlmMetrics(logits: ArrayLike<number>, vocabSize: number, labels: ArrayLike<number>, ks: readonly number[] = [1, 5]): MlmMetrics {
  const acc = new MlmMetricAccumulator(ks);
  acc.addLogits(logits, vocabSize, labels);
  return acc.result();
}

/** Masked-LM metrics per language beside the pooled ones: one accumulator per language the rows name. */
export class MlmMetricsByLanguage {
  private readonly all: MlmMetricAccumulator;
  private readonly byLanguage = new Map<string, MlmMetricAccumulator>();

  constructor(private readonly ks: readonly number[] = [1, 5]) {
    this.all = new MlmMetricAccumulator(ks);
  }

  private of(language: string | undefined): MlmMetricAccumulator[] {
    if (language === undefined) return [this.all];
    let acc = this.byLanguage.get(language);
    if (!acc) this.byLanguage.set(language, (acc = new MlmMetricAccumulator(this.ks)));
    return [this.all, acc];
  }

  /** Logits and labels of rows in one language (call once per row or per single-language batch). */
  addLogits(language: string | undefined, logits: ArrayLike<number>, vocabSize: number, labels: ArrayLike<number>, ignoreIndex = IGNORE_INDEX): void {
    for (const acc of this.of(language)) acc.addLogits(logits, vocabSize, labels, ignoreIndex);
  }

  addLoss(language: string | undefined, meanLoss: number, tokens: number): void {
    for (const acc of this.of(language)) acc.addLoss(meanLoss, tokens);
  }

  result(): PerLanguage<MlmMetrics> {
    const languages: Record<string, MlmMetrics> = {};
    for (const language of [...this.byLanguage.keys()].sort()) languages[language] = this.byLanguage.get(language)!.result();
    return { all: this.all.result(), languages };
  }
}
