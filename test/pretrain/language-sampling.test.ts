import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isXlmError } from '../../src/engine/errors.js';
import { characterSizes, createLanguageSampler, smoothedProbabilities, smoothingWeights } from '../../src/engine/pretrain/sampling.js';

const sizes = new Map([['big', 900], ['mid', 90], ['small', 10]]);

test('smoothed probabilities are p_i^alpha normalised: small languages rise, large ones fall', () => {
  const q = smoothedProbabilities(sizes, 0.3);
  const powered = [0.9, 0.09, 0.01].map((p) => Math.pow(p, 0.3));
  const total = powered.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(q.get('big')! - powered[0] / total) < 1e-12);
  assert.ok(Math.abs(q.get('small')! - powered[2] / total) < 1e-12);
  assert.ok(q.get('small')! > 0.01 && q.get('big')! < 0.9);
  assert.ok(Math.abs([...q.values()].reduce((a, b) => a + b, 0) - 1) < 1e-12);
  const raw = smoothedProbabilities(sizes, 1);
  assert.ok(Math.abs(raw.get('mid')! - 0.09) < 1e-12, 'alpha 1 keeps the raw shares');
});

test('smoothing weights turn each language share into its smoothed share', () => {
  const weights = smoothingWeights(sizes, 0.3);
  const q = smoothedProbabilities(sizes, 0.3);
  let total = 0;
  for (const [lang, size] of sizes) total += size * weights.get(lang)!;
  for (const [lang, size] of sizes) assert.ok(Math.abs((size * weights.get(lang)!) / total - q.get(lang)!) < 1e-12);
});

test('the sampler draws languages at the smoothed rates, and the same seed draws the same sequence', () => {
  const sampler = createLanguageSampler(sizes, { alpha: 0.3, seed: 7 });
  const draws = 20000;
  const counts = new Map<string, number>();
  const sequence: string[] = [];
  for (let i = 0; i < draws; i++) {
    const lang = sampler.next();
    counts.set(lang, (counts.get(lang) ?? 0) + 1);
    if (i < 50) sequence.push(lang);
  }
  for (const [lang, q] of sampler.probabilities) {
    const observed = (counts.get(lang) ?? 0) / draws;
    // Five standard errors of a binomial share.
    assert.ok(Math.abs(observed - q) < 5 * Math.sqrt((q * (1 - q)) / draws), `${lang}: drew ${observed}, expected ${q}`);
  }
  const again = createLanguageSampler(sizes, { alpha: 0.3, seed: 7 });
  assert.deepEqual(Array.from({ length: 50 }, () => again.next()), sequence);
  const other = createLanguageSampler(sizes, { alpha: 0.3, seed: 8 });
  assert.notDeepEqual(Array.from({ length: 50 }, () => other.next()), sequence);
});

test('a language of size 0 is never drawn; bad alpha and empty sizes are refused', () => {
  const sampler = createLanguageSampler(new Map([['a', 5], ['none', 0]]), { seed: 1 });
  for (let i = 0; i < 1000; i++) assert.equal(sampler.next(), 'a');
  assert.throws(() => smoothedProbabilities(sizes, 0), (e: unknown) => isXlmError(e) && /alpha/.test(e.message));
  assert.throws(() => smoothedProbabilities(sizes, 1.5), isXlmError);
  assert.throws(() => smoothedProbabilities(new Map([['a', 0]])), (e: unknown) => isXlmError(e) && /nothing to sample/.test(e.message));
});

test('character sizes count code points per language', () => {
  assert.deepEqual(characterSizes([{ lang: 'x', text: 'ab' }, { lang: 'y', text: '日本' }, { lang: 'x', text: '😀' }]), new Map([['x', 3], ['y', 2]]));
});
