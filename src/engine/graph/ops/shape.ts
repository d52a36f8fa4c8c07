/**
 * Shape ops: reshape, transpose, concat, slice, pad, zeros of a run-time shape. Gradients move data back.
 * Expand, Shape and (un)squeeze live in broadcast.ts, with ReduceSum: each is in the others' gradient rules;
 * gathers and scatters live in indexing.ts.
 */
import { defineOp, makeTensor, type ConstTensor, type Dim, type Shape, type Value } from '../graph.js';
import { shapeOf } from './broadcast.js';

/** The size of a -1 in a reshape, symbolically: a product of the input's names and numbers, less the known dims. */
function inferMinusOne(input: Shape, known: Dim[]): Dim {
  let numeric = 1;
  const symbols: string[] = [];
  const addFactor = (d: Dim) => {
    if (typeof d === 'number') numeric *= d;
    else symbols.push(...d.split('*'));
  };
  input.forEach(addFactor);
  for (const d of known) {
    if (typeof d === 'number') {
      if (numeric % d !== 0) throw new Error(`cannot infer -1: ${numeric} is not divisible by ${d}`);
      numeric /= d;
    } else {
      for (const s of d.split('*')) {
        const i = symbols.indexOf(s);
        if (i < 0) throw new Error(`cannot infer -1: ${s} is not a factor of the input`);
        symbols.splice(i, 1);
      }
    }
  }
  symbols.sort();
  if (!symbols.length) return numeric;
  return numeric === 1 ? symbols.join('*') : [String(numeric), ...symbols].join('*');
}

export const Reshape = defineOp({
  name: 'Reshape', onnx: 'Reshape',
  infer: ([x], attrs) => {
    const target = attrs.shape as number[];
    const dims: Dim[] = target.map((t, i) => (t === 0 ? x.shape[i] : t));
    const minus = dims.indexOf(-1);
    if (minus >= 0) dims[minus] = inferMinusOne(x.shape, dims.filter((_, i) => i !== minus));
    return [{ dtype: x.dtype, shape: dims }];
  },
  grad: ({ inputs: [x] }, [d]) => [reshapeTo(d!, shapeOf(x), x.shape)],
  nonDifferentiable: [1],
});

/** Reshape with a target using ONNX's 0 (copy that dim) and -1 (infer). */
export function reshape(x: Value, target: number[]): Value {
  return x.graph.apply1(Reshape, [x, x.graph.constant(target, 'int64')], { shape: target });
}

const ReshapeDynamic = defineOp({
  name: 'ReshapeDynamic', onnx: 'Reshape',
  infer: ([x], attrs) => [{ dtype: x.dtype, shape: attrs.resultShape as Dim[] }],
  grad: ({ inputs: [x] }, [d]) => [reshapeTo(d!, shapeOf(x), x.shape)],
  nonDifferentiable: [1],
});

/** Reshape to a run-time shape (a Shape op's output), with the symbolic shape it is known to have. */
export function reshapeTo(x: Value, shape: Value, symbolic: Shape): Value {
  return x.graph.apply1(ReshapeDynamic, [x, shape], { resultShape: symbolic as number[] });
}

export const Transpose = defineOp({
  name: 'Transpose', onnx: 'Transpose', attrTypes: { perm: 'ints' },
  infer: ([x], attrs) => {
    const perm = attrs.perm as number[];
    if (perm.length !== x.rank) throw new Error(`perm [${perm}] does not match rank ${x.rank}`);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
  },
  grad: ({ attrs }, [d]) => {
    const perm = attrs.perm as number[];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [transpose(d!, inverse)];
  },
});

export const transpose = (x: Value, perm: number[]) => x.graph.apply1(Transpose, [x], { perm });

/** Swaps the last two axes. */
export function transposeLast(x: Value): Value {
  const perm = [...x.shape.keys()];
  [perm[x.rank - 1], perm[x.rank - 2]] = [perm[x.rank - 2], perm[x.rank - 1]];
  return transpose(x, perm);
}

export const Concat = defineOp({
  name: 'Concat', onnx: 'Concat', attrTypes: { axis: 'int' },
  infer: (inputs, attrs) => {
    const rank = inputs[0].rank;
    const axis = ((attrs.axis as number) + rank) % rank;
    let total: Dim = 0;
    for (const v of inputs) {
      const d = v.shape[axis];
      total = typeof total === 'number' && typeof d === 'number' ? total + d : `${total}+${d}`;
    }
    const shape = [...inputs[0].shape];
    shape[axis] = total;
    return [{ dtype: inputs[0].dtype, shape }];
  },
  grad: ({ inputs, attrs }, [d], needs) => {
    const rank = inputs[0].rank;
    const axis = ((attrs.axis as number) + rank) % rank;
    let start = 0;
    return inputs.map((v, i) => {
      const size = v.shape[axis];
      if (typeof size !== 'number') throw new Error(`Concat gradient needs a static size on axis ${axis}, input ${i} has ${size}`);
      const piece = needs[i] ? slice(d!, [start], [start + size], [axis]) : undefined;
      start += size;
      return piece;
    });
  },
});

export const concat = (inputs: Value[], axis: number) => inputs[0].graph.apply1(Concat, inputs, { axis });

export const Slice = defineOp({
  name: 'Slice', onnx: 'Slice',
  infer: ([x], attrs) => {
    const { starts, ends, axes } = attrs as { starts: number[]; ends: number[]; axes: number[] };
    const shape = [...x.shape];
    axes.forEach((a, i) => {
      const dim = shape[a];
      const clamp = (v: number) => (typeof dim === 'number' ? Math.max(0, Math.min(dim, v < 0 ? v + dim : v)) : v);
      const s = clamp(starts[i]);
      const e = clamp(ends[i]);
      shape[a] = typeof dim === 'number' || (s >= 0 && e >= 0 && e < 2 ** 30) ? e - s : `${dim}[${starts[i]}:${ends[i]}]`;
    });
    return [{ dtype: x.dtype, shape }];
  },
  grad: ({ inputs: [x], attrs }, [d]) => {
    const { starts, ends, axes } = attrs as { starts: number[]; ends: number[]; axes: number[] };
    const pads = new Array(2 * x.rank).fill(0);
    axes.forEach((a, i) => {
      const dim = x.shape[a];
      if (typeof dim !== 'number') throw new Error(`Slice gradient needs a static size on axis ${a}`);
      const s = starts[i] < 0 ? starts[i] + dim : Math.min(starts[i], dim);
      const e = ends[i] < 0 ? ends[i] + dim : Math.min(ends[i], dim);
      pads[a] = s;
      pads[x.rank + a] = dim - e;
    });
    return [pad(d!, pads)];
  },
  nonDifferentiable: [1, 2, 3],
});

export function slice(x: Value, starts: number[], ends: number[], axes: number[]): Value {
  const g = x.graph;
  return g.apply1(Slice, [x, g.constant(starts, 'int64'), g.constant(ends, 'int64'), g.constant(axes, 'int64')], { starts, ends, axes });
}

export const Pad = defineOp({
  name: 'Pad', onnx: 'Pad',
  infer: ([x], attrs) => {
    const pads = attrs.pads as number[];
    const shape = x.shape.map((d, i) => (pads[i] === 0 && pads[x.rank + i] === 0 ? d : typeof d === 'number' ? d + pads[i] + pads[x.rank + i] : `${d}+${pads[i] + pads[x.rank + i]}`));
    return [{ dtype: x.dtype, shape }];
  },
  grad: ({ inputs: [x], attrs }, [d]) => {
    const pads = attrs.pads as number[];
    const axes = [...x.shape.keys()].filter((i) => pads[i] || pads[x.rank + i]);
    const starts = axes.map((a) => pads[a]);
    const ends = axes.map((a) => -pads[x.rank + a] || 2 ** 62);
    return [slice(d!, starts, ends, axes)];
  },
  nonDifferentiable: [1],
});

/** Zero padding, with ONNX's pads: every axis's count before, then every axis's count after. */
export function pad(x: Value, pads: number[]): Value {
  return x.graph.apply1(Pad, [x, x.graph.constant(pads, 'int64')], { pads });
}

export const ConstantOfShape = defineOp({
  name: 'ConstantOfShape', onnx: 'ConstantOfShape', attrTypes: { value: 'tensor' },
  infer: (_inputs, attrs) => [{ dtype: (attrs.value as ConstTensor).dtype, shape: attrs.likeShape as Dim[] }],
  nonDifferentiable: [0],
});

/** Zeros of `like`'s dtype and run-time shape. */
export function zerosLike(like: Value): Value {
  return like.graph.apply1(ConstantOfShape, [shapeOf(like)], { value: makeTensor(like.dtype, [1], [0]), likeShape: like.shape as number[] });
}
