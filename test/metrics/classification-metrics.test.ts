// Values computed by hand in the comments; the code must reproduce them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classificationMetrics } from '../../src/engine/metrics/classification.js';

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

// gold a a a b b c / predicted a a b b c c
// confusion (rows gold a, b, c; columns predicted): a [2 1 0], b [0 1 1], c [0 0 1]
// a: tp 2, predicted 2, support 3 → P 1,   R 2/3, F1 0.8
// b: tp 1, predicted 2, support 2 → P 1/2, R 1/2, F1 0.5
// c: tp 1, predicted 2, support 1 → P 1/2, R 1,   F1 2/3
const gold = ['a', 'a', 'a', 'b', 'b', 'c'];
const predicted = ['a', 'a', 'b', 'b', 'c', 'c'];

test('accuracy, per-class precision/recall/F1 and the confusion matrix', () => {
  const m = classificationMetrics(gold, predicted);
  assert.equal(m.count, 6);
  close(m.accuracy, 4 / 6, 'accuracy');
  assert.deepEqual(m.confusion, { labels: ['a', 'b', 'c'], matrix: [[2, 1, 0], [0, 1, 1], [0, 0, 1]] });
  const expected = [
    ['a', 1, 2 / 3, 0.8, 3],
    ['b', 0.5, 0.5, 0.5, 2],
    ['c', 0.5, 1, 2 / 3, 1],
  ] as const;
  expected.forEach(([label, p, r, f, support], i) => {
    const c = m.perClass[i];
    assert.equal(c.label, label);
    close(c.precision, p, `${label} precision`);
    close(c.recall, r, `${label} recall`);
    close(c.f1, f, `${label} f1`);
    assert.equal(c.support, support);
  });
});

test('macro, micro and weighted averages', () => {
  const m = classificationMetrics(gold, predicted);
  close(m.macroPrecision, (1 + 0.5 + 0.5) / 3, 'macro P');
  close(m.macroRecall, (2 / 3 + 0.5 + 1) / 3, 'macro R');
  close(m.macroF1, (0.8 + 0.5 + 2 / 3) / 3, 'macro F1');
  // single-label: summed tp 4, fp 2, fn 2 → micro P = R = F1 = accuracy
  close(m.microPrecision, 4 / 6, 'micro P');
  close(m.microRecall, 4 / 6, 'micro R');
  close(m.microF1, 4 / 6, 'micro F1');
  close(m.weightedF1, (0.8 * 3 + 0.5 * 2 + (2 / 3) * 1) / 6, 'weighted F1');
});

test('a given label list fixes the matrix order, and an absent class counts as 0 in the macro average', () => {
  const m = classificationMetrics(gold, predicted, ['c', 'b', 'a', 'd']);
  assert.deepEqual(m.confusion.matrix, [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 2, 0], [0, 0, 0, 0]]);
  close(m.macroF1, (0.8 + 0.5 + 2 / 3 + 0) / 4, 'macro F1 over four classes');
  close(m.microF1, 4 / 6, 'micro F1 unchanged');
  assert.throws(() => classificationMetrics(['a'], ['z'], ['a']), /'z' is not in the label list/);
});

test('NLI labels: a classifier that never predicts neutral gets neutral F1 0, not NaN', () => {
  const m = classificationMetrics(['entailment', 'neutral', 'contradiction'], ['entailment', 'entailment', 'contradiction'], ['entailment', 'neutral', 'contradiction']);
  const neutral = m.perClass[1];
  assert.deepEqual([neutral.precision, neutral.recall, neutral.f1], [0, 0, 0]);
  close(m.perClass[0].f1, 2 / 3, 'entailment F1 (P 1/2, R 1)');
  close(m.macroF1, (2 / 3 + 0 + 1) / 3, 'macro F1');
});
