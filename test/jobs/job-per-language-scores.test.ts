// The exported job scores a language identifier's eval file as the engine does: where each row's language is its own
// label (no language column), a language gets its label's own F1 over every row beside its accuracy, not a macro F1
// over its one gold class (src/engine/eval/scores.ts); settings.json says so (languages_are_labels).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { classificationScores } from '../../src/engine/eval/scores.js';

const JOB_FILES = join(__dirname, '..', '..', 'src', 'engine', 'jobs', 'files');
const rows = [
  ...['rus', 'rus', 'ukr'].map((predicted) => ({ gold: 'rus', predicted, loss: 0.5, language: 'rus' })),
  ...['ukr', 'ukr', 'ukr'].map((predicted) => ({ gold: 'ukr', predicted, loss: 0.1, language: 'ukr' })),
];

function jobScores(languagesAreLabels: boolean): Record<string, number> {
  const py = `import json, sys\nsys.path.insert(0, ${JSON.stringify(JOB_FILES)})\nimport train\nrows = [tuple(r) for r in json.loads(sys.argv[1])]\nprint(json.dumps(train.scores("seq-cls", rows, ["rus", "ukr"], ${languagesAreLabels ? 'True' : 'False'})[0]))`;
  const out = spawnSync('/usr/bin/python3', ['-c', py, JSON.stringify(rows.map((r) => [r.gold, r.predicted, r.loss, 1, r.language]))], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout) as Record<string, number>;
}

test("train.py's per-language scores match the engine's, with languages as labels and without", () => {
  for (const byLabel of [true, false]) {
    const ours = classificationScores(rows, ['rus', 'ukr'], byLabel);
    const flat: Record<string, number> = { ...ours.metrics };
    for (const [lang, m] of Object.entries(ours.perLanguage)) for (const [k, v] of Object.entries(m)) flat[`${k}/${lang}`] = v;
    const job = jobScores(byLabel);
    assert.deepEqual(Object.keys(job).sort(), Object.keys(flat).sort(), `keys, languages as labels: ${byLabel}`);
    for (const [k, v] of Object.entries(flat)) assert.ok(Math.abs(job[k]! - v) < 1e-9, `${k}: job ${job[k]}, engine ${v}`);
  }
  assert.equal(jobScores(true)['f1/rus'], 0.8);
});
