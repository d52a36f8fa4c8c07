import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runXlm } from '../helpers/cli.js';

let root: string;
let file: string;

const rows = [
  JSON.stringify({ lang: 'en', text: 'The capital of France is Paris.', label: 'geo' }),
  JSON.stringify({ lang: 'en', text: 'I love Paris', label: 'opinion' }),
  '{"lang": "en", "text": "broken',
  JSON.stringify({ lang: 'de', text: 'Die Hauptstadt von Deutschland ist Berlin, über alles.', label: 'geo' }),
  JSON.stringify({ lang: 'de', text: '', label: 'geo' }),
  JSON.stringify({ lang: 'en', text: 'I love Paris', label: 'geo' }),
  JSON.stringify({ lang: 'en', text: 'The capital of France is Paris.', label: 'geo' }),
  JSON.stringify({ lang: 'fr', label: 'geo' }),
];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-inspect-cli-'));
  file = join(root, 'mixed.jsonl');
  writeFileSync(file, rows.join('\n') + '\n');
  writeTinyXlmr(join(root, 'model'), { head: 'mlm' });
});

after(() => rmSync(root, { recursive: true, force: true }));

const xlm = (argv: string[]) => runXlm(argv);

test('xlm data inspect --json: counts, labels, languages, word lengths, duplicates and the bad rows at file:line:column', async () => {
  const r = await xlm(['data', 'inspect', file, '--json', '--max-length', '5', '--tokenizer', 'words']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.format, 'jsonl');
  assert.equal(s.kind, 'sequence-classification');
  assert.equal(s.rows, 5);
  assert.equal(s.errorCount, 3);
  assert.deepEqual(s.errors.map((e: { line: number; column?: number; code: string }) => [e.line, e.code]), [[3, 'invalid-json'], [5, 'empty-text'], [8, 'missing-column']]);
  assert.ok(s.errors.every((e: { file: string }) => e.file === file));
  assert.deepEqual(s.errors.map((e: { column?: number }) => e.column), [24, 21, undefined], 'the opening quote of the unclosed string, the empty value; a missing column has no place');
  assert.deepEqual(s.labels, { geo: 4, opinion: 1 });
  assert.deepEqual(s.languages, { source: 'column', counts: { en: 4, de: 1 } });
  assert.equal(s.length.unit, 'words', 'whitespace words with --tokenizer words');
  assert.equal(s.length.max, 8);
  assert.equal(s.length.min, 3);
  assert.equal(s.length.overMaxLength, 3, 'rows over 5 words');
  assert.equal(s.duplicates.rows, 2);
  assert.equal(s.duplicates.conflictingGroups, 1);
  assert.deepEqual(s.duplicates.conflicts[0].lines, [2, 6]);
  assert.deepEqual(s.duplicates.conflicts[0].labels, ['opinion', 'geo']);
});

test("without --tokenizer, lengths are the shipped default model's tokens: a Japanese paragraph is one word but over 128 tokens", async () => {
  const root2 = join(root, 'ja');
  mkdirSync(root2, { recursive: true });
  const long = 'すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。'.repeat(6);
  const path = join(root2, 'ja.jsonl');
  writeFileSync(path, [JSON.stringify({ text: long, label: 'a' }), JSON.stringify({ text: '短い文です。', label: 'b' })].join('\n') + '\n');
  const r = await xlm(['data', 'inspect', path]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /length in tokens \(the default model, with <s> and <\/s>\)/);
  assert.match(r.stdout, /\n {2}1 row over 128 tokens \(training and eval with --max-length 128 cut them\)\n/);
  const words = await xlm(['data', 'inspect', path, '--tokenizer', 'words']);
  assert.match(words.stdout, /\n {2}0 rows over 128 words \(words, not tokens: --tokenizer DIR counts what training cuts\)\n/);
});

test('xlm data inspect --tokenizer counts the model tokenizer\'s tokens, <s> and </s> included; text output names the rows', async () => {
  const tokenizer = XlmTokenizer.fromFolder(join(root, 'model'));
  const lengths = [0, 1, 3].map((i) => tokenizer.encode((JSON.parse(rows[i]) as { text: string }).text).ids.length);
  const r = await xlm(['data', 'inspect', file, '--json', '--tokenizer', join(root, 'model')]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.length.unit, 'tokens');
  assert.equal(s.length.max, Math.max(...lengths));
  assert.equal(s.length.min, Math.min(...lengths));

  const text = await xlm(['data', 'inspect', file]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /rows: 5 good, 3 bad/);
  assert.match(text.stdout, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: invalid JSON`));
  assert.match(text.stdout, /conflict at lines 2, 6: opinion \/ geo/);

  const missing = await xlm(['data', 'inspect']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /data inspect needs a FILE/);
});
