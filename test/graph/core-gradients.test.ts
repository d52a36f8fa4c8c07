import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradCheck } from '../helpers/gradcheck.js';
import { add, mul, div, sub, matmul, softmax, layerNorm, gelu, reduceSum, reduceMean, crossEntropy, reshape, transpose, gather, tanh, where, greater } from '../../src/engine/graph/ops/index.js';

const points = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.7);

test('broadcast add/mul/div/sub gradients match central differences, including 0 and negatives', async () => {
  const a = [0, -1.5, 2, 0.3, -0.7, 1.1];
  const b = [0.5, -2, 1.25];
  const r = await gradCheck(
    [{ name: 'a', shape: [2, 3], data: a }, { name: 'b', shape: [3], data: b }],
    ({ a, b }) => reduceSum(mul(sub(mul(add(a, b), b), div(a, add(mul(b, b), 1))), a), [0, 1]),
  );
  assert.ok(r.maxRelError < 1e-5, `max relative error ${r.maxRelError}`);
});

test('matmul with a shared weight, softmax, layer norm, gelu and tanh gradients match central differences', async () => {
  const r = await gradCheck(
    [
      { name: 'x', shape: [2, 3, 4], data: points(24, 1), dtype: 'float32' },
      { name: 'w', shape: [4, 4], data: points(16, 2), dtype: 'float32' },
      { name: 'gamma', shape: [4], data: points(4, 3), dtype: 'float32' },
      { name: 'beta', shape: [4], data: points(4, 4), dtype: 'float32' },
    ],
    ({ x, w, gamma, beta }) => {
      const h = layerNorm(matmul(x, w), gamma, beta, 1e-5);
      const p = softmax(gelu(h));
      return reduceMean(mul(tanh(p), h), [0, 1, 2]);
    },
    1e-2,
  );
  // float32 (onnxruntime has no float64 Erf): central differences with eps 1e-2 are good to ~1e-3.
  assert.ok(r.maxRelError < 2e-2, `max relative error ${r.maxRelError}`);
});

test('embedding gather sums repeated rows and leaves the padding row without gradient', async () => {
  const r = await gradCheck(
    [
      { name: 'emb', shape: [5, 3], data: points(15, 5) },
      { name: 'ids', shape: [2, 3], data: [1, 2, 2, 4, 1, 0], dtype: 'int64' },
    ],
    ({ emb, ids }) => {
      const h = gather(emb, ids, 0, { paddingIdx: 1 });
      return reduceSum(mul(h, h), [0, 1, 2]);
    },
  );
  const g = r.analytic.get('emb')!;
  assert.deepEqual(Array.from(g.slice(3, 6)), [0, 0, 0], 'row 1 (padding) gets no gradient');
  const e = points(15, 5);
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(g[6 + c] - 4 * e[6 + c]) < 1e-9, 'row 2 used twice gets twice the gradient');
});

test('cross-entropy ignores label -100 and averages over the kept positions', async () => {
  const r = await gradCheck(
    [
      { name: 'scores', shape: [3, 4], data: points(12, 6) },
      { name: 'labels', shape: [3], data: [2, -100, 0], dtype: 'int64' },
    ],
    ({ scores, labels }) => crossEntropy(scores, labels),
  );
  assert.ok(r.maxRelError < 1e-5, `max relative error ${r.maxRelError}`);
  const g = r.analytic.get('scores')!;
  assert.deepEqual(Array.from(g.slice(4, 8)), [0, 0, 0, 0]);
});

test('reshape, transpose and where route gradients back', async () => {
  const r = await gradCheck(
    [{ name: 'x', shape: [2, 6], data: points(12, 7) }],
    ({ x }) => {
      const y = transpose(reshape(x, [0, 2, 3]), [0, 2, 1]);
      const z = where(greater(y, 0), mul(y, y), y);
      return reduceSum(mul(z, y), [0, 1, 2]);
    },
  );
  assert.ok(r.maxRelError < 1e-5, `max relative error ${r.maxRelError}`);
});
