/**
 * TopK along the last axis, largest first. Used by inference graphs (fill-mask) so only k scores per
 * row leave the session instead of a whole vocabulary; not differentiable.
 */
import { defineOp, type Value } from '../graph.js';

export const TopK = defineOp({
  name: 'TopK', onnx: 'TopK', attrTypes: { axis: 'int', largest: 'int', sorted: 'int' },
  outputs: 2,
  infer: ([x]) => {
    const shape = [...x.shape.slice(0, -1), 'k'];
    return [{ dtype: x.dtype, shape }, { dtype: 'int64', shape }];
  },
  nonDifferentiable: [0, 1],
});

/** The k largest values of x's last axis, sorted, and their indices; `k` is an int64 [1] value. */
export function topK(x: Value, k: Value): { values: Value; indices: Value } {
  const [values, indices] = x.graph.apply(TopK, [x, k], { axis: -1, largest: 1, sorted: 1 });
  return { values, indices };
}
