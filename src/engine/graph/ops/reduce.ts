/** Reductions. Their gradients broadcast the upstream gradient back over the reduced axes. */
import { defineOp, type Attrs, type Value } from '../graph.js';
import { expandLike, countOver, Unsqueeze } from './shape.js';
import { div } from './elementwise.js';

function normalizeAxes(axes: number[], rank: number): number[] {
  return axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

function reducedShape(x: Value, attrs: Attrs) {
  const axes = normalizeAxes(attrs.axes as number[], x.rank);
  for (const a of axes) if (a < 0 || a >= x.rank) throw new Error(`axis out of range for rank ${x.rank}`);
  const keep = attrs.keepdims as boolean;
  const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
  return [{ dtype: x.dtype, shape }];
}

/** Puts back the reduced axes of a keepdims=0 result so it broadcasts against the input. */
function restoreAxes(d: Value, attrs: Attrs, rank: number): Value {
  if (attrs.keepdims) return d;
  return d.graph.apply1(Unsqueeze, [d, d.graph.constant(normalizeAxes(attrs.axes as number[], rank), 'int64')]);
}

export const ReduceSum = defineOp({
  name: 'ReduceSum',
  onnx: 'ReduceSum',
  attrTypes: { keepdims: 'int' },
  infer: ([x], attrs) => reducedShape(x, attrs),
  grad: ({ inputs: [x], attrs }, [d]) => [expandLike(restoreAxes(d!, attrs, x.rank), x)],
  nonDifferentiable: [1],
});

export const ReduceMean = defineOp({
  name: 'ReduceMean',
  onnx: 'ReduceMean',
  attrTypes: { keepdims: 'int' },
  infer: ([x], attrs) => reducedShape(x, attrs),
  grad: ({ inputs: [x], attrs }, [d]) => [div(expandLike(restoreAxes(d!, attrs, x.rank), x), countOver(x, normalizeAxes(attrs.axes as number[], x.rank)))],
  nonDifferentiable: [1],
});

/** Opset 18 takes reduction axes as an input; the builder keeps them as an attribute too, for the rules. */
function reduce(op: typeof ReduceSum, x: Value, axes: number[], keepdims: boolean): Value {
  return x.graph.apply1(op, [x, x.graph.constant(axes, 'int64')], { axes, keepdims });
}

export function reduceSum(x: Value, axes: number[], keepdims = false): Value {
  return reduce(ReduceSum, x, axes, keepdims);
}

export function reduceMean(x: Value, axes: number[], keepdims = false): Value {
  return reduce(ReduceMean, x, axes, keepdims);
}

export function reduceMax(x: Value, axes: number[], keepdims = false): Value {
  return reduce(ReduceMax, x, axes, keepdims);
}

/** A reduction without a gradient rule (autodiff fails loudly if one is needed on the path to the loss). */
function reductionWithoutGradient(name: string) {
  return defineOp({ name, onnx: name, attrTypes: { keepdims: 'int' }, infer: ([x], attrs) => reducedShape(x, attrs), nonDifferentiable: [1] });
}

export const ReduceMax = reductionWithoutGradient('ReduceMax');

/** ONNX ReduceL1 (the sum of absolute values): the optimizer's test for all-zero rows, past autodiff. */
export const ReduceL1 = reductionWithoutGradient('ReduceL1');

export function reduceL1(x: Value, axes: number[], keepdims = false): Value {
  return reduce(ReduceL1, x, axes, keepdims);
}
