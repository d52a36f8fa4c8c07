// The audit's nearest-neighbour estimate: the largest similarities found in order, votes weighted by similarity with
// a floor, held-out rows predicted only from the pool, and centring on each language's mean finding the rows that
// mean the same in other languages where the raw vectors find the rows of the same language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../src/engine/rng/rng.js';
import { FLOOR, NEIGHBOURS, crossEntropy, neighbourProbabilities, topIndices, unitVectors } from '../../src/engine/audit/neighbours.js';

test('topIndices returns the k largest values, largest first, and all of them when there are fewer', () => {
  const rng = createRng(3);
  const values = Array.from({ length: 500 }, () => rng.next());
  const sorted = values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
  assert.deepEqual(topIndices(values, 20), sorted.slice(0, 20));
  assert.deepEqual(topIndices([0.2, 0.9, 0.5], 20), [1, 2, 0]);
  assert.deepEqual(topIndices([0.2, 0.9], 0), []);
});

test('a held-out row is predicted by its pool neighbours only, closer ones weigh more, and no class is impossible', async () => {
  const v = (x: number, y: number) => Float32Array.from([x, y]);
  const vectors = unitVectors([v(1, 0), v(1, 0.05), v(0, 1), v(0.05, 1), v(1, 0.02)]);
  const labels = [0, 0, 1, 1, 1];
  // Row 4 lies by rows 0 and 1 (class 0); its own label (1) must not vote for it: it is not in the pool.
  const [p] = await neighbourProbabilities(vectors, labels, 3, [4], [0, 1, 2, 3]);
  assert.ok(p[0] > 0.9, `class 0 gets ${p[0]}`);
  assert.ok(p[2] > 0 && p[2] < FLOOR, `an unseen class keeps a share of the floor: ${p[2]}`);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  // The nearer of two neighbours with different labels wins.
  const [q] = await neighbourProbabilities(unitVectors([v(1, 0), v(1, 0.1), v(1, 0.6)]), [0, 1, 2], 3, [0], [1, 2]);
  assert.ok(q[1] > q[2], `${q[1]} vs ${q[2]}`);
});

test('centred on each language, neighbours find the same meaning in other languages', async () => {
  // 6 languages x 12 meanings: a vector is its language's offset (large) plus its meaning's direction plus noise,
  // as a small multilingual encoder's sentence vectors are.
  const rng = createRng(7);
  const dim = 32;
  const randomVector = (scale: number) => Float32Array.from({ length: dim }, () => scale * (rng.next() * 2 - 1));
  const languages = Array.from({ length: 6 }, () => randomVector(3));
  const meanings = Array.from({ length: 12 }, () => randomVector(1));
  const vectors: Float32Array[] = [];
  const labels: number[] = [];
  const groups: number[] = [];
  languages.forEach((l, g) => meanings.forEach((m, c) => {
    const noise = randomVector(0.3);
    vectors.push(Float32Array.from({ length: dim }, (_, d) => l[d] + m[d] + noise[d]));
    labels.push(c);
    groups.push(g);
  }));
  const all = vectors.map((_, i) => i);
  // Each language held out in turn: its rows are predicted from the other languages' rows.
  const predict = async (unit: Float32Array[]) => {
    const rows: Float64Array[] = new Array(vectors.length);
    for (let g = 0; g < languages.length; g++) {
      const held = all.filter((i) => groups[i] === g);
      (await neighbourProbabilities(unit, labels, meanings.length, held, all.filter((i) => groups[i] !== g))).forEach((p, r) => (rows[held[r]] = p));
    }
    return rows;
  };
  const accuracy = (rows: Float64Array[]) => rows.filter((p, i) => p.indexOf(Math.max(...p)) === labels[i]).length / rows.length;
  const raw = await predict(unitVectors(vectors));
  const centred = await predict(unitVectors(vectors, groups));
  assert.ok(accuracy(centred) > 0.95, `centred accuracy ${accuracy(centred)}`);
  assert.ok(accuracy(raw) < accuracy(centred) - 0.2, `raw ${accuracy(raw)} against centred ${accuracy(centred)}`);
  assert.ok(crossEntropy(labels, centred) < crossEntropy(labels, raw));
  assert.equal(NEIGHBOURS, 20);
});

test('a language of one row is centred towards the mean of all rows, not onto zero', () => {
  const vectors = [Float32Array.from([3, 1]), Float32Array.from([3, -1]), Float32Array.from([3, 0.5]), Float32Array.from([3, -0.5]), Float32Array.from([3, 0.2]), Float32Array.from([-1, 2])];
  const groups = [0, 0, 0, 0, 0, 1]; // the last row is its language's only row
  const unit = unitVectors(vectors, groups);
  const norm = Math.hypot(unit[5]![0]!, unit[5]![1]!);
  assert.ok(Math.abs(norm - 1) < 1e-6, `the lone row's vector has length ${norm}`);
  // Its mean is shrunk halfway to the mean of all six rows, (2.33, 0.37): the lone row minus it points left and up.
  assert.ok(unit[5]![0]! < 0 && unit[5]![1]! > 0, `${unit[5]}`);
  // A cancelled signal stops the vote before its first row.
  const abort = new AbortController();
  abort.abort();
  return assert.rejects(neighbourProbabilities(unit, [0, 0, 0, 1, 1, 1], 2, [0, 1], [2, 3, 4, 5], abort.signal), /cancelled/);
});
