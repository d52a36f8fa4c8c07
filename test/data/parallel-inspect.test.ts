// `xlm data inspect` on parallel text: pairs, languages, lengths per side, pairs whose length ratio is far from their
// language pair's median, repeated pairs and untranslated copies; bad rows listed at file:line, never fatal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectParallel } from '../../src/engine/data/parallel-inspect.js';
import { runXlm } from '../helpers/cli.js';
import { tempFolder } from './temp-files.js';

const files = tempFolder('parallel-inspect');

const rows = [
  ['en', 'de', 'The house is red.', 'Das Haus ist rot.'],
  ['en', 'de', 'I like tea.', 'Ich mag Tee.'],
  ['en', 'de', 'Where is the station?', 'Wo ist der Bahnhof?'],
  ['en', 'de', 'Thank you.', 'Danke.'],
  ['en', 'de', 'Good night.', 'Gute Nacht. Und dann kam noch ein ganzer Absatz, der nicht zur Quelle gehört und sie weit überragt.'],
  ['en', 'de', 'I like tea.', 'Ich mag Tee.'],
  ['en', 'de', 'OK', 'OK'],
  ['en', 'zh', 'The house is red.', '房子是红色的。'],
  ['en', 'zh', 'I like tea.', '我喜欢茶。'],
  ['en', 'zh', 'Where is the station?', '车站在哪里？'],
];
const jsonl = rows.map(([s, t, a, b]) => JSON.stringify({ source: a, target: b, source_lang: s, target_lang: t })).join('\n') + '\n{"source": "x", "target": " "}\n';

test('the summary counts pairs per language pair and finds ratio outliers against each pair\'s own median', async () => {
  const path = files.write('mixed.jsonl', jsonl);
  const s = await inspectParallel({ file: path });
  assert.equal(s.pairs, 10);
  assert.deepEqual(s.languages.byPair, { 'en-de': 7, 'en-zh': 3 });
  assert.equal(s.languages.from, 'records');
  // Chinese is about 1/3 of English in characters: normal for en-zh, so only the German paragraph stands out.
  assert.equal(s.ratio.outliers, 1);
  assert.deepEqual(s.ratio.examples.map((o) => o.line), [5]);
  assert.ok(s.ratio.medians['en-zh'] < 0.5 && s.ratio.medians['en-de'] > 0.9);
  assert.equal(s.duplicates, 1);
  assert.equal(s.copies, 1);
  assert.deepEqual(s.length.source.words, { min: 1, mean: 30 / 10, p50: 3, p95: 4, max: 4 });
  assert.deepEqual(s.errors.map((e) => [e.line, e.code]), [[11, 'empty-text']]);
});

test('xlm data inspect prints the parallel summary for a JSONL, two files and --format parallel', async () => {
  const path = files.write('inspect.jsonl', jsonl);
  const run = await runXlm(['data', 'inspect', path]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /parallel text, jsonl/);
  assert.match(run.stdout, /pairs: 10 good, 1 bad/);
  assert.match(run.stdout, /by pair: en-de 7, en-zh 3/);
  assert.match(run.stdout, /1 pair \(10\.0%\) over 3x or under 1\/3 of it\n {2}.*inspect\.jsonl:5: ratio/);
  assert.match(run.stdout, /inspect\.jsonl:11:\d+: "target" is empty/);

  const en = files.write('news.en', 'One.\nTwo.\nThree.\n');
  const fr = files.write('news.fr', 'Un.\nDeux.\n');
  const two = await runXlm(['data', 'inspect', '--source', en, '--target', fr, '--json']);
  const summary = JSON.parse(two.stdout);
  assert.deepEqual([summary.pairs, summary.languages.source, summary.languages.target, summary.errorCount], [2, 'en', 'fr', 1]);
  assert.match(summary.errors[0].reason, /news\.en has 3 lines and .*news\.fr has 2/);

  const tsv = files.write('plain.tsv', 'Hello\tHallo\nYes\tJa\n');
  const forced = await runXlm(['data', 'inspect', tsv, '--format', 'parallel', '--source-lang', 'en', '--target-lang', 'de', '--max-ratio', '2']);
  assert.match(forced.stdout, /languages: en → de \(from options\)/);
  assert.match(forced.stdout, /over 2x or under 1\/2/);
});

test('bad parallel flags are named', async () => {
  const en = files.write('only.en', 'a\n');
  assert.match((await runXlm(['data', 'inspect', '--source', en])).stderr, /--target is missing/);
  assert.match((await runXlm(['data', 'inspect', en, '--format', 'parallel', '--max-ratio', '1'])).stderr, /--max-ratio is "1"; expected a number over 1/);
  assert.match((await runXlm(['data', 'inspect', en, '--source-lang', 'english'])).stderr, /--source-lang: "english" is not a language code/);
});

test('a translation JSONL read as another kind of data says it is parallel text', async () => {
  const path = files.write('hf.jsonl', '{"translation": {"en": "a", "de": "b"}}\n');
  const run = await runXlm(['data', 'inspect', path, '--format', 'jsonl']);
  assert.match(run.stderr, /holds parallel text for translation \(\{"translation": \{\.\.\.\}\} rows\), not masked-lm data: translation training reads it, and data inspection summarises it when no --format is given/);
});
