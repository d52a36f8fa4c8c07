import assert from 'node:assert/strict';
import test from 'node:test';
import { retrievalTop1, type RetrievalRow } from '../../src/engine/pretrain/demo-eval.js';

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
