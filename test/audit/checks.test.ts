// The audit's model-free checks on small files whose answers can be read off the rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conflictingDuplicates, languageOutliers, lengthOutliers, normaliseText } from '../../src/engine/audit/checks.js';
import { loadDataset } from '../../src/engine/data/index.js';
import { tempFolder } from '../data/temp-files.js';

const files = tempFolder('audit-checks');
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

test('normalised text ignores case, punctuation, symbols and spacing, not letters', () => {
  assert.equal(normaliseText('  Hello,   WORLD!! '), 'hello world');
  assert.equal(normaliseText('Ｈｅｌｌｏ — world'), 'hello world');
  assert.notEqual(normaliseText('resume'), normaliseText('résumé'));
});

test('conflicting duplicates: exact and near groups, the majority suggested, agreeing groups left alone', async () => {
  const path = files.write('dups.jsonl', jsonl([
    { text: 'Good film.', label: 'pos' }, // 1
    { text: 'Bad film.', label: 'neg' }, // 2
    { text: 'good film', label: 'pos' }, // 3: near duplicate of 1, agrees
    { text: 'GOOD  film!', label: 'neg' }, // 4: near duplicate of 1 and 3, disagrees
    { text: 'Bad film.', label: 'pos' }, // 5: exact duplicate of 2, a 1:1 tie
    { text: 'Fine.', label: 'pos' }, // 6
    { text: 'Fine.', label: 'pos' }, // 7: agreeing exact duplicate
  ]));
  const data = await loadDataset(path);
  const neg = data.labels.indexOf('neg');
  // The tie between lines 2 and 5 goes to the label the preference favours.
  const groups = conflictingDuplicates(data, (_rows, label) => (label === neg ? 1 : 0));
  assert.deepEqual(groups.map((g) => ({ lines: g.rows.map((i) => data.line(i)), kind: g.kind, majority: data.labels[g.majority] })), [
    { lines: [1, 3, 4], kind: 'near', majority: 'pos' },
    { lines: [2, 5], kind: 'exact', majority: 'neg' },
  ]);
});

test("language outliers: a row that reads unlike its language value's others, with the value whose rows read like it", async () => {
  const rows = [
    ...['a', 'b', 'c', 'd'].map((x) => ({ text: `English ${x}`, label: 'x', lang: 'en' })),
    ...['a', 'b', 'c'].map((x) => ({ text: `Deutsch ${x}`, label: 'x', lang: 'de' })),
  ];
  const path = files.write('langs.jsonl', jsonl(rows));
  const data = await loadDataset(path);
  // What an identifier says of each row: row 2 (an 'en' row) reads as German, row 5 as German at low confidence.
  const detected = ['eng', 'eng', 'deu', 'eng', 'deu', 'deu', 'deu'].map((label, i) => ({ label, score: i === 2 ? 0.9 : 0.95 }));
  assert.deepEqual(languageOutliers(data, detected), [{ row: 2, detected: 'deu', expected: 'eng', confidence: 0.9, suggested: 'de' }]);
  detected[2].score = 0.4;
  assert.deepEqual(languageOutliers(data, detected), [], 'below the confidence it takes, nothing');
});

test("length outliers: five times the median of the row's label and over 200 characters", async () => {
  const rows = [...Array.from({ length: 9 }, (_, i) => ({ text: `row ${i} `.repeat(6), label: 'a' })), { text: 'x'.repeat(300), label: 'a' }, { text: 'y'.repeat(150), label: 'b' }, { text: 'z'.repeat(900), label: 'b' }];
  const data = await loadDataset(files.write('long.jsonl', jsonl(rows)));
  // Line 10 against label a's rows (median 36); line 12 against label b's (the lower median of two, 150); line 11,
  // 150 characters, is short of 200 and of five times any median.
  assert.deepEqual(lengthOutliers(data), [{ row: 9, length: 300, median: 36 }, { row: 11, length: 900, median: 150 }]);
});
