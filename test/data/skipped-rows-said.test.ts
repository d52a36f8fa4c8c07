// With --on-error skip, xlm train and xlm data audit say which bad rows they left out, as xlm eval does (they
// dropped them without a word).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runXlm } from '../helpers/cli.js';
import { tempFolder } from './temp-files.js';

const files = tempFolder('skipped-rows-said');
const MODEL = join(__dirname, '..', '..', 'models', 'default');

function withBadRows(): string {
  const rows = readFileSync(join(__dirname, '..', '..', 'examples', 'langid', 'train.jsonl'), 'utf8').trim().split('\n');
  const picked = ['rus', 'arb', 'jpn', 'ell'].flatMap((lang) => rows.filter((l) => l.includes(`"label":"${lang}"`)).slice(0, 12));
  picked.splice(3, 0, '{"text": "broken", "label": }');
  picked.splice(10, 0, '{"text": "no label here"}');
  return files.write('with-bad-rows.jsonl', picked.join('\n') + '\n');
}

test('xlm train and xlm data audit name how many bad rows --on-error skip left out, and the first', async () => {
  const file = withBadRows();
  const train = await runXlm(['train', '--model', MODEL, '--task', 'sequence-classification', '--train', file, '--out', join(files.dir, 'run'), '--threads', '1', '--max-steps', '1', '--on-error', 'skip']);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stderr, /xlm train: 2 bad rows of .*with-bad-rows\.jsonl were left out \(--on-error 'skip'\); the first, .*with-bad-rows\.jsonl:4:\d+: /);
  const audit = await runXlm(['data', 'audit', '--model', MODEL, file, '--folds', '3', '--out', join(files.dir, 'audit'), '--threads', '1', '--on-error', 'skip']);
  assert.equal(audit.code, 0, audit.stderr);
  assert.match(audit.stderr, /xlm data audit: 2 bad rows of .*with-bad-rows\.jsonl were left out \(--on-error 'skip'\); the first, .*:4:\d+: /);
  const clean = await runXlm(['train', '--model', MODEL, '--task', 'sequence-classification', '--train', join(__dirname, '..', '..', 'examples', 'langid', 'test.jsonl'), '--out', join(files.dir, 'run-clean'), '--threads', '1', '--max-steps', '1', '--on-error', 'skip']);
  assert.equal(clean.code, 0, clean.stderr);
  assert.doesNotMatch(clean.stderr, /left out/, 'nothing said when nothing was skipped');
});
