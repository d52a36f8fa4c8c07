import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countRows, isHeldOut, orderDataFiles } from '../../src/commands/dataFileOrder.js';

test('the data pickers list training files before test, dev and validation files, each group by path', () => {
  const files = ['examples/pairs/test.jsonl', 'examples/langid/test.jsonl', 'examples/pairs/dev.jsonl', 'examples/pairs/train.jsonl', 'examples/langid/train.jsonl', 'data/valid/x.csv', 'sentiment.jsonl', 'xnli_eval.tsv', 'contest.jsonl'];
  assert.deepEqual(orderDataFiles(files), [
    'contest.jsonl', 'examples/langid/train.jsonl', 'examples/pairs/train.jsonl', 'sentiment.jsonl',
    'data/valid/x.csv', 'examples/langid/test.jsonl', 'examples/pairs/dev.jsonl', 'examples/pairs/test.jsonl', 'xnli_eval.tsv',
  ]);
  assert.equal(isHeldOut('C:\\data\\test\\a.jsonl'), true);
  assert.equal(isHeldOut('attestation.jsonl'), false);
});

test('row counts: JSON Lines count non-empty lines, CSV and TSV leave out the header, other formats are not counted', () => {
  assert.equal(countRows('a.jsonl', '{"text":"a"}\n{"text":"b"}\n\n'), 2);
  assert.equal(countRows('a.CSV', 'text,label\nx,1\r\ny,0\r\n'), 2);
  assert.equal(countRows('a.tsv', 'text\tlabel\n'), 0);
  assert.equal(countRows('squad.json', '{"data": []}'), undefined);
  assert.equal(countRows('mlm/train.txt', 'One sentence.\nAnother one.\n\n'), 2, 'plain text: one row per non-empty line');
});
