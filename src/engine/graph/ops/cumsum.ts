/**
 * CumSum along one axis. The model uses it on integer masks only (XLM-R's position ids), where there is
 * no gradient to take, so it has no gradient rule: autodiff fails loudly if a float path ever needs one.
 */
import { defineOp, type Value } from '../graph.js';

export const CumSum = defineOp({
  name: 'CumSum', onnx: 'CumSum', attrTypes: { exclusive: 'int', reverse: 'int' },
  infer: ([x]) => [{ dtype: x.dtype, shape: x.shape }],
  nonDifferentiable: [1],
});

/** Inclusive running sum of x along `axis` (negative counts from the end). */
export function cumsum(x: Value, axis: number): Value {
  return x.graph.apply1(CumSum, [x, x.graph.constant(axis, 'int64')]);
}
