import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runXlm } from '../helpers/cli.js';
import { evalChartKeys, evalChartTitle, isRatioMetric } from '../../src/panels/messages.js';
import { parseMetrics } from '../../src/panels/runs.js';
import { generateQa, writeQaJsonl } from '../helpers/qa-data.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let root: string;
let model: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-qa-train-eval-'));
  model = join(root, 'model');
  writeTinyXlmr(model, { head: 'mlm', hiddenSize: 64, numLayers: 2, intermediateSize: 128, maxPositionEmbeddings: 130 });
  writeQaJsonl(join(root, 'train.jsonl'), generateQa(160, 'en', 11));
  writeQaJsonl(join(root, 'eval.jsonl'), [...generateQa(24, 'en', 12), ...generateQa(16, 'de', 13)]);
});
after(() => rmSync(root, { recursive: true, force: true }));

const windows = ['--max-length', '64', '--stride', '16'];
const common = ['--task', 'qa', ...windows, '--batch-size', '16', '--dropout', '0', '--log-every', '5', '--lr', '3e-3'];

interface Line {
  step: number;
  loss?: number;
  eval?: Record<string, number>;
}
const readMetrics = (out: string): Line[] => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);

test('a QA run evaluates about ten times without --eval-every, writing exact match and F1 that xlm eval of the saved model reproduces', async () => {
  const out = join(root, 'run');
  const r = await runXlm(['train', '--model', model, '--train', join(root, 'train.jsonl'), '--eval', join(root, 'eval.jsonl'), '--out', out, '--max-steps', '20', ...common]);
  assert.equal(r.code, 0, r.stderr);
  const evals = readMetrics(out).filter((l) => l.eval);
  // 20 steps / 10 evaluations: every 2 steps, the last one at the end of the run.
  assert.deepEqual(evals.map((l) => l.step), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  for (const l of evals) {
    for (const key of ['exact_match', 'f1', 'exact_match/en', 'f1/en', 'exact_match/de', 'f1/de', 'loss']) assert.equal(typeof l.eval![key], 'number', `step ${l.step} has ${key}`);
    // Fractions, as accuracy and F1 of the other tasks are.
    assert.ok(l.eval!.f1 >= 0 && l.eval!.f1 <= 1 && l.eval!.exact_match <= l.eval!.f1 + 1e-12, JSON.stringify(l.eval));
  }
  // The dashboard draws exact match and F1 as eval curves on a [0, 1] axis, as it draws accuracy.
  const keys = evalChartKeys([{ records: parseMetrics(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).records }]);
  assert.deepEqual(keys, ['loss', 'exact_match', 'f1']);
  assert.deepEqual(keys.filter(isRatioMetric), ['exact_match', 'f1']);
  assert.deepEqual(keys.map(evalChartTitle), ['Evaluation: loss', 'Evaluation: exact match (EM)', 'Evaluation: F1']);
  // The final model is the last step's weights: scored on its own by xlm eval, it gets the same figures.
  const scored = await runXlm(['eval', '--model', out, '--data', join(root, 'eval.jsonl'), '--task', 'qa', ...windows, '--json', '--out', join(root, 'eval-out.json')]);
  assert.equal(scored.code, 0, scored.stderr);
  const report = JSON.parse(scored.stdout) as { exact_match: number; f1: number; per_language: Record<string, { exact_match: number; f1: number }> };
  const last = evals.at(-1)!.eval!;
  assert.ok(last.f1 > 0, `the run answers something right (F1 ${last.f1}), so the comparison is not 0 = 0`);
  assert.ok(Math.abs(last.f1 - report.f1 / 100) < 1e-9, `training F1 ${last.f1}, xlm eval ${report.f1}`);
  assert.ok(Math.abs(last.exact_match - report.exact_match / 100) < 1e-9, `training EM ${last.exact_match}, xlm eval ${report.exact_match}`);
  for (const lang of ['en', 'de']) assert.ok(Math.abs(last[`f1/${lang}`]! - report.per_language[lang]!.f1 / 100) < 1e-9, lang);
  // The verdict compares F1 with answering every question by the first sentence of its context.
  const verdict = JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8')) as { learned: boolean; evalF1: number; baselineF1: number; baselineName: string };
  assert.equal(verdict.evalF1, last.f1);
  assert.equal(verdict.baselineName, 'the first sentence of the context');
  assert.ok(verdict.baselineF1 > 0 && verdict.baselineF1 < 1);
  assert.match(r.stderr, verdict.learned ? /the run learned/ : /the run did not learn: its F1 on the eval questions is [\d.]+, no better than always answering the first sentence/);
});

test('without an eval file, --eval-fraction holds questions out and --metric-for-best em keeps the best exact match', async () => {
  const out = join(root, 'held-out');
  const r = await runXlm(['train', '--model', model, '--train', join(root, 'train.jsonl'), '--eval-fraction', '0.25', '--out', out, '--max-steps', '10', ...common]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /holding out 40 of 160 questions for evaluation \(25%\)/);
  assert.deepEqual(readMetrics(out).filter((l) => l.eval).map((l) => l.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const best = join(root, 'best');
  const b = await runXlm(['train', '--model', model, '--train', join(root, 'train.jsonl'), '--eval', join(root, 'eval.jsonl'), '--out', best, '--max-steps', '6', '--eval-every', '3', '--metric-for-best', 'em', ...common]);
  assert.equal(b.code, 0, b.stderr);
  const state = JSON.parse(readFileSync(join(best, 'trainer_state.json'), 'utf8')) as { best_metric: number; best_global_step: number };
  const evals = readMetrics(best).filter((l) => l.eval);
  assert.deepEqual(evals.map((l) => l.step), [3, 6]);
  const top = Math.max(...evals.map((l) => l.eval!.exact_match!));
  assert.equal(state.best_metric, top);
  assert.equal(evals.find((l) => l.eval!.exact_match === top)!.step, state.best_global_step);
});
