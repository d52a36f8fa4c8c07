import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  const r = await xlm(['data', 'inspect', file, '--json', '--max-length', '5']);
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
  assert.equal(s.length.unit, 'words', 'whitespace words without a tokenizer');
  assert.equal(s.length.max, 8);
  assert.equal(s.length.min, 3);
  assert.equal(s.length.overMaxLength, 3, 'rows over 5 words');
  assert.equal(s.duplicates.rows, 2);
  assert.equal(s.duplicates.conflictingGroups, 1);
  assert.deepEqual(s.duplicates.conflicts[0].lines, [2, 6]);
  assert.deepEqual(s.duplicates.conflicts[0].labels, ['opinion', 'geo']);
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
