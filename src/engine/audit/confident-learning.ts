/**
 * Confident learning (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in Dataset
 * Labels", JAIR 2021): which rows' given labels are likely wrong, from out-of-sample predicted probabilities.
 *
 * The rules follow cleanlab's `filter.find_label_issues` with its defaults (filter_by 'prune_by_noise_rate',
 * frac_noise 1, min_examples_per_class 1), read from cleanlab's `filter.py`, `count.py` and `internal/util.py`:
 *  1. per-class threshold t_k = mean predicted probability of class k over the rows labelled k (self-confidence),
 *     clipped below at 2e-6; a class with no rows gets 2 (nothing reaches it);
 *  2. each row with p_j >= t_j - 1e-6 for some j counts in the confident joint C[given][true], true = the argmax
 *     among the classes it passes (the plain argmax when it passes several); the diagonal is clipped to at least 1;
 *  3. calibration: each row of C scaled to its class's row count, then the whole to the number of rows, rounded
 *     keeping row totals;
 *  4. prune by noise rate: the transposed joint, every class kept with at least one row (off-diagonals lowered
 *     evenly where a diagonal is raised), rounded keeping row totals; then for each given class k and each other
 *     class j, the C[k][j] rows labelled k with the largest margin p_j - p_k are flagged;
 *  5. a flagged row whose argmax is its given label (the given label's probability plus 1e-6 wins ties) is let go.
 * Rows are ranked by self-confidence (the given label's probability), lowest first, as cleanlab's default
 * `get_label_quality_scores` ranks them.
 */

const FLOATING_POINT_COMPARISON = 1e-6;
const THRESHOLD_LOWER_BOUND = 2 * FLOATING_POINT_COMPARISON;
const ABSENT_CLASS_THRESHOLD = 2;
const TINY = 1e-100;

export interface LabelIssue {
  /** Row index into the inputs. */
  index: number;
  given: number;
  /** The most probable class: what the label should likely be. */
  suggested: number;
  /** Probability of the given label (cleanlab's self-confidence): the lower, the likelier the label is wrong. */
  selfConfidence: number;
}

export interface ConfidentLearningResult {
  /** Per-class thresholds (mean self-confidence). */
  thresholds: number[];
  /** The calibrated confident joint, [given][true]. */
  confidentJoint: number[][];
  /** Rows flagged, lowest self-confidence first. */
  issues: LabelIssue[];
}

/** Mean probability of class k over the rows labelled k. */
export function confidentThresholds(labels: ArrayLike<number>, probs: readonly ArrayLike<number>[], classes: number): number[] {
  const sums = new Float64Array(classes);
  const counts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    sums[labels[i]] += probs[i][labels[i]];
    counts[labels[i]]++;
  }
  return Array.from(sums, (s, k) => (counts[k] ? Math.max(s / counts[k], THRESHOLD_LOWER_BOUND) : ABSENT_CLASS_THRESHOLD));
}

/** The confident joint [given][true] before calibration (diagonal at least 1). */
export function rawConfidentJoint(labels: ArrayLike<number>, probs: readonly ArrayLike<number>[], thresholds: readonly number[]): number[][] {
  const K = thresholds.length;
  const joint = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const p = probs[i];
    let passing = 0;
    let firstPassing = -1;
    for (let k = 0; k < K; k++) {
      if (p[k] >= thresholds[k] - FLOATING_POINT_COMPARISON) {
        passing++;
        if (firstPassing < 0) firstPassing = k;
      }
    }
    if (passing === 0) continue;
    const guess = passing > 1 ? argmax(p) : firstPassing;
    joint[labels[i]][guess]++;
  }
  for (let k = 0; k < K; k++) joint[k][k] = Math.max(joint[k][k], 1);
  return joint;
}

/** Rows scaled to the class counts, the whole to the row count, rounded keeping row totals. */
export function calibrateJoint(joint: readonly (readonly number[])[], labelCounts: readonly number[]): number[][] {
  const rows = joint.map((row, k) => {
    const total = Math.max(row.reduce((a, b) => a + b, 0), TINY);
    return row.map((v) => (v / total) * labelCounts[k]);
  });
  const all = Math.max(rows.flat().reduce((a, b) => a + b, 0), TINY);
  const n = labelCounts.reduce((a, b) => a + b, 0);
  return rows.map((row) => roundPreservingSum(row.map((v) => (v / all) * n)));
}

/**
 * Rounds to integers whose sum is the rounded sum of the inputs: the entries furthest from their rounding are
 * moved by one until the sums agree. Ties are broken as numpy's argsort of a short row does (a stable sort by the
 * rounding error, reversed when raising: the latest index is raised first, the earliest lowered first).
 */
export function roundPreservingSum(values: readonly number[]): number[] {
  const ints = values.map(roundHalfEven);
  const target = roundHalfEven(values.reduce((a, b) => a + b, 0));
  let sum = ints.reduce((a, b) => a + b, 0);
  while (Math.abs(sum - target) > FLOATING_POINT_COMPARISON) {
    const diff = Math.round(target - sum);
    const increment = diff < 0 ? -1 : 1;
    const changes = Math.min(Math.abs(diff), values.length);
    const order = values.map((_, i) => i).sort((a, b) => values[a] - ints[a] - (values[b] - ints[b]) || a - b);
    if (increment > 0) order.reverse();
    for (const i of order.slice(0, changes)) ints[i] += increment;
    sum = ints.reduce((a, b) => a + b, 0);
  }
  return ints;
}

/** numpy's round: halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The transposed joint with every class keeping at least n rows (frac_noise 1), as counts. */
function pruneCounts(joint: readonly (readonly number[])[], n: number): number[][] {
  const K = joint.length;
  // prune[j][k] = joint[k][j]: column k holds, for given class k, how many rows truly belong to each j.
  const prune = Array.from({ length: K }, (_, j) => Array.from({ length: K }, (_, k) => joint[k][j]));
  for (let k = 0; k < K; k++) {
    const diagonal = prune[k][k];
    const raised = Math.max(diagonal, n);
    const diff = raised - diagonal;
    let nonZero = 0;
    for (let j = 0; j < K; j++) if (prune[j][k] !== 0) nonZero++;
    const share = diff / Math.max(nonZero - 1, 1);
    for (let j = 0; j < K; j++) prune[j][k] = Math.max(prune[j][k] - share, 0);
    prune[k][k] = raised;
  }
  // cleanlab's frac_noise step casts to int (truncation) before rounding rows; with frac_noise 1 it is a floor.
  return prune.map((row) => roundPreservingSum(row.map((v) => Math.trunc(v))));
}

/** cleanlab's find_label_issues(labels, pred_probs) with its defaults; see the file comment. */
export function findLabelIssues(labels: ArrayLike<number>, probs: readonly ArrayLike<number>[], classes: number): ConfidentLearningResult {
  if (labels.length !== probs.length) throw new Error(`confident learning needs one probability row per label: ${labels.length} labels, ${probs.length} rows`);
  const labelCounts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) labelCounts[labels[i]]++;
  const thresholds = confidentThresholds(labels, probs, classes);
  const joint = calibrateJoint(rawConfidentJoint(labels, probs, thresholds), labelCounts);
  const prune = pruneCounts(joint, 1);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const flagged = new Set<number>();
  for (let k = 0; k < classes; k++) {
    const rows = byClass[k];
    if (rows.length <= 1) continue;
    for (let j = 0; j < classes; j++) {
      const count = prune[j][k];
      if (j === k || count <= 0) continue;
      // numpy's argsort(-margin) is a quicksort; ties are ordered by row, which only matters on exact ties.
      const order = rows.map((i) => ({ i, margin: probs[i][j] - probs[i][k] })).sort((a, b) => b.margin - a.margin || a.i - b.i);
      for (const { i } of order.slice(0, count)) flagged.add(i);
    }
  }
  const issues: LabelIssue[] = [];
  for (const i of flagged) {
    const p = probs[i];
    const given = labels[i];
    const suggested = argmaxFavouring(p, given);
    if (suggested === given) continue;
    issues.push({ index: i, given, suggested, selfConfidence: p[given] });
  }
  issues.sort((a, b) => a.selfConfidence - b.selfConfidence || a.index - b.index);
  return { thresholds, confidentJoint: joint, issues };
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  return best;
}

/** The argmax with the given class's probability nudged up by 1e-6 (cleanlab's _reduce_issues). */
export function argmaxFavouring(p: ArrayLike<number>, given: number): number {
  let best = 0;
  const value = (k: number) => p[k] + (k === given ? FLOATING_POINT_COMPARISON : 0);
  for (let k = 1; k < p.length; k++) if (value(k) > value(best)) best = k;
  return best;
}

/**
 * Below this out-of-sample probability of its given label, a row whose most probable class has at least
 * RULED_OUT_OTHER is flagged even where confident learning lets it go. Confident learning counts a row only when it
 * reaches its predicted class's threshold (that class's mean self-confidence), and with few wrong labels a wrong row
 * can fall just short: in a user's trial, Thai paragraphs labelled deu and fra got 0.1% for their labels and 0.88
 * for Thai, against Thai's threshold 0.905, and were not flagged.
 */
export const RULED_OUT = 0.01;
export const RULED_OUT_OTHER = 0.5;

/** Confident learning's issues plus the rows the model all but rules out (RULED_OUT), ranked as findLabelIssues ranks. */
export function withRuledOut(result: ConfidentLearningResult, labels: ArrayLike<number>, probs: readonly ArrayLike<number>[]): LabelIssue[] {
  const flagged = new Set(result.issues.map((issue) => issue.index));
  const issues = [...result.issues];
  for (let i = 0; i < labels.length; i++) {
    const given = labels[i];
    if (given < 0 || flagged.has(i)) continue;
    const p = probs[i];
    const suggested = argmaxFavouring(p, given);
    if (suggested !== given && p[given] < RULED_OUT && p[suggested] >= RULED_OUT_OTHER) issues.push({ index: i, given, suggested, selfConfidence: p[given] });
  }
  return issues.sort((a, b) => a.selfConfidence - b.selfConfidence || a.index - b.index);
}
