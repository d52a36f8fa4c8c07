/**
 * Randomness computed inside the graph, so a training step needs no random tensors from JavaScript and
 * its masks repeat bit for bit: every element's draw is an integer hash of (seed, counter, site, element
 * index). The generator's whole state is (seed, counter), two numbers saved with the run.
 *
 * The hash is Chris Wellons' "lowbias32" (xorshift-multiply, 32-bit), in uint32 arithmetic, which
 * onnxruntime's CPU kernels have (Mul, Add, BitwiseXor, BitShift on uint32 wrap modulo 2^32).
 */
import { defineOp, type Graph, type Value } from '../graph.js';
import { add, mul, cast, greaterOrEqual, scalarLike } from './elementwise.js';
import { shapeOf } from './broadcast.js';
import { reshapeTo } from './shape.js';
import { ReduceProd } from './reduce.js';

export const BitShift = defineOp({
  name: 'BitShift', onnx: 'BitShift', attrTypes: { direction: 'string' },
  infer: ([x, s]) => {
    if (x.dtype !== 'uint32' || s.dtype !== 'uint32') throw new Error('BitShift is used on uint32 only');
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  nonDifferentiable: [0, 1],
});

export const BitwiseXor = defineOp({
  name: 'BitwiseXor', onnx: 'BitwiseXor',
  infer: ([a, b]) => {
    if (a.dtype !== b.dtype) throw new Error(`mixed dtypes ${a.dtype}, ${b.dtype}`);
    if (a.shape.length !== b.shape.length && b.rank !== 0 && a.rank !== 0) throw new Error('BitwiseXor takes same-shape or scalar operands here');
    return [{ dtype: a.dtype, shape: a.rank >= b.rank ? a.shape : b.shape }];
  },
  nonDifferentiable: [0, 1],
});

export const Range = defineOp({
  name: 'Range', onnx: 'Range',
  infer: ([start], attrs) => [{ dtype: start.dtype, shape: [attrs.length as string | number] }],
  nonDifferentiable: [0, 1, 2],
});

const u32 = (like: Value, v: number) => like.graph.constant(v >>> 0, 'uint32');
const shiftRight = (x: Value, bits: number) => x.graph.apply1(BitShift, [x, u32(x, bits)], { direction: 'RIGHT' });
const xor = (a: Value, b: Value) => a.graph.apply1(BitwiseXor, [a, b]);

/** lowbias32: a 32-bit integer hash with good avalanche, in graph ops. */
export function hash32(x: Value): Value {
  if (x.dtype !== 'uint32') throw new Error(`hash32 takes uint32, got ${x}`);
  let h = xor(x, shiftRight(x, 16));
  h = mul(h, u32(h, 0x7feb352d));
  h = xor(h, shiftRight(h, 15));
  h = mul(h, u32(h, 0x846ca68b));
  return xor(h, shiftRight(h, 16));
}

/** The same hash in JavaScript, for tests and for host-side draws that must agree with the graph. */
export function hash32Host(x: number): number {
  let h = x >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Element indices already built per graph, by symbolic shape: equal symbolic shapes are equal at run time. */
const indexCache = new WeakMap<Graph, Map<string, Value>>();

/** 0, 1, ..., n-1 in x's run-time shape, as uint32 (the element index of every entry of x). */
export function elementIndex(x: Value): Value {
  const g = x.graph;
  let cache = indexCache.get(g);
  if (!cache) indexCache.set(g, (cache = new Map()));
  const key = x.shape.join(',');
  const cached = cache.get(key);
  if (cached) return cached;
  const index = buildElementIndex(x);
  cache.set(key, index);
  return index;
}

/** 0, 1, ..., n - 1 (int64, 1-D) for the n elements of `x`, in row-major order. */
export function elementPositions(x: Value): Value {
  const g = x.graph;
  const count = g.apply1(ReduceProd, [shapeOf(x)], { keepdims: 0 });
  return g.apply1(Range, [g.constant(0, 'int64'), count, g.constant(1, 'int64')], { length: `numel(${x.name})` });
}

function buildElementIndex(x: Value): Value {
  return reshapeTo(cast(elementPositions(x), 'uint32'), shapeOf(x), x.shape);
}

/** The random stream's position: a seed and a counter (one per forward pass), both uint32 scalars. */
export interface RandomKey {
  seed: Value;
  counter: Value;
}

/**
 * One uint32 draw per element of x. The stream key mixes seed, site and counter with full lowbias32 rounds,
 * once per graph run (scalars); per element it is a lighter two-multiply mix of (index XOR key), whose top bits
 * (the ones dropout compares) are well mixed: dropout masks are the largest tensors of a step (attention
 * probabilities), and each elementwise pass over them costs as much as the kernels around them.
 */
export function randomBitsLike(x: Value, key: RandomKey, site: number): Value {
  const siteKey = hash32(xor(key.seed, u32(key.seed, hash32Host(site))));
  const streamKey = hash32(add(siteKey, mul(key.counter, u32(key.counter, 0x9e3779b9))));
  let h = mul(xor(elementIndex(x), streamKey), u32(x, 0x7feb352d));
  h = xor(h, shiftRight(h, 15));
  return mul(h, u32(x, 0x846ca68b));
}

/** The per-element mix of randomBitsLike on the host, for tests. */
export function mixHost(index: number, streamKey: number): number {
  let h = Math.imul((index ^ streamKey) >>> 0, 0x7feb352d) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  return Math.imul(h, 0x846ca68b) >>> 0;
}

/**
 * Inverted dropout with an in-graph mask: y = x * keep / (1 - p), keep = (bits >= p * 2^32). The mask is a
 * value of the graph that the Mul's gradient reuses (dy/dx = keep / (1 - p)), so backward needs no second
 * draw. p = 0 returns x itself.
 */
export function dropout(x: Value, p: number, key: RandomKey, site: number): Value {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout probability must be in [0, 1), got ${p}`);
  if (p === 0) return x;
  const keep = greaterOrEqual(cast(randomBitsLike(x, key, site), 'float32'), p * 2 ** 32);
  const scale = mul(cast(keep, x.dtype), scalarLike(x, 1 / (1 - p)));
  return mul(x, scale);
}
