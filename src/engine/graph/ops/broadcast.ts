/**
 * Broadcasting and its adjoint. The shape rule (numpy-style), Expand, and the one helper that undoes broadcasting
 * for gradients: a gradient shaped like an op's output is summed over the axes an input was broadcast along.
 * Expand's gradient is a ReduceSum, and ReduceSum's gradient is an Expand after putting the reduced axes back
 * (Unsqueeze, whose gradient is Squeeze): these ops are each in the others' rules, so they live here together and
 * every other op file builds on this one without importing back.
 */
import { defineOp, shapeToString, type Attrs, type Dim, type Shape, type Value } from '../graph.js';

export function broadcastShapes(...shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (dim !== d) throw new Error(`shapes ${shapes.map(shapeToString).join(' and ')} do not broadcast (axis ${i}: ${dim} vs ${d})`);
    }
    out.push(dim);
  }
  return out;
}

/**
 * Sums `grad` (shaped like the broadcast output) down to `target`, the shape of the input it flows to.
 * Leading axes the input lacked are summed away; axes where the input had 1 are summed with keepdims.
 */
export function unbroadcast(grad: Value, target: Shape): Value {
  const extra = grad.rank - target.length;
  if (extra < 0) throw new Error(`unbroadcast: gradient ${grad} has lower rank than target ${shapeToString(target)}`);
  let g = grad;
  if (extra > 0) g = reduceSum(g, [...Array(extra).keys()], false);
  const keepAxes: number[] = [];
  for (let i = 0; i < target.length; i++) {
    if (target[i] === 1 && g.shape[i] !== 1) keepAxes.push(i);
  }
  if (keepAxes.length) g = reduceSum(g, keepAxes, true);
  return g;
}

export const ShapeOf = defineOp({
  name: 'Shape', onnx: 'Shape',
  infer: ([x]) => [{ dtype: 'int64', shape: [x.rank] }],
  nonDifferentiable: [0],
});

export const shapeOf = (x: Value) => x.graph.apply1(ShapeOf, [x]);

export const Expand = defineOp({
  name: 'Expand', onnx: 'Expand',
  infer: ([x], attrs) => [{ dtype: x.dtype, shape: broadcastShapes(x.shape, attrs.likeShape as Dim[]) }],
  grad: ({ inputs: [x] }, [d]) => [unbroadcast(d!, x.shape)],
  nonDifferentiable: [1],
});

/** Broadcasts x to the shape of `like` (at run time), e.g. to spread a reduced gradient back. */
export function expandLike(x: Value, like: Value): Value {
  return x.graph.apply1(Expand, [x, shapeOf(like)], { likeShape: like.shape as number[] });
}

export const Unsqueeze = defineOp({
  name: 'Unsqueeze', onnx: 'Unsqueeze',
  infer: ([x, axesValue], attrs) => {
    const axes = (attrs.axes as number[] | undefined) ?? constantInts(axesValue);
    const rank = x.rank + axes.length;
    const norm = axes.map((a) => (a < 0 ? a + rank : a));
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : x.shape[k++]);
    return [{ dtype: x.dtype, shape: out }];
  },
  grad: ({ inputs: [, axes] }, [d]) => [d!.graph.apply1(Squeeze, [d!, axes], { axes: constantInts(axes) })],
  nonDifferentiable: [1],
});

export const Squeeze = defineOp({
  name: 'Squeeze', onnx: 'Squeeze',
  infer: ([x], attrs) => {
    const axes = (attrs.axes as number[]).map((a) => (a < 0 ? a + x.rank : a));
    for (const a of axes) if (x.shape[a] !== 1) throw new Error(`cannot squeeze axis ${a} of size ${x.shape[a]}`);
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) }];
  },
  grad: ({ inputs: [, axes] }, [d]) => [d!.graph.apply1(Unsqueeze, [d!, axes], { axes: constantInts(axes) })],
  nonDifferentiable: [1],
});

export const unsqueeze = (x: Value, axes: number[]) => x.graph.apply1(Unsqueeze, [x, x.graph.constant(axes, 'int64')], { axes });
export const squeeze = (x: Value, axes: number[]) => x.graph.apply1(Squeeze, [x, x.graph.constant(axes, 'int64')], { axes });

/** The integer data of a constant value (axes, shapes): the rules need them at build time. */
export function constantInts(v: Value): number[] {
  const init = v.graph.initializers.find((i) => i.value === v);
  if (!init) throw new Error(`${v.name} is not a constant`);
  return Array.from(init.tensor.data as ArrayLike<number | bigint>, Number);
}

export function normalizeAxes(axes: number[], rank: number): number[] {
  return axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

/** The shape rule of every reduction: the reduced axes dropped, or kept as 1 with keepdims. */
export function reducedShape(x: Value, attrs: Attrs) {
  const axes = normalizeAxes(attrs.axes as number[], x.rank);
  for (const a of axes) if (a < 0 || a >= x.rank) throw new Error(`axis out of range for rank ${x.rank}`);
  const keep = attrs.keepdims as boolean;
  const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
  return [{ dtype: x.dtype, shape }];
}

/** Puts back the reduced axes of a keepdims=0 result so it broadcasts against the input. */
export function restoreAxes(d: Value, attrs: Attrs, rank: number): Value {
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

/** Opset 18 takes reduction axes as an input; the builder keeps them as an attribute too, for the rules. */
export function reduce(op: typeof ReduceSum, x: Value, axes: number[], keepdims: boolean): Value {
  return x.graph.apply1(op, [x, x.graph.constant(axes, 'int64')], { axes, keepdims });
}

export function reduceSum(x: Value, axes: number[], keepdims = false): Value {
  return reduce(ReduceSum, x, axes, keepdims);
}
