/**
 * Cross-entropy over class scores with ignored positions (label -100), mean over the kept ones, with optional
 * label smoothing. Built from ops every execution provider we use implements (onnxruntime's own
 * SoftmaxCrossEntropyLoss becomes LogSoftmax + NegativeLogLikelihoodLoss, neither of which the WebGPU provider
 * has, so the logits went to the host on every training step).
 */
import { defineOp, type Value } from '../graph.js';
import { add, sub, mul, div, exp, log, cast, not, equal, where, max, neg, scalarLike } from './elementwise.js';
import { softmax } from './nn.js';
import { reduceSum, unsqueeze } from './broadcast.js';
import { reduceMax } from './reduce.js';
import { GatherElements, ScatterElements } from './indexing.js';

export const IGNORE_INDEX = -100;
/**
 * Names this cross-entropy's implementation in what a pre-training run records (xlm-lab-pretrain.json, a shipped
 * manifest): a loss trajectory replays bit for bit only under the kernel that recorded it. Change it whenever the
 * loss's float operations change order.
 */
export const LOSS_KERNEL = 'composite-v1';

/** Which rows count (label not -100) as float, their labels with -100 replaced by 0 (safe to index with), and max(kept count, 1). */
function keptRows(scores: Value, labels: Value) {
  const g = scores.graph;
  const kept = not(equal(labels, IGNORE_INDEX));
  const keptF = cast(kept, scores.dtype);
  return { keptF, safeLabels: where(kept, labels, g.constant(0, 'int64')), count: max(reduceSum(keptF, [0]), scalarLike(scores, 1)) };
}

/**
 * transformers' Trainer loss with label smoothing `epsilon` (its LabelSmoother, and PyTorch's
 * cross_entropy(ignore_index=-100, label_smoothing=epsilon)) for scores [N, C] and int64 labels [N]:
 *   (1 - epsilon) * the mean over kept rows of -log p[label] + epsilon * the mean over kept rows and every class of -log p,
 * a mean over no rows being 0. With s = scores - max and lse = log(sum(exp(s))): -log p[c] = lse - s[c], so the
 * forward needs no [N, C] log-probabilities, only ReduceMax, Sub, Exp, ReduceSum, Log and a GatherElements of the
 * labels' columns.
 */
export const SoftmaxCrossEntropy = defineOp({
  name: 'SoftmaxCrossEntropy', onnx: 'SoftmaxCrossEntropy',
  infer: ([scores, labels], attrs) => {
    if (scores.rank !== 2 || labels.rank !== 1) throw new Error('scores must be [N, C] and labels [N]');
    if (labels.dtype !== 'int64') throw new Error('labels must be int64');
    const epsilon = attrs.epsilon as number;
    if (!(epsilon >= 0 && epsilon < 1)) throw new Error(`label smoothing must be in [0, 1), got ${epsilon}`);
    if (epsilon > 0 && typeof scores.shape[1] !== 'number') throw new Error(`label smoothing needs a static number of classes, got ${scores}`);
    return [{ dtype: scores.dtype, shape: [] }];
  },
  expand: ([scores, labels], attrs) => {
    const epsilon = attrs.epsilon as number;
    const { keptF, safeLabels, count } = keptRows(scores, labels);
    const shifted = sub(scores, reduceMax(scores, [1], true));
    const lse = log(reduceSum(exp(shifted), [1]));
    const atLabel = reduceSum(scores.graph.apply1(GatherElements, [shifted, unsqueeze(safeLabels, [1])], { axis: 1 }), [1]);
    let perRow = sub(lse, atLabel);
    if (epsilon > 0) {
      // The mean over classes of -log p = lse - mean(s).
      const smooth = sub(lse, div(reduceSum(shifted, [1]), scores.shape[1] as number));
      perRow = add(mul(perRow, 1 - epsilon), mul(smooth, epsilon));
    }
    return div(reduceSum(mul(perRow, keptF), [0]), count);
  },
  /**
   * d scores = (softmax - (1 - epsilon) * onehot(label) - epsilon / C) * kept / count * dloss. The softmax is
   * recomputed from the scores (one kernel) instead of saving [N, C] log-probabilities from the forward; the
   * one-hot is never built: -(1 - epsilon) is scattered onto each kept row's label column.
   */
  grad: ({ inputs: [scores, labels], attrs }, [dLoss]) => {
    const epsilon = attrs.epsilon as number;
    const { keptF, safeLabels, count } = keptRows(scores, labels);
    let p = softmax(scores);
    if (epsilon > 0) p = sub(p, epsilon / (scores.shape[1] as number));
    const onLabel = unsqueeze(mul(neg(keptF), 1 - epsilon), [1]);
    const delta = scores.graph.apply1(ScatterElements, [p, unsqueeze(safeLabels, [1]), onLabel], { axis: 1, reduction: 'add' });
    const scale = div(mul(keptF, dLoss!), count);
    return [mul(delta, unsqueeze(scale, [1])), undefined];
  },
  nonDifferentiable: [1],
});

/** Mean cross-entropy of `scores` [N, C] against `labels` [N] (int64, -100 = ignore). */
export function crossEntropy(scores: Value, labels: Value): Value {
  return labelSmoothedCrossEntropy(scores, labels, 0);
}

/** SoftmaxCrossEntropy with label smoothing `epsilon` (0: plain cross-entropy). */
export function labelSmoothedCrossEntropy(scores: Value, labels: Value, epsilon: number): Value {
  return scores.graph.apply1(SoftmaxCrossEntropy, [scores, labels], { epsilon });
}
