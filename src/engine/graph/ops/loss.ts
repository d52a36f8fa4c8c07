/** Cross-entropy over class scores with ignored positions (label -100), mean over the kept ones. */
import { defineOp, type Value } from '../graph.js';
import { mul, div, neg, exp, cast, not, equal, where, max, scalarLike } from './elementwise.js';
import { reduceSum, unsqueeze } from './broadcast.js';
import { ScatterElements } from './shape.js';

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
