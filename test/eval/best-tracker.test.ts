import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BestTracker, metricForBestKey } from '../../src/engine/eval/best-tracker.js';
import { isXlmError } from '../../src/engine/errors.js';
import { translationMetricKey } from '../../src/engine/seq2seq/evaluation.js';

/** Feeds one value per evaluation (steps 10, 20, ...) and records what the tracker said. */
function run(tracker: BestTracker, values: (number | undefined)[]) {
  return values.map((v, i) => tracker.update((i + 1) * 10, v === undefined ? {} : { [tracker.options.key]: v }));
}

const cases: { name: string; greater: boolean; patience?: number; values: (number | undefined)[]; improved: boolean[]; stopAt?: number; best: [number, number] }[] = [
  { name: 'accuracy rises, then stalls: stop after patience evaluations without improvement', greater: true, patience: 2, values: [0.5, 0.6, 0.6, 0.55], improved: [true, true, false, false], stopAt: 3, best: [20, 0.6] },
  { name: 'an equal value is not an improvement (strictly better, as transformers compares)', greater: true, patience: 1, values: [0.7, 0.7], improved: [true, false], stopAt: 1, best: [10, 0.7] },
  { name: 'loss: lower is better, and an improvement resets the count', greater: false, patience: 2, values: [1.0, 1.1, 0.9, 0.95, 0.96], improved: [true, false, true, false, false], stopAt: 4, best: [30, 0.9] },
  { name: 'without patience it never stops', greater: true, values: [0.9, 0.1, 0.1, 0.1, 0.1], improved: [true, false, false, false, false], best: [10, 0.9] },
  { name: 'a missing or NaN metric counts as no improvement', greater: true, patience: 2, values: [undefined, Number.NaN, 0.3], improved: [false, false, true], stopAt: 1, best: [30, 0.3] },
];

for (const c of cases) {
  test(`BestTracker: ${c.name}`, () => {
    const tracker = new BestTracker({ key: 'm', greaterIsBetter: c.greater, patience: c.patience });
    const verdicts = run(tracker, c.values);
    assert.deepEqual(verdicts.map((v) => v.improved), c.improved);
    const firstStop = verdicts.findIndex((v) => v.stop);
    assert.equal(firstStop === -1 ? undefined : firstStop, c.stopAt);
    assert.deepEqual(tracker.best, { step: c.best[0], value: c.best[1] });
  });
}

test('BestTracker state round-trips, so a resumed run keeps counting toward patience', () => {
  const a = new BestTracker({ key: 'accuracy', greaterIsBetter: true, patience: 3 });
  run(a, [0.5, 0.8, 0.7]);
  const b = new BestTracker({ key: 'accuracy', greaterIsBetter: true, patience: 3 });
  b.restore(JSON.parse(JSON.stringify(a.state())));
  assert.deepEqual(b.state(), a.state());
  assert.equal(b.update(40, { accuracy: 0.75 }).stop, false);
  assert.equal(b.update(50, { accuracy: 0.79 }).stop, true, 'third evaluation after the best at step 20');
  const other = new BestTracker({ key: 'loss', greaterIsBetter: false });
  other.restore(a.state());
  assert.equal(other.best, undefined, 'a state kept for another metric is ignored');
});

test('--metric-for-best maps to each task\'s metric name and direction; bad patience is refused', () => {
  assert.deepEqual(metricForBestKey('nli', 'f1'), { key: 'macro_f1', greaterIsBetter: true });
  assert.deepEqual(metricForBestKey('token-cls', 'f1'), { key: 'f1', greaterIsBetter: true });
  assert.deepEqual(metricForBestKey('mlm', 'accuracy'), { key: 'accuracy', greaterIsBetter: true });
  assert.deepEqual(metricForBestKey('seq-cls', 'loss'), { key: 'loss', greaterIsBetter: false });
  // Question answering: f1 and em (exact match; accuracy means it too), as the eval lines name them.
  assert.deepEqual(metricForBestKey('qa', 'f1'), { key: 'f1', greaterIsBetter: true });
  assert.deepEqual(metricForBestKey('qa', 'em'), { key: 'exact_match', greaterIsBetter: true });
  assert.deepEqual(metricForBestKey('qa', 'accuracy'), { key: 'exact_match', greaterIsBetter: true });
  assert.throws(() => metricForBestKey('seq-cls', 'em'), (e: unknown) => isXlmError(e) && /em is the exact match of question answering/.test(e.message));
  assert.throws(() => metricForBestKey('mlm', 'f1'), (e: unknown) => isXlmError(e) && /no meaning for masked-LM/.test(e.message));
  assert.throws(() => metricForBestKey('seq-cls', 'bleu'), (e: unknown) => isXlmError(e) && /--metric-for-best bleu scores translations; use it with --task translation/.test(e.message));
  assert.deepEqual(translationMetricKey('chrf'), { key: 'chrf', greaterIsBetter: true });
  assert.throws(() => translationMetricKey('f1'), /--metric-for-best f1 has no meaning for --task translation; use bleu or chrf/);
  assert.throws(() => new BestTracker({ key: 'loss', greaterIsBetter: false, patience: 0 }), /--patience must be a whole number of at least 1, got 0/);
});
