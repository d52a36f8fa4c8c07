// The audit's features route: multinomial logistic regression by L-BFGS reaches the penalised optimum, and k-fold
// logistic regression with confident learning finds the flipped labels of a separable dataset, and only those.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findLabelIssues } from '../../src/engine/audit/confident-learning.js';
import { fitLogistic, predictLogistic, standardise } from '../../src/engine/audit/logistic.js';
import { createRng } from '../../src/engine/rng/rng.js';

/** Gaussian clusters: class k centred at 6 e_k (plus a shared offset), unit noise. */
function clusters(perClass: number, classes: number, dim: number, seed: number): { x: Float64Array[]; y: number[] } {
  const rng = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const x: Float64Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < perClass * classes; i++) {
    const k = i % classes;
    x.push(Float64Array.from({ length: dim }, (_, d) => (d === k ? 6 : 0) + 5 + gauss()));
    y.push(k);
  }
  return { x, y };
}

test('fitLogistic reaches the optimum: the penalised gradient (computed here, not by its graph) vanishes and probabilities sum to one', async () => {
  const { x, y } = clusters(40, 3, 4, 1);
  const l2 = 0.01;
  const model = await fitLogistic(x, y, 3, { l2, iterations: 500, tolerance: 1e-9 });
  const grad = new Float64Array(model.params.length);
  x.forEach((row, i) => {
    const p = predictLogistic(model, row);
    assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-12);
    for (let c = 0; c < 3; c++) {
      const g = (p[c] - (c === y[i] ? 1 : 0)) / x.length;
      for (let d = 0; d < 4; d++) grad[c * 4 + d] += g * row[d];
      grad[12 + c] += g;
    }
  });
  for (let k = 0; k < 12; k++) grad[k] += l2 * model.params[k];
  assert.ok(Math.max(...grad.map(Math.abs)) < 1e-5, `largest gradient entry ${Math.max(...grad.map(Math.abs))}`);
  const accuracy = x.filter((row, i) => argmax(predictLogistic(model, row)) === y[i]).length / x.length;
  assert.ok(accuracy > 0.9, `training accuracy ${accuracy}`);
});

test('k-fold logistic regression and confident learning find the flipped rows of a separable dataset', async () => {
  const classes = 4;
  const { x, y } = clusters(100, classes, 6, 2);
  const rng = createRng(3);
  const flipped = new Set<number>();
  while (flipped.size < 10) flipped.add(Math.floor(rng.next() * x.length));
  const given = y.map((k, i) => (flipped.has(i) ? (k + 1 + Math.floor(rng.next() * (classes - 1))) % classes : k));
  const folds = 5;
  const probs: Float64Array[] = new Array(x.length);
  for (let f = 0; f < folds; f++) {
    const train = x.map((_, i) => i).filter((i) => i % folds !== f);
    const held = x.map((_, i) => i).filter((i) => i % folds === f);
    const scaled = standardise(train.map((i) => x[i]), x);
    const model = await fitLogistic(train.map((i) => scaled[i]), train.map((i) => given[i]), classes, { l2: 1e-3 });
    for (const i of held) probs[i] = predictLogistic(model, scaled[i]);
  }
  const { issues } = findLabelIssues(given, probs, classes);
  assert.deepEqual(issues.map((s) => s.index).sort((a, b) => a - b), [...flipped].sort((a, b) => a - b));
  for (const issue of issues) assert.equal(issue.suggested, y[issue.index], `row ${issue.index}: the suggestion is the original label`);
});

test('standardise scales by the fitting rows only, and leaves a constant column at its offset', () => {
  const fit = [Float64Array.of(1, 5), Float64Array.of(3, 5)];
  const [a, b] = standardise(fit, [Float64Array.of(2, 5), Float64Array.of(5, 6)]);
  assert.deepEqual([...a], [0, 0]);
  assert.deepEqual([...b], [3, 1]);
});

test('fitLogistic stops when asked (cancel)', async () => {
  const { x, y } = clusters(20, 2, 3, 4);
  let calls = 0;
  await fitLogistic(x, y, 2, { stop: () => ++calls >= 3 });
  assert.equal(calls, 3);
});

function argmax(v: Float64Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
