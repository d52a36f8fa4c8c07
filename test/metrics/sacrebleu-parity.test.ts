// Our BLEU and chrF against sacreBLEU's own figures on the same test sets, frozen by scripts/sacrebleu-fixtures.py
// (test/fixtures/sacrebleu/README.md says how). Scores, precisions, brevity penalty and ratio agree to 1e-9, counts
// and signatures exactly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { corpusBleu, type BleuOptions } from '../../src/engine/metrics/bleu.js';
import { corpusChrf, type ChrfOptions } from '../../src/engine/metrics/chrf.js';

interface Case {
  name: string;
  hypotheses: string[];
  references: string[][];
}
interface Settings extends BleuOptions, ChrfOptions {
  metric: 'bleu' | 'chrf';
}
interface Result {
  case: string;
  settings: Settings;
  expected: Record<string, unknown> & { score: number; signature: string };
}

const dir = join(__dirname, '..', 'fixtures', 'sacrebleu');
const cases: Case[] = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')).cases;
const frozen: { results: Result[] } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));

const close = (actual: number, expected: number, what: string): void => assert.ok(Math.abs(actual - expected) <= 1e-9, `${what}: ${actual} ≠ sacreBLEU's ${expected}`);

test('the fixtures cover every case and both metrics', () => {
  assert.equal(new Set(frozen.results.map((r) => r.case)).size, cases.length);
  assert.ok(frozen.results.some((r) => r.settings.metric === 'bleu') && frozen.results.some((r) => r.settings.metric === 'chrf'));
});

for (const result of frozen.results) {
  const c = cases.find((x) => x.name === result.case)!;
  const { metric, ...settings } = result.settings;
  test(`${metric} ${JSON.stringify(settings)} on ${c.name} equals sacreBLEU`, () => {
    const e = result.expected;
    if (metric === 'bleu') {
      const ours = corpusBleu(c.hypotheses, c.references, settings);
      close(ours.score, e.score, 'score');
      (e.precisions as number[]).forEach((p, i) => close(ours.precisions[i], p, `precision ${i + 1}`));
      close(ours.bp, e.bp as number, 'bp');
      close(ours.ratio, e.ratio as number, 'ratio');
      assert.equal(ours.hypLength, e.hypLength);
      assert.equal(ours.refLength, e.refLength);
      // sacreBLEU reports add-k's counts and totals with k already added to orders 2..4.
      const k = settings.smooth === 'add-k' && ours.counts.some((n) => n > 0) ? (settings.smoothValue ?? 1) : 0;
      assert.deepEqual(ours.counts.map((n, i) => (i > 0 ? n + k : n)), e.counts);
      assert.deepEqual(ours.totals.map((n, i) => (i > 0 ? n + k : n)), e.totals);
      assert.equal(ours.signature, e.signature);
    } else {
      const ours = corpusChrf(c.hypotheses, c.references, settings);
      close(ours.score, e.score, 'score');
      assert.equal(ours.name, e.name);
      assert.equal(ours.signature, e.signature);
    }
  });
}
