// The seeded generator repeats exactly for a seed, differs across seeds, and draws from the right distributions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, normalArray } from '../../src/engine/rng/rng.js';

const draw = (seed: number, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

test('the same seed gives the same sequence; another seed another one', () => {
  assert.deepEqual(draw(42, 100), draw(42, 100));
  assert.notDeepEqual(draw(42, 100), draw(43, 100));
});

test('uniform draws lie in [0, 1) with mean 1/2; int(n) covers 0..n-1 evenly', () => {
  const values = draw(1, 20_000);
  assert.ok(values.every((v) => v >= 0 && v < 1));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  const rng = createRng(2);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 10_000; i++) counts[rng.int(5)]++;
  for (const c of counts) assert.ok(c > 1800 && c < 2200, `counts ${counts}`);
  assert.throws(() => rng.int(0), /positive integer/);
});

test('normal draws have the requested mean and standard deviation', () => {
  const values = normalArray(createRng(3), 40_000, 0.3, 1);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  assert.ok(Math.abs(mean - 1) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.3) < 0.01, `std ${std}`);
});

test('a saved state continues the same sequence, normals included', () => {
  const rng = createRng(9);
  rng.next();
  rng.normal();
  const saved = rng.state();
  const expected = [rng.normal(), rng.next(), rng.normal(), rng.int(1000)];
  const resumed = createRng(saved.seed, saved.spareNormal);
  assert.deepEqual([resumed.normal(), resumed.next(), resumed.normal(), resumed.int(1000)], expected);
});
