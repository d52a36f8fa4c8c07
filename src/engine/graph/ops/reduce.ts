/**
 * Reductions. Their gradients broadcast the upstream gradient back over the reduced axes. ReduceSum, the adjoint of
 * broadcasting, lives in broadcast.ts with the shape rule and builder every reduction shares.
 */
import { defineOp, type Value } from '../graph.js';
import { expandLike, normalizeAxes, reduce, reducedShape, restoreAxes, shapeOf } from './broadcast.js';
import { Gather } from './indexing.js';
import { cast, div } from './elementwise.js';

export const ReduceMean = defineOp({
  name: 'ReduceMean',
  onnx: 'ReduceMean',
  attrTypes: { keepdims: 'int' },
  infer: ([x], attrs) => reducedShape(x, attrs),
  grad: ({ inputs: [x], attrs }, [d]) => [div(expandLike(restoreAxes(d!, attrs, x.rank), x), countOver(x, normalizeAxes(attrs.axes as number[], x.rank)))],
  nonDifferentiable: [1],
});

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

export const ReduceProd = defineOp({
  name: 'ReduceProd', onnx: 'ReduceProd', attrTypes: { keepdims: 'int' },
  infer: ([x]) => [{ dtype: x.dtype, shape: [] }],
  nonDifferentiable: [0, 1],
});

/** The number of elements of x over `axes`, as a float scalar (static when the dims are numbers). */
export function countOver(x: Value, axes: number[]): Value {
  const dims = axes.map((a) => x.shape[a]);
  if (dims.every((d) => typeof d === 'number')) return x.graph.constant((dims as number[]).reduce((a, b) => a * b, 1), x.dtype);
  const g = x.graph;
  const picked = g.apply1(Gather, [shapeOf(x), g.constant(axes, 'int64')], { axis: 0 });
  const prod = g.apply1(ReduceProd, [picked], { keepdims: 0 });
  return cast(prod, x.dtype);
}
