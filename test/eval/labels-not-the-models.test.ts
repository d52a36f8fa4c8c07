// A file whose labels are none of the model's (the wrong model for the file) is said to be that, not "fix these rows";
// with --on-error skip, the empty evaluation says why no row is left, naming the file once.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runXlm } from '../helpers/cli.js';

const PAIRS = join(__dirname, '..', '..', 'examples', 'pairs', 'test.jsonl');

test('xlm eval of a file labelled for another task: the advice names the model, and skip says why nothing is left', async () => {
  const stop = await runXlm(['eval', '--model', 'tiny-cls', '--data', PAIRS, '--threads', '1']);
  assert.equal(stop.code, 1);
  assert.match(stop.stderr, /label 'translation' is not one of: negative, neutral, positive/);
  assert.match(stop.stderr, /Each of these rows has a label the model does not have: is this the model trained for this file\?/);
  assert.doesNotMatch(stop.stderr, /Fix these rows/);
  const skip = await runXlm(['eval', '--model', 'tiny-cls', '--data', PAIRS, '--threads', '1', '--on-error', 'skip']);
  assert.equal(skip.code, 1);
  const line = skip.stderr.trim().split('\n').at(-1)!;
  // The place names the file once; the line says line and column.
  assert.match(line, /^xlm: [^:]*test\.jsonl: no row to evaluate: 400 bad rows were left out \(--on-error 'skip'\); the first, line 1, column \d+: label '(not_)?translation' is not one of: negative, neutral, positive$/);
  assert.equal(line.split('test.jsonl').length - 1, 1, line);
});

test('an eval file with a label the training file lacks is told to fix its rows: no model chose those labels', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'xlm-labels-'));
  writeFileSync(join(dir, 'train.jsonl'), ['a', 'b', 'c', 'd'].map((t, i) => JSON.stringify({ text: t, label: i % 2 ? 'x' : 'y' })).join('\n') + '\n');
  writeFileSync(join(dir, 'eval.jsonl'), JSON.stringify({ text: 'e', label: 'z' }) + '\n');
  const r = await runXlm(['train', '--model', join(__dirname, '..', '..', 'models', 'default'), '--task', 'sequence-classification', '--train', join(dir, 'train.jsonl'), '--eval', join(dir, 'eval.jsonl'), '--out', join(dir, 'run'), '--threads', '1']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /label 'z' is not one of: x, y/);
  assert.match(r.stderr, /Fix these rows, or pass --on-error 'skip'/);
  assert.doesNotMatch(r.stderr, /is this the model trained for this file/);
});
