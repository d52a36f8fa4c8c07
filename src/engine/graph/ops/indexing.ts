/**
 * Indexing ops: Gather (embedding lookups and the classifier's first token, with its scatter-add gradient), the
 * scatters, Unique, NonZero and GatherND (the optimizer's row-sparse embedding updates).
 */
import { defineOp, type Value } from '../graph.js';
import { expandLike, unsqueeze } from './broadcast.js';
import { equal, where, scalarLike, isFloat } from './elementwise.js';
import { reshape, transpose, zerosLike } from './shape.js';

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

/**
 * ONNX GatherElements: out[i][j] = data[i][indices[i][j]] on axis 1 (cross-entropy's pick of each row's label,
 * loss.ts). Only inside a composite whose own rule gives the gradient, so it has none: autodiff fails loudly elsewhere.
 */
export const GatherElements = defineOp({
  name: 'GatherElements', onnx: 'GatherElements', attrTypes: { axis: 'int' },
  infer: ([data, indices]) => {
    if (data.rank !== indices.rank) throw new Error(`data and indices must have one rank, got ${data.rank} and ${indices.rank}`);
    return [{ dtype: data.dtype, shape: indices.shape }];
  },
  nonDifferentiable: [1],
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
