/**
 * Did a run learn? A classifier that learned nothing ends with the loss of guessing the label frequencies (ln C for
 * C equally frequent labels) and predicts the majority class; a run like that must not be offered as a model to
 * use. The verdict goes to the log, to train/end (the finish notice) and to OUT/verdict.json (the dashboard).
 */
import type { LoadedDataset } from '../data/index.js';
import { MIN_STEPS } from './defaults.js';
import type { TrainMethod } from './model-loss.js';
import type { HeadKind } from '../tasks/vocabulary.js';
import type { DataCheck, TrainVerdict } from '../rpc/protocol.js';

/** Where a finished run writes its verdict, beside metrics.jsonl. */
export const VERDICT_FILE = 'verdict.json';

/** The end of the run is this far below the chance level at least, or it did not learn. */
const LOSS_MARGIN = 0.95;
/** Eval accuracy within this of the majority share counts as the majority baseline. */
const ACCURACY_MARGIN = 0.01;
/** QA: an eval F1 (0–1) within this of the trivial answer's counts as that baseline (5 points of F1). */
const QA_F1_MARGIN = 0.05;

/** Whether a run learned, why not and what to try: the protocol's type (train/end and RUN/verdict.json carry it). */
export type LearningVerdict = TrainVerdict;
export type { DataCheck };

export interface VerdictInput {
  head: HeadKind;
  method: TrainMethod;
  lr: number;
  /** The learning rate the defaults table gives for this run (advice names it when the run used another). */
  defaultLr: number;
  epochs: number;
  /** The training loss of every logged step, in order. */
  losses: number[];
  /** How often each label (seq-cls) or tag (token-cls) occurs in the training rows. */
  trainLabelCounts?: number[];
  /** The last evaluation's metrics, when there was one. */
  evalMetrics?: Record<string, number>;
  /** How often each label or tag occurs in the eval rows. */
  evalLabelCounts?: number[];
  /** Question answering: the eval F1 of a trivial answer to every question (the best of them), with its name. */
  qaBaseline?: { f1: number; name: string };
  /** Optimizer steps the run made (advice says first when they were too few to judge). */
  steps?: number;
}

/** Entropy (nats) of a count vector: the cross-entropy of the best constant prediction. */
function entropy(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  return total ? -counts.reduce((h, c) => (c ? h + (c / total) * Math.log(c / total) : h), 0) : 0;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

const fmt = (x: number) => (Math.abs(x) >= 0.01 ? x.toFixed(3) : x.toPrecision(2));

export function judgeLearning(v: VerdictInput): LearningVerdict {
  const reasons: string[] = [];
  const tail = Math.max(1, Math.ceil(v.losses.length / 10));
  const finalLoss = v.losses.length ? mean(v.losses.slice(-tail)) : undefined;
  const firstLoss = v.losses.length ? mean(v.losses.slice(0, tail)) : undefined;
  let chanceLoss: number | undefined;
  if (v.head === 'qa') return judgeQa(v, reasons, finalLoss, firstLoss, tail);
  if (v.head === 'mlm') {
    if (finalLoss !== undefined && firstLoss !== undefined && v.losses.length >= 4 && !(finalLoss < firstLoss)) {
      reasons.push(`the masked-LM loss did not fall (mean of the first ${tail} steps ${fmt(firstLoss)}, of the last ${tail} ${fmt(finalLoss)})`);
    }
  } else if (v.trainLabelCounts && v.trainLabelCounts.filter((c) => c > 0).length > 1) {
    chanceLoss = entropy(v.trainLabelCounts);
    const classes = v.trainLabelCounts.filter((c) => c > 0).length;
    if (finalLoss !== undefined && finalLoss > LOSS_MARGIN * chanceLoss) {
      reasons.push(`the final training loss (mean of the last ${tail} step${tail === 1 ? '' : 's'}) was ${fmt(finalLoss)}, no lower than guessing the ${classes} ${v.head === 'token-cls' ? 'tags' : 'labels'} by their frequency (${fmt(chanceLoss)})`);
    }
  }
  let evalAccuracy: number | undefined;
  let majorityAccuracy: number | undefined;
  if (v.head !== 'mlm' && v.evalMetrics?.accuracy !== undefined && v.evalLabelCounts?.length) {
    evalAccuracy = v.evalMetrics.accuracy;
    const total = v.evalLabelCounts.reduce((a, b) => a + b, 0);
    majorityAccuracy = total ? Math.max(...v.evalLabelCounts) / total : undefined;
    if (majorityAccuracy !== undefined && evalAccuracy <= majorityAccuracy + ACCURACY_MARGIN) {
      reasons.push(`its ${v.head === 'token-cls' ? 'word ' : ''}accuracy on the eval rows is ${(100 * evalAccuracy).toFixed(1)}%, no better than always answering the most frequent ${v.head === 'token-cls' ? 'tag' : 'label'} (${(100 * majorityAccuracy).toFixed(1)}%)`);
    }
  }
  if (v.head === 'token-cls' && v.evalMetrics?.f1 === 0 && !reasons.length) reasons.push('it found no entity of the eval rows (entity F1 0)');
  return { learned: reasons.length === 0, reasons, advice: reasons.length ? advise(v) : [], ...notLearnedCheck(v, reasons), finalLoss, finalLossSteps: finalLoss === undefined ? undefined : tail, chanceLoss, evalAccuracy, majorityAccuracy };
}

/**
 * Question answering has no label frequencies: a run learned when its eval F1 clearly beats answering every
 * question with the context's first sentence (or with nothing, on SQuAD v2.0 data), and, without eval questions,
 * when its loss fell.
 */
function judgeQa(v: VerdictInput, reasons: string[], finalLoss: number | undefined, firstLoss: number | undefined, tail: number): LearningVerdict {
  const evalF1 = v.evalMetrics?.f1;
  const baseline = v.qaBaseline;
  if (evalF1 !== undefined && baseline) {
    if (evalF1 <= baseline.f1 + QA_F1_MARGIN) {
      reasons.push(`its F1 on the eval questions is ${(100 * evalF1).toFixed(1)}, no better than always answering ${baseline.name} (${(100 * baseline.f1).toFixed(1)})`);
    }
  } else if (finalLoss !== undefined && firstLoss !== undefined && v.losses.length >= 4 && !(finalLoss < firstLoss)) {
    reasons.push(`the training loss did not fall (mean of the first ${tail} steps ${fmt(firstLoss)}, of the last ${tail} ${fmt(finalLoss)})`);
  }
  return {
    learned: reasons.length === 0, reasons, advice: reasons.length ? advise(v) : [], ...notLearnedCheck(v, reasons), finalLoss, finalLossSteps: finalLoss === undefined ? undefined : tail,
    ...(evalF1 !== undefined && baseline ? { evalF1, baselineF1: baseline.f1, baselineName: baseline.name } : {}),
  };
}

function notLearnedCheck(v: VerdictInput, reasons: readonly string[]): { dataCheck?: DataCheck } {
  const check = reasons.length ? dataCheckOf(v.head) : undefined;
  return check ? { dataCheck: check } : {};
}

function advise(v: VerdictInput): string[] {
  const advice: string[] = [];
  // A classifier run of few steps (small data, or a step limit) is told how few; at the default rate, first.
  const few = v.steps !== undefined && v.steps < MIN_STEPS && v.head !== 'mlm';
  const stepsAdvice = `train longer: this run made ${v.steps} step${v.steps === 1 ? '' : 's'}, and a new head seldom leaves the label frequencies in under ${MIN_STEPS} (more epochs, or a higher step limit)`;
  if (v.lr < v.defaultLr) advice.push(`train with the default learning rate for this model and method, ${v.defaultLr} (this run used ${v.lr})`);
  else if (v.lr > v.defaultLr * 3) advice.push(`lower the learning rate to the default for this model and method, ${v.defaultLr} (this run used ${v.lr})`);
  else if (!few) advice.push(`raise the learning rate to ${+(v.lr * 3).toPrecision(2)}`);
  if (few) advice.push(stepsAdvice);
  if (v.method === 'lora') advice.push('or fine-tune every weight (full fine-tuning), which learns more from small data');
  if (!few) advice.push(`train longer (${Math.min(v.epochs * 2, 40)} epochs)`);
  return advice;
}

/** Which part of the data a run that did not learn should have checked (none for masked-LM: it has no labels). */
function dataCheckOf(head: HeadKind): DataCheck | undefined {
  return head === 'qa' ? 'answers' : head === 'mlm' ? undefined : 'labels';
}

/** The data check in the CLI's words: the commands that find such rows. */
export function dataCheckForCli(check: DataCheck): string {
  return check === 'answers'
    ? 'check that the answers are where answer_start says: xlm data inspect lists the questions whose answer is not at its offset'
    : 'check that the labels follow from the text: xlm data inspect lists conflicting duplicates, xlm data audit the rows whose label the model doubts';
}

/** How often each label (seq-cls) or each tag (token-cls) occurs in a dataset. */
export function labelCounts(data: LoadedDataset, head: HeadKind): number[] {
  const counts = new Array<number>(data.labels.length).fill(0);
  for (let i = 0; i < data.size; i++) {
    if (head === 'token-cls') {
      for (const t of data.tagIds(i) ?? []) if (t >= 0) counts[t]++;
    } else if (data.labelId(i) >= 0) counts[data.labelId(i)]++;
  }
  return counts;
}

/** One line for the log and the finish notice. */
export function describeVerdict(v: LearningVerdict): string {
  if (v.learned) return 'the run learned';
  const advice = v.dataCheck ? [...v.advice, dataCheckForCli(v.dataCheck)] : v.advice;
  return `the run did not learn: ${v.reasons.join('; ')}. Try: ${advice.join('; ')}.`;
}
