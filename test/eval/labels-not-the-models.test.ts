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
  assert.match(line, /^xlm: .*test\.jsonl: no row to evaluate: 400 bad rows of .*test\.jsonl were left out \(--on-error 'skip'\); the first, .*test\.jsonl:1:\d+: label '(not_)?translation' is not one of: negative, neutral, positive$/);
});
