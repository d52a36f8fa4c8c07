/**
 * One table of gradient cases, shared by the finite-difference test and the PyTorch reference test: each
 * case builds a scalar loss from its inputs with our ops, and states the same expression in PyTorch.
 * Points include 0, negatives and broadcast shapes. Every loss is weighted by `w` (a float input, so
 * its gradient — the op's output — is checked too) so that gradients are not uniform.
 */
import type { Value } from '../../src/engine/graph/graph.js';
import type { GradInput } from '../helpers/gradcheck.js';
import * as op from '../../src/engine/graph/ops/index.js';

export interface GradCase {
  name: string;
  inputs: GradInput[];
  build: (v: Record<string, Value>) => Value;
  /** The same loss in PyTorch: a Python expression over the inputs by name, `torch` and `F` (torch.nn.functional). */
  torch: string;
  /** float32 cases (ops onnxruntime lacks in float64) use a larger step and tolerance. */
  eps?: number;
  tolerance?: number;
  /** false where the rule deliberately is not the derivative (PyTorch's padding_idx): reference test only. */
  finiteDifferences?: boolean;
}

/** Fixed pseudo-random points in about [-1.7, 1.7], with 0 and negatives spliced in. */
export function points(n: number, seed: number): number[] {
  const out = Array.from({ length: n }, (_, i) => Math.round(Math.sin(seed * 12.9898 + i * 78.233) * 1.7 * 1e6) / 1e6);
  if (n > 2) { out[0] = 0; out[1] = -Math.abs(out[1]) - 0.25; }
  return out;
}
const positive = (n: number, seed: number) => points(n, seed).map((x) => Math.abs(x) + 0.3);
const f64 = (name: string, shape: number[], data: number[]): GradInput => ({ name, shape, data });
const f32 = (name: string, shape: number[], data: number[]): GradInput => ({ name, shape, data, dtype: 'float32' });
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const allAxes = (v: Value) => [...v.shape.keys()];
/** sum(y * w): the loss every case ends with. */
const weighted = (y: Value, w: Value) => op.reduceSum(op.mul(y, w), allAxes(y));
const W = (shape: number[], seed = 99, dtype: 'f64' | 'f32' = 'f64') => (dtype === 'f64' ? f64 : f32)('w', shape, points(size(shape), seed));

export const gradCases: GradCase[] = [
  { name: 'Add broadcast [2,3]+[3]', inputs: [f64('a', [2, 3], points(6, 1)), f64('b', [3], points(3, 2)), W([2, 3])], build: ({ a, b, w }) => weighted(op.add(a, b), w), torch: '((a + b) * w).sum()' },
  { name: 'Sub broadcast [2,1]-[1,3]', inputs: [f64('a', [2, 1], points(2, 3)), f64('b', [1, 3], points(3, 4)), W([2, 3])], build: ({ a, b, w }) => weighted(op.sub(a, b), w), torch: '((a - b) * w).sum()' },
  { name: 'Mul broadcast [4,1,3]*[2,3]', inputs: [f64('a', [4, 1, 3], points(12, 5)), f64('b', [2, 3], points(6, 6)), W([4, 2, 3])], build: ({ a, b, w }) => weighted(op.mul(a, b), w), torch: '((a * b) * w).sum()' },
  { name: 'Mul by scalar input []', inputs: [f64('a', [2, 3], points(6, 7)), f64('b', [], [-0.75]), W([2, 3])], build: ({ a, b, w }) => weighted(op.mul(a, b), w), torch: '((a * b) * w).sum()' },
  { name: 'Div broadcast [2,3]/[3]', inputs: [f64('a', [2, 3], points(6, 8)), f64('b', [3], [0.5, -1.25, 2]), W([2, 3])], build: ({ a, b, w }) => weighted(op.div(a, b), w), torch: '((a / b) * w).sum()' },
  { name: 'Neg', inputs: [f64('a', [5], points(5, 9)), W([5])], build: ({ a, w }) => weighted(op.neg(a), w), torch: '(-a * w).sum()' },
  { name: 'Sqrt', inputs: [f64('a', [5], positive(5, 10)), W([5])], build: ({ a, w }) => weighted(op.sqrt(a), w), torch: '(torch.sqrt(a) * w).sum()' },
  { name: 'Exp', inputs: [f64('a', [5], points(5, 11)), W([5])], build: ({ a, w }) => weighted(op.exp(a), w), torch: '(torch.exp(a) * w).sum()' },
  { name: 'Log', inputs: [f64('a', [5], positive(5, 12)), W([5])], build: ({ a, w }) => weighted(op.log(a), w), torch: '(torch.log(a) * w).sum()' },
  { name: 'Tanh', inputs: [f64('a', [6], points(6, 13)), W([6])], build: ({ a, w }) => weighted(op.tanh(a), w), torch: '(torch.tanh(a) * w).sum()' },
  { name: 'Sigmoid', inputs: [f64('a', [6], points(6, 17)), W([6])], build: ({ a, w }) => weighted(op.sigmoid(a), w), torch: '(torch.sigmoid(a) * w).sum()' },
  { name: 'Relu (away from the kink)', inputs: [f64('a', [6], [0.5, -0.5, 1.5, -2, 0.01, -0.01]), W([6])], build: ({ a, w }) => weighted(op.relu(a), w), torch: '(torch.relu(a) * w).sum()' },
  { name: 'Pow with a constant exponent', inputs: [f64('a', [5], positive(5, 14)), W([5])], build: ({ a, w }) => weighted(op.pow(a, 2.5), w), torch: '(a ** 2.5 * w).sum()' },
  { name: 'Erf (float32)', inputs: [f32('a', [6], points(6, 15)), W([6], 99, 'f32')], build: ({ a, w }) => weighted(op.erf(a), w), torch: '(torch.erf(a) * w).sum()', eps: 1e-2, tolerance: 2e-2 },
  { name: 'GELU exact at larger |x| and near 0 (float32)', inputs: [f32('a', [6], [0, -4.5, -2.25, 1e-3, 2.5, -3.5]), W([6], 98, 'f32')], build: ({ a, w }) => weighted(op.gelu(a), w), torch: '(F.gelu(a) * w).sum()', eps: 1e-2, tolerance: 2e-2 },
  { name: 'GELU exact (float32)', inputs: [f32('a', [6], points(6, 16)), W([6], 99, 'f32')], build: ({ a, w }) => weighted(op.gelu(a), w), torch: '(F.gelu(a) * w).sum()', eps: 1e-2, tolerance: 2e-2 },
  { name: 'Where with a broadcast condition', inputs: [f64('a', [2, 3], points(6, 17)), f64('b', [3], points(3, 18)), W([2, 3])], build: ({ a, b, w }) => weighted(op.where(op.greater(a, 0), a, op.mul(b, b)), w), torch: '(torch.where(a > 0, a, b * b) * w).sum()' },
  { name: 'Cast float64 to float32 and back', inputs: [f64('a', [4], [0, -1, 0.5, 2]), W([4])], build: ({ a, w }) => weighted(op.cast(op.mul(op.cast(a, 'float32'), 3), 'float64'), w), torch: '((a.float() * 3).double() * w).sum()', eps: 1e-3, tolerance: 1e-3 },
  { name: 'ReduceSum axes [1] keepdims', inputs: [f64('a', [2, 3, 2], points(12, 19)), W([2, 1, 2])], build: ({ a, w }) => weighted(op.reduceSum(a, [1], true), w), torch: '(a.sum(1, keepdim=True) * w).sum()' },
  { name: 'ReduceMean axes [0,2]', inputs: [f64('a', [2, 3, 2], points(12, 20)), W([3])], build: ({ a, w }) => weighted(op.reduceMean(a, [0, 2]), w), torch: '(a.mean((0, 2)) * w).sum()' },
  { name: 'ReduceMean last axis keepdims', inputs: [f64('a', [3, 4], points(12, 21)), W([3, 1])], build: ({ a, w }) => weighted(op.reduceMean(a, [-1], true), w), torch: '(a.mean(-1, keepdim=True) * w).sum()' },
  { name: 'Reshape with 0 and -1', inputs: [f64('a', [2, 6], points(12, 22)), W([2, 3, 2])], build: ({ a, w }) => weighted(op.reshape(a, [0, -1, 2]), w), torch: '(a.reshape(2, -1, 2) * w).sum()' },
  { name: 'Transpose [0,2,1,3]', inputs: [f64('a', [2, 3, 2, 2], points(24, 23)), W([2, 2, 3, 2])], build: ({ a, w }) => weighted(op.transpose(a, [0, 2, 1, 3]), w), torch: '(a.permute(0, 2, 1, 3) * w).sum()' },
  { name: 'Unsqueeze then Squeeze', inputs: [f64('a', [2, 3], points(6, 24)), W([2, 1, 3])], build: ({ a, w }) => op.add(weighted(op.unsqueeze(a, [1]), w), weighted(op.squeeze(op.unsqueeze(a, [0]), [0]), op.squeeze(w, [1]))), torch: '(a.unsqueeze(1) * w).sum() + (a * w.squeeze(1)).sum()' },
  { name: 'Concat on axis 1', inputs: [f64('a', [2, 2], points(4, 25)), f64('b', [2, 3], points(6, 26)), W([2, 5])], build: ({ a, b, w }) => weighted(op.concat([a, b, ], 1), w), torch: '(torch.cat([a, b], 1) * w).sum()' },
  { name: 'Slice with a negative end', inputs: [f64('a', [3, 5], points(15, 27)), W([2, 3])], build: ({ a, w }) => weighted(op.slice(a, [1, 1], [3, -1], [0, 1]), w), torch: '(a[1:3, 1:-1] * w).sum()' },
  { name: 'Pad before and after on both axes of [2,3]', inputs: [f64('a', [2, 3], points(6, 50)), W([3, 6])], build: ({ a, w }) => weighted(op.pad(a, [1, 0, 0, 3]), w), torch: '(F.pad(a, (0, 3, 1, 0)) * w).sum()' },
  { name: 'Reshape to a run-time shape [2,6] to [3,4]', inputs: [f64('a', [2, 6], points(12, 51)), f64('like', [3, 4], points(12, 52)), W([3, 4])], build: ({ a, like, w }) => weighted(op.mul(op.reshapeTo(a, op.shapeOf(like), like.shape), like), w), torch: '(a.reshape(like.shape) * like * w).sum()' },
  { name: 'Expand [3,1] to [2,3,4]', inputs: [f64('a', [3, 1], points(3, 28)), f64('like', [2, 3, 4], points(24, 29)), W([2, 3, 4])], build: ({ a, like, w }) => weighted(op.mul(op.expandLike(a, like), like), w), torch: '(a.expand(2, 3, 4) * like * w).sum()' },
  { name: 'Gather rows with repeats', inputs: [f64('emb', [5, 3], points(15, 44)), { name: 'ids', shape: [2, 3], data: [1, 2, 2, 4, 1, 0], dtype: 'int64' }, W([2, 3, 3])], build: ({ emb, ids, w }) => weighted(op.gather(emb, ids), w), torch: '(F.embedding(ids, emb) * w).sum()' },
  { finiteDifferences: false, name: 'Gather rows with a padding row that gets no gradient', inputs: [f64('emb', [5, 3], points(15, 30)), { name: 'ids', shape: [2, 3], data: [1, 2, 2, 4, 1, 0], dtype: 'int64' }, W([2, 3, 3])], build: ({ emb, ids, w }) => weighted(op.gather(emb, ids, 0, { paddingIdx: 1 }), w), torch: '(F.embedding(ids, emb, padding_idx=1) * w).sum()' },
  { name: 'Gather axis 1 with a scalar index (the <s> vector)', inputs: [f64('h', [2, 3, 4], points(24, 45)), W([2, 4])], build: ({ h, w }) => weighted(op.gather(h, h.graph.constant(0, 'int64'), 1), w), torch: '(h[:, 0, :] * w).sum()' },
  { name: 'Gather axis 1 with repeated indices', inputs: [f64('h', [2, 3, 2], points(12, 46)), { name: 'ids', shape: [4], data: [2, 0, 2, 1], dtype: 'int64' }, W([2, 4, 2])], build: ({ h, ids, w }) => weighted(op.gather(h, ids, 1), w), torch: '(h[:, ids, :] * w).sum()' },
  { name: 'Gemm with transposed weight and bias (tied decoder)', inputs: [f64('a', [3, 4], points(12, 47)), f64('b', [5, 4], points(20, 48)), f64('c', [5], points(5, 49)), W([3, 5])], build: ({ a, b, c, w }) => weighted(op.gemmTransB(a, b, c), w), torch: '(F.linear(a, b, c) * w).sum()' },
  { name: 'MatMul 2D', inputs: [f64('a', [3, 4], points(12, 31)), f64('b', [4, 2], points(8, 32)), W([3, 2])], build: ({ a, b, w }) => weighted(op.matmul(a, b), w), torch: '((a @ b) * w).sum()' },
  { name: 'MatMul with a shared weight [2,3,4]x[4,2]', inputs: [f64('a', [2, 3, 4], points(24, 33)), f64('b', [4, 2], points(8, 34)), W([2, 3, 2])], build: ({ a, b, w }) => weighted(op.matmul(a, b), w), torch: '((a @ b) * w).sum()' },
  { name: 'MatMul batched with batch broadcast [2,1,3,4]x[2,2,4,3]', inputs: [f64('a', [2, 1, 3, 4], points(24, 35)), f64('b', [2, 2, 4, 3], points(48, 36)), W([2, 2, 3, 3])], build: ({ a, b, w }) => weighted(op.matmul(a, b), w), torch: '((a @ b) * w).sum()' },
  { name: 'Softmax last axis', inputs: [f64('a', [2, 4], points(8, 37)), W([2, 4])], build: ({ a, w }) => weighted(op.softmax(a), w), torch: '(torch.softmax(a, -1) * w).sum()' },
  { name: 'LogSoftmax last axis', inputs: [f64('a', [2, 4], points(8, 38)), W([2, 4])], build: ({ a, w }) => weighted(op.logSoftmax(a), w), torch: '(torch.log_softmax(a, -1) * w).sum()' },
  { name: 'LayerNormalization (float32)', inputs: [f32('x', [2, 3, 4], points(24, 39)), f32('gamma', [4], points(4, 40)), f32('beta', [4], points(4, 41)), W([2, 3, 4], 99, 'f32')], build: ({ x, gamma, beta, w }) => weighted(op.layerNorm(x, gamma, beta, 1e-5), w), torch: '(F.layer_norm(x, (4,), gamma, beta, 1e-5) * w).sum()', eps: 1e-2, tolerance: 2e-2 },
  { name: 'Cross-entropy with ignored labels', inputs: [f64('scores', [4, 3], points(12, 42)), { name: 'labels', shape: [4], data: [2, -100, 0, 1], dtype: 'int64' }], build: ({ scores, labels }) => op.crossEntropy(scores, labels), torch: 'F.cross_entropy(scores, labels, ignore_index=-100)' },
  { name: 'Cross-entropy with every label ignored but one', inputs: [f64('scores', [3, 5], points(15, 43)), { name: 'labels', shape: [3], data: [-100, 4, -100], dtype: 'int64' }], build: ({ scores, labels }) => op.crossEntropy(scores, labels), torch: 'F.cross_entropy(scores, labels, ignore_index=-100)' },
  { name: 'Cross-entropy with label smoothing 0.1 and ignored labels', inputs: [f64('scores', [4, 5], points(20, 44)), { name: 'labels', shape: [4], data: [3, -100, 0, 4], dtype: 'int64' }], build: ({ scores, labels }) => op.labelSmoothedCrossEntropy(scores, labels, 0.1), torch: 'F.cross_entropy(scores, labels, ignore_index=-100, label_smoothing=0.1)' },
  { name: 'Cross-entropy at logits where exp overflows unshifted (float32)', inputs: [f32('scores', [2, 3], [120, 95, -30, 0, 200, 199]), { name: 'labels', shape: [2], data: [1, 2], dtype: 'int64' }], build: ({ scores, labels }) => op.labelSmoothedCrossEntropy(scores, labels, 0.2), torch: 'F.cross_entropy(scores, labels, ignore_index=-100, label_smoothing=0.2)', eps: 1e-2, tolerance: 2e-2 },
];
