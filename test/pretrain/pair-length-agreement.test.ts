import assert from 'node:assert/strict';
import test from 'node:test';
import { bestThreshold, fitLogistic, lengthDisagreement, lengthOffsets } from '../../src/engine/pretrain/measures.js';
import type { ParallelUnit } from '../../src/engine/pretrain/corpus.js';

// Lengths in characters: language "bbb" writes every paragraph twice as long as "aaa", "ccc" as long as "aaa".
const unit = (article: number, n: number): ParallelUnit => ({
  article, index: 0, texts: new Map([['aaa', 'x'.repeat(n)], ['bbb', 'x'.repeat(2 * n)], ['ccc', 'x'.repeat(n)]]),
});
const units = [unit(1, 10), unit(2, 40), unit(3, 25)];
const chars = (t: string) => t.length;

test('length offsets: each language its mean log-length against the unit mean; translations then disagree by 0', () => {
  const offsets = lengthOffsets(units, chars);
  // Unit mean of logs: log n + log 2 / 3; aaa and ccc sit log 2 / 3 below it, bbb 2 log 2 / 3 above.
  assert.ok(Math.abs(offsets.get('aaa')! + Math.log(2) / 3) < 1e-12, String(offsets.get('aaa')));
  assert.ok(Math.abs(offsets.get('bbb')! - (2 * Math.log(2)) / 3) < 1e-12);
  assert.ok(Math.abs(offsets.get('ccc')! - offsets.get('aaa')!) < 1e-12);
  // An unseen paragraph of 16 characters and its 32-character translation agree; a 64-character one does not.
  assert.ok(lengthDisagreement('x'.repeat(16), 'aaa', 'x'.repeat(32), 'bbb', offsets, chars) < 1e-12);
  assert.ok(Math.abs(lengthDisagreement('x'.repeat(16), 'aaa', 'x'.repeat(64), 'bbb', offsets, chars) - Math.log(2)) < 1e-12);
  // Order does not matter; a language without an offset counts as 0.
  assert.equal(lengthDisagreement('x'.repeat(32), 'bbb', 'x'.repeat(16), 'aaa', offsets, chars), lengthDisagreement('x'.repeat(16), 'aaa', 'x'.repeat(32), 'bbb', offsets, chars));
  assert.ok(Math.abs(lengthDisagreement('x'.repeat(8), 'zzz', 'x'.repeat(8), 'ccc', offsets, chars) - Math.log(2) / 3) < 1e-12);
});

test('logistic regression: two features that each half-separate the classes are combined to separate them', () => {
  // Neither feature alone separates the classes: the rule is cosine - 2 x disagreement > 0.2.
  const features: number[][] = [];
  const positive: boolean[] = [];
  for (let i = 0; i < 200; i++) {
    const cosine = ((i * 37) % 100) / 100;
    const disagreement = ((i * 53) % 50) / 100;
    features.push([cosine, disagreement]);
    positive.push(cosine - 2 * disagreement > 0.2);
  }
  const fit = fitLogistic(features, positive, 5000, 1);
  assert.ok(fit.weights[0] > 0 && fit.weights[1] < 0, `weights ${fit.weights}`);
  // The boundary's slope: weight of disagreement / weight of cosine close to -2.
  assert.ok(Math.abs(fit.weights[1] / fit.weights[0] + 2) < 0.3, `ratio ${fit.weights[1] / fit.weights[0]}`);
  const combined = bestThreshold(features.map(fit.score), positive).accuracy;
  const cosineOnly = bestThreshold(features.map((x) => x[0]), positive).accuracy;
  assert.ok(combined >= 0.97, `combined ${combined}`);
  assert.ok(cosineOnly < 0.85, `the cosine alone should not suffice here: ${cosineOnly}`);
  // Deterministic: the same data gives the same weights.
  assert.deepEqual(fitLogistic(features, positive, 5000, 1).weights, fit.weights);
  assert.throws(() => fitLogistic([[1, 2]], [true, false]), /1 feature rows for 2 labels/);
});
