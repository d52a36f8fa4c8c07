/**
 * Shape ops: reshape, transpose, concat, slice, pad, gather and the scatters. Gradients move data back.
 * Expand, Shape and (un)squeeze live in broadcast.ts, with ReduceSum: each is in the others' gradient rules.
 */
import { defineOp, makeTensor, type ConstTensor, type Dim, type Shape, type Value } from '../graph.js';
import { expandLike, shapeOf, unsqueeze } from './broadcast.js';
import { cast, equal, where, scalarLike, isFloat } from './elementwise.js';

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

export const Gather = defineOp({
  name: 'Gather', onnx: 'Gather', attrTypes: { axis: 'int' },
  infer: ([data, indices], attrs) => {
    const axis = ((attrs.axis as number) ?? 0) < 0 ? (attrs.axis as number) + data.rank : ((attrs.axis as number) ?? 0);
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)] }];
  },
  /**
   * Rows gathered along axis 0 (embedding lookups) get their gradient scattered back and summed where
   * an index repeats. `paddingIdx` (ours, not ONNX's) keeps that row's gradient at zero, as PyTorch's
   * nn.Embedding(padding_idx) does.
   */
  grad: ({ inputs: [data, indices], attrs }, [d]) => {
    if (!isFloat(data.dtype)) return [undefined, undefined];
    const axis = normalizeAxis((attrs.axis as number) ?? 0, data.rank);
    let updates = d!;
    if (attrs.paddingIdx !== undefined) {
      const isPad = equal(indices, attrs.paddingIdx as number);
      updates = where(unsqueezeAt(isPad, axis, data.rank - 1 - axis), scalarLike(updates, 0), updates);
    }
    if (axis === 0) return [scatterRowsAdd(data, indices, updates), undefined];
    // Another axis (the classifier's hidden[:, 0, :]): move it to the front, scatter, move it back.
    const dataPerm = [axis, ...[...Array(data.rank).keys()].filter((i) => i !== axis)];
    const q = indices.rank;
    const updatesPerm = [...Array(q).keys()].map((i) => axis + i);
    for (let i = 0; i < updates.rank; i++) if (i < axis || i >= axis + q) updatesPerm.push(i);
    const scattered = scatterRowsAdd(transpose(data, dataPerm), indices, transpose(updates, updatesPerm));
    return [transpose(scattered, dataPerm.map((_, i) => dataPerm.indexOf(i))), undefined];
  },
  nonDifferentiable: [1],
});

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Unsqueezes `count` trailing axes so a [indices...] mask lines up with the gathered [..., indices, rest...]. */
function unsqueezeAt(mask: Value, _axis: number, count: number): Value {
  return count > 0 ? unsqueeze(mask, [...Array(count).keys()].map((i) => -1 - i)) : mask;
}

/**
 * zeros shaped like `data` with `updates` [indices..., rest...] summed into rows `indices` of axis 0.
 * Repeated indices (every embedding lookup has them) go through ScatterElements, which onnxruntime runs in
 * one fixed order: its ScatterND(add) splits the updates over threads, so two runs summed a repeated row
 * in different orders and training stopped being bit-reproducible with more than one thread. A scalar
 * index (one row) keeps ScatterND.
 */
function scatterRowsAdd(data: Value, indices: Value, updates: Value): Value {
  const rest = data.shape.slice(1);
  if (indices.rank === 0 || !rest.every((d): d is number => typeof d === 'number')) {
    return data.graph.apply1(ScatterND, [zerosLike(data), unsqueeze(indices, [-1]), updates], { reduction: 'add' });
  }
  return scatterAddRows(zerosLike(data), reshape(indices, [-1]), reshape(updates, [-1, ...rest]));
}

/**
 * into[at[i]] += rows[i] for every i, repeated `at` summed in index order (deterministic at any thread
 * count): ScatterElements(add) on axis 0 with each row's index spread over the row. `at` [n] int64,
 * rows [n, ...rest] with rest static.
 */
export function scatterAddRows(into: Value, at: Value, rows: Value): Value {
  const g = into.graph;
  const spread = rows.rank - 1;
  const column = spread > 0 ? unsqueeze(at, [...Array(spread).keys()].map((i) => i + 1)) : at;
  return g.apply1(ScatterElements, [into, expandLike(column, rows), rows], { axis: 0, reduction: 'add' });
}

/** ONNX ScatterElements: scatterAddRows here, and cross-entropy's gradient (loss.ts). Used only where no gradient flows through it. */
export const ScatterElements = defineOp({
  name: 'ScatterElements', onnx: 'ScatterElements', attrTypes: { axis: 'int', reduction: 'string' },
  infer: ([data]) => [{ dtype: data.dtype, shape: data.shape }],
  nonDifferentiable: [0, 1, 2],
});

export function gather(data: Value, indices: Value, axis = 0, opts: { paddingIdx?: number } = {}): Value {
  return data.graph.apply1(Gather, [data, indices], { axis, paddingIdx: opts.paddingIdx });
}

/**
 * The distinct values of a 1-D tensor (sorted), each value's first position, each element's position in the
 * distinct values (inverse), and the counts: ONNX Unique without an axis. Lets a row-sparse gradient be
 * summed per distinct row before it is squared (the optimizer's second moment, the gradient norm).
 */
export const Unique = defineOp({
  name: 'Unique', onnx: 'Unique', attrTypes: { sorted: 'int' }, outputs: 4,
  infer: ([x]) => {
    if (x.rank !== 1) throw new Error(`Unique is used on 1-D tensors here, got rank ${x.rank}`);
    const distinct = `unique(${x.name})`;
    return [{ dtype: x.dtype, shape: [distinct] }, { dtype: 'int64', shape: [distinct] }, { dtype: 'int64', shape: x.shape }, { dtype: 'int64', shape: [distinct] }];
  },
  nonDifferentiable: [0],
});

/** `values` (1-D) → its distinct values and, for each element, the position of its value among them. */
export function unique(values: Value): { distinct: Value; inverse: Value } {
  const [distinct, , inverse] = values.graph.apply(Unique, [values], { sorted: 1 });
  return { distinct, inverse };
}

export const ScatterND = defineOp({
  name: 'ScatterND', onnx: 'ScatterND', attrTypes: { reduction: 'string' },
  infer: ([data]) => [{ dtype: data.dtype, shape: data.shape }],
  nonDifferentiable: [1],
});

/** ONNX NonZero: the indices [rank, count] of the non-zero elements, in row-major order. No gradient (integer output). */
export const NonZero = defineOp({
  name: 'NonZero', onnx: 'NonZero',
  infer: ([x]) => [{ dtype: 'int64', shape: [x.rank, `nonzero(${x.name})`] }],
  nonDifferentiable: [0],
});

export const nonZero = (x: Value) => x.graph.apply1(NonZero, [x]);

/**
 * ONNX GatherND (batch_dims 0): indices [..., q] pick data's slices at their first q coordinates; the result is
 * [..., data.shape[q:]]. Used past autodiff (the optimizer's active embedding rows), so no gradient rule.
 */
export const GatherND = defineOp({
  name: 'GatherND', onnx: 'GatherND',
  infer: ([data, indices]) => {
    const q = indices.shape[indices.rank - 1];
    if (typeof q !== 'number') throw new Error('GatherND needs a static last dimension of its indices');
    return [{ dtype: data.dtype, shape: [...indices.shape.slice(0, -1), ...data.shape.slice(q)] }];
  },
  nonDifferentiable: [1],
});

export const gatherND = (data: Value, indices: Value) => data.graph.apply1(GatherND, [data, indices]);
