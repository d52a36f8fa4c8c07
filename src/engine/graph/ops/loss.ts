/** Cross-entropy over class scores with ignored positions (label -100), mean over the kept ones. */
import { defineOp, type Value } from '../graph.js';
import { add, mul, div, neg, exp, cast, not, equal, where, max, scalarLike } from './elementwise.js';
import { logSoftmax } from './nn.js';
import { reduceSum, unsqueeze } from './broadcast.js';
import { ScatterElements } from './indexing.js';

export const IGNORE_INDEX = -100;

export const SoftmaxCrossEntropyLoss = defineOp({
  name: 'SoftmaxCrossEntropyLoss', onnx: 'SoftmaxCrossEntropyLoss', attrTypes: { ignore_index: 'int', reduction: 'string' },
  outputs: 2,
  infer: ([scores, labels]) => {
    if (scores.rank !== 2 || labels.rank !== 1) throw new Error('scores must be [N, C] and labels [N]');
    if (labels.dtype !== 'int64') throw new Error('labels must be int64');
    return [{ dtype: scores.dtype, shape: [] }, { dtype: scores.dtype, shape: scores.shape }];
  },
  /**
   * d scores = (softmax - onehot(label)) * kept / count * dloss, softmax = exp(log_prob output). The one-hot
   * is never built: -1 is scattered onto each kept row's label column. Ignored labels (-100) are replaced by
   * 0 first (their row's scatter adds 0).
   */
  grad: ({ inputs: [scores, labels], outputs: [, logProb] }, [dLoss]) => {
    const g = scores.graph;
    const kept = not(equal(labels, IGNORE_INDEX));
    const safeLabels = where(kept, labels, g.constant(0, 'int64'));
    const keptF = cast(kept, scores.dtype);
    const minusOne = unsqueeze(neg(keptF), [1]);
    const delta = g.apply1(ScatterElements, [exp(logProb), unsqueeze(safeLabels, [1]), minusOne], { axis: 1, reduction: 'add' });
    const count = max(reduceSum(keptF, [0]), scalarLike(scores, 1));
    const scale = div(mul(keptF, dLoss!), count);
    return [mul(delta, unsqueeze(scale, [1])), undefined];
  },
  nonDifferentiable: [1],
});

/** Mean cross-entropy of `scores` [N, C] against `labels` [N] (int64, -100 = ignore). */
export function crossEntropy(scores: Value, labels: Value): Value {
  return scores.graph.apply(SoftmaxCrossEntropyLoss, [scores, labels], { ignore_index: IGNORE_INDEX, reduction: 'mean' })[0];
}

/**
 * transformers' Trainer loss with label smoothing `epsilon` (its LabelSmoother, and PyTorch's
 * cross_entropy(label_smoothing=epsilon)): (1 - epsilon) * the mean cross-entropy over kept labels
 * + epsilon * the mean over kept rows and every class of -log p. Built from cross-entropy and log-softmax,
 * whose rules give its gradient; epsilon 0 is plain cross-entropy.
 */
export function labelSmoothedCrossEntropy(scores: Value, labels: Value, epsilon: number): Value {
  const nll = crossEntropy(scores, labels);
  if (epsilon === 0) return nll;
  const classes = scores.shape[1];
  if (typeof classes !== 'number') throw new Error(`label smoothing needs a static number of classes, got ${scores}`);
  const kept = cast(not(equal(labels, IGNORE_INDEX)), scores.dtype);
  const count = max(reduceSum(kept, [0]), scalarLike(scores, 1));
  const negLogProbSum = neg(reduceSum(logSoftmax(scores), [1]));
  const smooth = div(reduceSum(mul(negLogProbSum, kept), [0]), mul(count, classes));
  return add(mul(nll, 1 - epsilon), mul(smooth, epsilon));
}
