// How the audit deals rows into folds: every class in every fold, and duplicates (equal once normalised) together.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldsOf } from '../../src/engine/audit/probabilities.js';
import { loadDataset } from '../../src/engine/data/index.js';
import { tempFolder } from '../data/temp-files.js';

const files = tempFolder('audit-folds');

test('folds are stratified by label, cover every row once, and keep duplicates together', async () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ text: `row number ${i}`, label: ['a', 'b', 'c'][i % 3] }));
  rows.push({ text: 'Row number 4!', label: 'a' }, { text: 'ROW NUMBER 4', label: 'c' }); // lines 31, 32 duplicate line 5
  const data = await loadDataset(files.write('rows.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n'));
  const folds = foldsOf(data, 'seq-cls', 3, 7);
  assert.deepEqual(folds.flat().sort((a, b) => a - b), Array.from({ length: 32 }, (_, i) => i));
  for (const fold of folds) assert.deepEqual([...new Set(fold.map((i) => data.labels[data.labelId(i)]))].sort(), ['a', 'b', 'c']);
  const withDuplicates = folds.find((f) => f.includes(4))!;
  assert.ok(withDuplicates.includes(30) && withDuplicates.includes(31), 'lines 5, 31 and 32 in one fold');
  assert.deepEqual(foldsOf(data, 'seq-cls', 3, 7), folds, 'the same seed deals the same folds');
  assert.throws(() => foldsOf(data, 'seq-cls', 1, 7), /^folds must be a whole number of at least 2, got 1$/);
});
