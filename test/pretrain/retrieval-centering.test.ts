import assert from 'node:assert/strict';
import test from 'node:test';
import { bestThreshold, pairCosines, retrievalTop1, type RetrievalRow } from '../../src/engine/pretrain/measures.js';

// Three paragraphs (ids p0, p1, p2) in two languages. The content of paragraph k is the unit vector e_k; each
// language adds its own constant offset (3·e_0 for "aaa", 3·e_1 for "bbb"), the kind of language direction mean
// pooling carries. One shared mean cannot remove two different offsets.
const e = (k: number, scale = 1) => [0, 0, 0].map((_, d) => (d === k ? scale : 0));
const plus = (a: number[], b: number[]) => a.map((x, d) => x + b[d]);
const rows: RetrievalRow[] = [0, 1, 2].flatMap((k) => [
  { id: `p${k}`, lang: 'aaa', text: '' },
  { id: `p${k}`, lang: 'bbb', text: '' },
]);
const vectors = rows.map((r) => plus(e(Number(r.id.slice(1))), r.lang === 'aaa' ? e(0, 3) : e(1, 3)));

test('retrieval: a language offset misleads cosine on shared centring; centring on each language mean removes it', () => {
  const shared = retrievalTop1(rows, vectors);
  // What is left of the offsets after the shared mean pulls some "aaa" queries to the wrong paragraph.
  assert.deepEqual(shared.languages, ['aaa', 'bbb']);
  assert.ok(shared.top1[0][1] < 1, `shared centring found ${shared.top1[0][1]}`);
  const perLanguage = retrievalTop1(rows, vectors, new Map([['aaa', e(0, 3)], ['bbb', e(1, 3)]]));
  assert.equal(perLanguage.top1[0][1], 1);
  assert.equal(perLanguage.top1[1][0], 1);
  assert.ok(Number.isNaN(perLanguage.top1[0][0]));
  assert.equal(perLanguage.chance, 1 / 3);
});

test('retrieval: a language without a reference mean falls back to the mean of all vectors', () => {
  const shared = retrievalTop1(rows, vectors);
  // Means only for languages the vectors do not have: every vector is centred on the shared mean, as without means.
  const unrelated = retrievalTop1(rows, vectors, new Map([['ccc', e(2, 5)]]));
  assert.deepEqual(unrelated.top1, shared.top1);
});

test('pair detection: the cosine of each side centred on its own language; a missing language falls back to the shared mean', () => {
  // Row 0: p0 in aaa against p0 in bbb (a translation); row 1: p0 in aaa against p1 in bbb (not one).
  const pairRows = [
    { premise_lang: 'aaa', hypothesis_lang: 'bbb' },
    { premise_lang: 'aaa', hypothesis_lang: 'bbb' },
  ];
  const pairVectors = [plus(e(0), e(0, 3)), plus(e(0), e(1, 3)), plus(e(0), e(0, 3)), plus(e(1), e(1, 3))];
  const [translation, other] = pairCosines(pairRows, pairVectors, new Map([['aaa', e(0, 3)], ['bbb', e(1, 3)]]));
  assert.ok(Math.abs(translation - 1) < 1e-12, `translation cosine ${translation}`);
  assert.ok(Math.abs(other) < 1e-12, `other cosine ${other}`);
  // With no means at all, both sides are centred on the mean of the four vectors: the offsets survive and the translation no longer scores 1.
  const [sharedTranslation] = pairCosines(pairRows, pairVectors, new Map());
  assert.ok(sharedTranslation < 0.99, `shared centring gives ${sharedTranslation}`);
});

test('pair detection: the best threshold splits the training scores with the most right, halfway between neighbours', () => {
  assert.deepEqual(bestThreshold([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), { threshold: 0.5, accuracy: 1 });
  // Not separable: one negative above one positive; the best threshold still gets 4 of 5 right.
  const noisy = bestThreshold([0.1, 0.3, 0.5, 0.6, 0.7], [false, true, false, true, true]);
  assert.equal(noisy.accuracy, 4 / 5);
  assert.ok(noisy.threshold > 0.1 && noisy.threshold < 0.3 || noisy.threshold > 0.5 && noisy.threshold < 0.6, `threshold ${noisy.threshold}`);
  // Tied scores are never split: equal scores get one answer.
  const tied = bestThreshold([0.5, 0.5, 0.5, 0.9], [true, false, false, true]);
  assert.equal(tied.accuracy, 3 / 4);
  assert.ok(tied.threshold > 0.5 && tied.threshold < 0.9);
  // All positive: a threshold below every score.
  assert.equal(bestThreshold([0.2, 0.4], [true, true]).accuracy, 1);
  assert.ok(bestThreshold([0.2, 0.4], [true, true]).threshold < 0.2);
});
