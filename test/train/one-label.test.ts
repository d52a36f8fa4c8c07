// A training file whose rows all carry one label is refused before any step: the classifier it would train answers
// that label whatever the text, and its loss of 0 read as "the run learned".
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runXlm } from '../helpers/cli.js';
import { tempFolder } from '../data/temp-files.js';

const files = tempFolder('one-label');
const MODEL = join(__dirname, '..', '..', 'models', 'default');

test('xlm train refuses a file with one label, and one with one tag, naming the file and the label', async () => {
  const rows = files.write('one.jsonl', ['a', 'b', 'c'].map((t) => JSON.stringify({ text: t, label: 'x' })).join('\n') + '\n');
  const out = join(files.dir, 'run');
  const r = await runXlm(['train', '--model', MODEL, '--task', 'sequence-classification', '--train', rows, '--out', out, '--threads', '1']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^xlm: .*one\.jsonl: every row read has the label 'x'; a classifier learns to tell labels apart, so it needs rows of at least two$/m);
  assert.ok(!existsSync(join(out, 'config.json')), 'no model saved');
  const conll = files.write('one.conll', 'Anna O\nlives O\n\nBerlin O\n');
  const tags = await runXlm(['train', '--model', MODEL, '--task', 'token-classification', '--train', conll, '--out', join(files.dir, 'run-ner'), '--threads', '1']);
  assert.notEqual(tags.code, 0);
  assert.match(tags.stderr, /one\.conll: every word read has the tag 'O'/);
  const two = files.write('two.jsonl', ['a', 'b', 'c', 'd'].map((t, i) => JSON.stringify({ text: t, label: i % 2 ? 'x' : 'y' })).join('\n') + '\n');
  const ok = await runXlm(['train', '--model', MODEL, '--task', 'sequence-classification', '--train', two, '--out', join(files.dir, 'run-two'), '--threads', '1', '--max-steps', '1']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.doesNotMatch(ok.stderr, /threads (spin|do not spin)/, 'one thread has no pool to spin, and nothing is said of it');
});

test('xlm train says how many rows truncation cut, as xlm eval does', async () => {
  const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
  const data = files.write('long.jsonl', [JSON.stringify({ text: long, label: 'x' }), JSON.stringify({ text: 'short', label: 'y' })].join('\n') + '\n');
  const r = await runXlm(['train', '--model', MODEL, '--task', 'sequence-classification', '--train', data, '--eval', data, '--out', join(files.dir, 'run-long'), '--threads', '1', '--max-steps', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /xlm train: 1 of 2 training rows were cut at 128 tokens \(the rest of each is not read; --max-length sets the limit/);
  assert.match(r.stderr, /xlm train: 1 of 2 evaluation rows were cut at 128 tokens/);
  const short = await runXlm(['train', '--model', MODEL, '--task', 'sequence-classification', '--train', data, '--out', join(files.dir, 'run-long-64'), '--threads', '1', '--max-steps', '1', '--max-length', '64']);
  assert.equal(short.code, 0, short.stderr);
  assert.match(short.stderr, /1 of 2 training rows were cut at 64 tokens/);
});

test('a missing training or eval file is said before the model is read or its memory estimated', async () => {
  for (const [train, evalFile] of [[join(files.dir, 'missing.jsonl'), undefined], [files.write('ok.jsonl', '{"text":"a","label":"x"}\n{"text":"b","label":"y"}\n'), join(files.dir, 'missing-eval.jsonl')]] as const) {
    const r = await runXlm(['train', '--model', MODEL, '--task', 'sequence-classification', '--train', train, ...(evalFile ? ['--eval', evalFile] : []), '--out', join(files.dir, `run-missing-${evalFile ? 'eval' : 'train'}`), '--threads', '1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^xlm: .*missing(-eval)?\.jsonl: no such file$/m);
    assert.doesNotMatch(r.stderr, /estimated peak memory/);
  }
});
