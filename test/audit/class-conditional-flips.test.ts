// Class-conditional label noise on the examples' language identification, audited with the shipped default model:
// each language's flipped rows all get one other language's label. The fold's logistic regression must not learn
// those rows (with a weak penalty, three Armenian paragraphs labelled Korean made other Armenian paragraphs "Korean"
// out of fold, and the correctly labelled ones were flagged): over three draws of flipped rows, most flags are
// flipped rows and most flipped rows are flagged.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { auditLabels } from '../../src/engine/audit/audit.js';
import { createRng, type Rng } from '../../src/engine/rng/rng.js';
import { tempFolder } from '../data/temp-files.js';

const files = tempFolder('audit-class-flips');
const ROOT = join(__dirname, '..', '..');
const MODEL = join(ROOT, 'models', 'default');

function shuffled<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

test('10% of the examples\' language labels moved class-conditionally: over three draws, precision ≥ 0.88 and recall ≥ 0.8 of the flagged rows', { timeout: 300_000 }, async () => {
  const rows = readFileSync(join(ROOT, 'examples', 'langid', 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: string });
  const labels = [...new Set(rows.map((r) => r.label))].sort();
  const scores: { precision: number; recall: number }[] = [];
  for (const seed of [1, 2, 3]) {
    const rng = createRng(1000 + seed);
    const order = shuffled([...labels], rng);
    const moveTo = new Map(order.map((l, i) => [l, order[(i + 1) % order.length]!]));
    const flipped = new Set(shuffled(rows.map((_, i) => i), rng).slice(0, Math.round(0.1 * rows.length)));
    const file = join(files.dir, `noisy-${seed}.jsonl`);
    writeFileSync(file, rows.map((r, i) => JSON.stringify({ text: r.text, label: flipped.has(i) ? moveTo.get(r.label) : r.label })).join('\n') + '\n');
    const report = await auditLabels({ model: MODEL, file, folds: 5, out: join(files.dir, `audit-${seed}`), threads: 2 });
    const flagged = new Set(report.flags.filter((f) => f.kind === 'label').map((f) => f.rowLine - 1));
    const hits = [...flagged].filter((i) => flipped.has(i)).length;
    scores.push({ precision: hits / flagged.size, recall: hits / flipped.size });
  }
  const mean = (k: 'precision' | 'recall') => scores.reduce((s, x) => s + x[k], 0) / scores.length;
  const said = scores.map((s) => `${s.precision.toFixed(2)}/${s.recall.toFixed(2)}`).join(', ');
  // Measured 2026-12-07 (precision/recall per draw): with the penalty 3e-2, 0.91/0.82, 0.91/0.92, 0.91/0.88; with the
  // old 1e-3, 0.85/0.86, 0.77/0.95, 0.78/0.88 (mean precision 0.80: this test failed).
  console.log(`class-conditional flips, precision/recall per draw: ${said}`);
  assert.ok(mean('precision') >= 0.88, `mean precision ${mean('precision').toFixed(3)} (${said})`);
  assert.ok(mean('recall') >= 0.8, `mean recall ${mean('recall').toFixed(3)} (${said})`);
});
