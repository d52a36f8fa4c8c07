// Per-language scores of a language identifier's eval file (no language column, each row counted under its own
// label): a group holds one gold class, so it gets that label's F1 (precision over every row) beside its accuracy,
// not a macro F1 over the group's own gold and predicted labels (a user saw 0.40 for three Russian rows, one called
// Ukrainian, where Russian's own F1 over the file is 0.80).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEvalLineTable } from '../../src/engine/eval/report.js';
import { classificationScores, type ClassifiedRow } from '../../src/engine/eval/scores.js';

const rows: ClassifiedRow[] = [
  ...['rus', 'rus', 'ukr'].map((predicted) => ({ gold: 'rus', predicted, loss: 0.5, language: 'rus' })),
  ...['ukr', 'ukr', 'ukr'].map((predicted) => ({ gold: 'ukr', predicted, loss: 0.1, language: 'ukr' })),
];

test("grouped by label, a language's row gives its accuracy and its label's own F1 over the file", () => {
  const scores = classificationScores(rows, ['rus', 'ukr'], true);
  assert.deepEqual(Object.keys(scores.perLanguage.rus).sort(), ['accuracy', 'f1', 'loss']);
  assert.equal(scores.perLanguage.rus.accuracy, 2 / 3);
  assert.equal(scores.perLanguage.rus.f1, 0.8, 'precision 2/2, recall 2/3');
  assert.equal(scores.perLanguage.ukr.f1, 2 * (3 / 4) / (3 / 4 + 1), 'precision 3/4 (one Russian row called Ukrainian), recall 3/3');
  assert.equal(scores.metrics.macro_f1, (0.8 + 6 / 7) / 2, 'the pooled scores are as without grouping');
});

test('grouped by a language column, each language keeps its macro and micro F1 over its own rows', () => {
  const scores = classificationScores(rows, ['rus', 'ukr']);
  assert.deepEqual(Object.keys(scores.perLanguage.rus).sort(), ['accuracy', 'loss', 'macro_f1', 'micro_f1']);
});

test("the eval line's table shows a label-grouped file's own-label F1 per language", () => {
  const scores = classificationScores(rows, ['rus', 'ukr'], true);
  const flat: Record<string, number> = { ...scores.metrics };
  for (const [lang, m] of Object.entries(scores.perLanguage)) for (const [name, v] of Object.entries(m)) flat[`${name}/${lang}`] = v;
  const table = formatEvalLineTable(flat)!;
  assert.match(table, /^f1 +80\.0 +85\.7 +82\.9 +-$/m, table);
  assert.match(table, /^accuracy +66\.7 +100\.0 +83\.3 +83\.3$/m, table);
});
