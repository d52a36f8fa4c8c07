/**
 * Best-checkpoint tracking and early stopping during training, as transformers' Trainer does them with
 * `metric_for_best_model` and EarlyStoppingCallback: an evaluation improves on the best when its metric is
 * strictly better (higher for accuracy and F1, lower for loss); after `patience` evaluations in a row
 * without an improvement, training stops. Pure: the trainer feeds it numbers and saves its state with the
 * checkpoint, so a resumed run keeps counting where it was.
 */
import { XlmError } from '../errors.js';

/** bleu and chrf: translation runs (src/engine/seq2seq/evaluation.ts); em (exact match): question answering. */
export type MetricForBest = 'accuracy' | 'f1' | 'em' | 'loss' | 'bleu' | 'chrf';
export const METRICS_FOR_BEST: readonly MetricForBest[] = ['accuracy', 'f1', 'em', 'loss', 'bleu', 'chrf'];

export interface BestTrackerOptions {
  /** The eval metric's key (`accuracy`, `macro_f1`, `loss`; a per-language key like `accuracy/de` works too). */
  key: string;
  greaterIsBetter: boolean;
  /** Stop after this many evaluations without improvement; absent: never stop early. */
  patience?: number;
}

export interface BestTrackerState {
  key: string;
  greaterIsBetter: boolean;
  bestValue: number | null;
  bestStep: number | null;
  /** Evaluations since the best one (0 right after an improvement). */
  evalsSinceBest: number;
}

export interface BestVerdict {
  /** This evaluation is the new best. */
  improved: boolean;
  /** Patience is used up: stop training. */
  stop: boolean;
  bestValue: number | null;
  bestStep: number | null;
}

export class BestTracker {
  private bestValue: number | null = null;
  private bestStep: number | null = null;
  private evalsSinceBest = 0;

  constructor(readonly options: BestTrackerOptions) {
    const { patience } = options;
    if (patience !== undefined && (!Number.isInteger(patience) || patience < 1)) {
      throw new XlmError('bad-option', `--patience must be a whole number of at least 1, got ${patience}`, { what: 'patience' });
    }
  }

  /** Records one evaluation's metrics; a missing or NaN metric never counts as an improvement. */
  update(step: number, metrics: Readonly<Record<string, number>>): BestVerdict {
    const value = metrics[this.options.key];
    const better = typeof value === 'number' && !Number.isNaN(value) &&
      (this.bestValue === null || (this.options.greaterIsBetter ? value > this.bestValue : value < this.bestValue));
    if (better) {
      this.bestValue = value;
      this.bestStep = step;
      this.evalsSinceBest = 0;
    } else {
      this.evalsSinceBest++;
    }
    const stop = this.options.patience !== undefined && this.evalsSinceBest >= this.options.patience;
    return { improved: better, stop, bestValue: this.bestValue, bestStep: this.bestStep };
  }

  get best(): { step: number; value: number } | undefined {
    return this.bestStep === null || this.bestValue === null ? undefined : { step: this.bestStep, value: this.bestValue };
  }

  state(): BestTrackerState {
    return { key: this.options.key, greaterIsBetter: this.options.greaterIsBetter, bestValue: this.bestValue, bestStep: this.bestStep, evalsSinceBest: this.evalsSinceBest };
  }

  /** Continues from a saved state (resume); a state kept for another metric is ignored. */
  restore(state: BestTrackerState | undefined): void {
    if (!state || state.key !== this.options.key || state.greaterIsBetter !== this.options.greaterIsBetter) return;
    this.bestValue = state.bestValue;
    this.bestStep = state.bestStep;
    this.evalsSinceBest = state.evalsSinceBest;
  }
}

/** The eval key and direction of `--metric-for-best` for a task, in the names evaluation reports. */
export function metricForBestKey(task: 'seq-cls' | 'nli' | 'token-cls' | 'mlm' | 'qa', metric: MetricForBest): { key: string; greaterIsBetter: boolean } {
  if (metric === 'loss') return { key: 'loss', greaterIsBetter: false };
  if (metric === 'bleu' || metric === 'chrf') throw new XlmError('bad-option', `--metric-for-best ${metric} scores translations; use it with --task translation (here: accuracy, f1 or loss)`, { what: 'metric-for-best' });
  // Question answering: em (or accuracy) is SQuAD's exact match.
  if (task === 'qa') return { key: metric === 'f1' ? 'f1' : 'exact_match', greaterIsBetter: true };
  if (metric === 'em') throw new XlmError('bad-option', '--metric-for-best em is the exact match of question answering; use it with --task qa (here: accuracy, f1 or loss)', { what: 'metric-for-best' });
  if (metric === 'accuracy') return { key: 'accuracy', greaterIsBetter: true };
  if (task === 'mlm') throw new XlmError('bad-option', '--metric-for-best f1 has no meaning for masked-LM; use accuracy (top-1 over masked tokens) or loss', { what: 'metric-for-best' });
  return { key: task === 'token-cls' ? 'f1' : 'macro_f1', greaterIsBetter: true };
}
