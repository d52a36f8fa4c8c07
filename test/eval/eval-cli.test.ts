import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runXlm } from '../helpers/cli.js';

const LABELS = ['entailment', 'neutral', 'contradiction'];
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-eval-cli-'));
  writeTinyXlmr(join(root, 'model'), { head: 'seq-cls', labels: LABELS, seed: 5 });
  // XNLI's own TSV layout: language, gold_label, sentence1, sentence2 among other columns.
  const header = ['language', 'gold_label', 'sentence1_binary_parse', 'sentence1', 'sentence2', 'promptID'];
  const rows = [
    ['en', 'entailment', '-', 'The capital of France is Paris.', 'Paris is in France.', '1'],
    ['en', 'contradiction', '-', 'Berlin is the capital of Germany!', 'Berlin is in France.', '2'],
    ['fr', 'neutral', '-', 'Le café est à Paris.', 'Le café est grand.', '1'],
    ['fr', 'entailment', '-', 'Le café est très naïve à Paris.', 'Le café est à Paris.', '2'],
    ['de', 'contradiction', '-', 'Die Hauptstadt ist Berlin.', 'Die Hauptstadt ist Madrid.', '1'],
    ['de', 'neutral', '-', 'Berlin, über alles.', 'Berlin ist groß.', '2'],
  ];
  writeFileSync(join(root, 'xnli.test.tsv'), [header, ...rows].map((r) => r.join('\t')).join('\n') + '\n');
});

after(() => rmSync(root, { recursive: true, force: true }));

const xlm = (argv: string[]) => runXlm(argv);

test('xlm eval prints overall, XNLI-style per-language and per-class tables and writes eval.json', async () => {
  const out = join(root, 'report');
  const r = await xlm(['eval', '--model', join(root, 'model'), '--data', join(root, 'xnli.test.tsv'), '--task', 'nli', '--out', out, '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const written = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
  assert.equal(written.task, 'pair-classification');
  assert.equal(written.examples, 6);
  assert.deepEqual(written.languages, ['en', 'fr', 'de'], 'XNLI order');
  assert.deepEqual(Object.keys(written.perLanguage).sort(), ['de', 'en', 'fr']);
  for (const key of ['accuracy', 'macro_f1', 'micro_f1', 'loss']) assert.equal(typeof written.metrics[key], 'number', key);
  assert.equal(written.predictions, undefined, 'predictions stay out of eval.json');
  assert.deepEqual(written.confusion.labels, LABELS);
  assert.equal(written.confusion.matrix.flat().reduce((a: number, b: number) => a + b, 0), 6);

  const lines = r.stdout.split('\n');
  const header = lines.find((l) => l.startsWith('metric'))!;
  assert.deepEqual(header.split(/\s+/), ['metric', 'en', 'fr', 'de', 'avg', 'all']);
  const accuracyRow = lines[lines.indexOf(header) + 1].split(/\s+/);
  assert.equal(accuracyRow[0], 'accuracy');
  const perLanguage = ['en', 'fr', 'de'].map((l) => written.perLanguage[l].accuracy * 100);
  assert.deepEqual(accuracyRow.slice(1, 4), perLanguage.map((v) => v.toFixed(1)));
  assert.equal(accuracyRow[4], (perLanguage.reduce((a, b) => a + b, 0) / 3).toFixed(1), 'avg is the mean over languages');
  assert.equal(accuracyRow[5], (written.metrics.accuracy * 100).toFixed(1), 'all is pooled over rows');
  assert.ok(lines.some((l) => /^\s+entailment\s+\d/.test(l)), 'per-class rows');
  assert.match(r.stdout, /confusion matrix/);
  assert.match(r.stdout, /macro_f1: "all" averages over the model's 3 labels .*; each language over its own gold and predicted labels/, 'the report says which labels each macro F1 is over');
  assert.match(r.stdout, new RegExp(`wrote ${join(out, 'eval.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

  const json = await xlm(['eval', '--model', join(root, 'model'), '--data', join(root, 'xnli.test.tsv'), '--json', '--threads', '1']);
  assert.equal(json.code, 0, json.stderr);
  const printed = JSON.parse(json.stdout);
  assert.deepEqual(printed.metrics, written.metrics, 'the task is detected as nli from the pair columns');
  assert.ok(existsSync(join(root, 'model', 'eval.json')), 'eval.json goes next to the model without --out');
});

test('xlm eval: bad rows stop with file:line, --on-error skip keeps the good rows, --only-language filters', async () => {
  const data = join(root, 'mixed.jsonl');
  writeFileSync(data, [
    JSON.stringify({ lang: 'en', premise: 'Paris.', hypothesis: 'Paris.', label: 'entailment' }),
    '{"lang": "en", "premise": "Paris.", ',
    JSON.stringify({ lang: 'fr', premise: 'Paris.', hypothesis: 'Berlin.', label: 'contradiction' }),
    JSON.stringify({ lang: 'fr', premise: 'Paris.', hypothesis: 'Berlin.', label: 'unsure' }),
  ].join('\n') + '\n');
  const stop = await xlm(['eval', '--model', join(root, 'model'), '--data', data, '--out', join(root, 'o1')]);
  assert.equal(stop.code, 1);
  assert.match(stop.stderr, /mixed\.jsonl:2:\d+: /);
  assert.match(stop.stderr, /mixed\.jsonl:4:\d+: label 'unsure' is not one of: entailment, neutral, contradiction/);

  const skip = await xlm(['eval', '--model', join(root, 'model'), '--data', data, '--on-error', 'skip', '--json', '--out', join(root, 'o2')]);
  assert.equal(skip.code, 0, skip.stderr);
  const result = JSON.parse(skip.stdout);
  assert.equal(result.examples, 2);
  assert.equal(result.skipped.errorCount, 2);
  assert.deepEqual(result.skipped.errors.map((e: { line: number }) => e.line), [2, 4]);

  const only = await xlm(['eval', '--model', join(root, 'model'), '--data', data, '--on-error', 'skip', '--only-language', 'fr', '--json', '--out', join(root, 'o3')]);
  assert.equal(only.code, 0, only.stderr);
  assert.deepEqual(Object.keys(JSON.parse(only.stdout).perLanguage), ['fr']);

  const badTask = await xlm(['eval', '--model', join(root, 'model'), '--data', data, '--task', 'ner']);
  assert.equal(badTask.code, 1);
  assert.match(badTask.stderr, /--task is "ner"; expected one of seq-cls, nli, token-cls, mlm, qa$/m);
});

test('xlm eval refuses a --predictions or --out it cannot write before evaluating: the earlier eval.json stays, no partial file is left', async () => {
  const model = join(root, 'kept');
  writeTinyXlmr(model, { head: 'seq-cls', labels: LABELS, seed: 5 });
  writeFileSync(join(model, 'eval.json'), '{"earlier": true}\n');
  const folder = join(root, 'a folder');
  mkdirSync(folder);
  const r = await xlm(['eval', '--model', model, '--data', join(root, 'xnli.test.tsv'), '--task', 'nli', '--predictions', folder, '--threads', '1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: this is a folder, where --predictions would write a file; give a file name`));
  assert.doesNotMatch(r.stderr, /tmp-\d+/, 'the path named is the one given, not a temporary');
  assert.equal(readFileSync(join(model, 'eval.json'), 'utf8'), '{"earlier": true}\n', 'the earlier eval.json is kept');
  assert.deepEqual(readdirSync(root).filter((n) => n.includes('.tmp-')), [], 'no temporary file left');
  const underFile = await xlm(['eval', '--model', model, '--data', join(root, 'xnli.test.tsv'), '--task', 'nli', '--out', join(root, 'xnli.test.tsv', 'eval.json'), '--threads', '1']);
  assert.equal(underFile.code, 1);
  assert.match(underFile.stderr, /--out: .*xnli\.test\.tsv is a file, not a folder/);
  assert.doesNotMatch(underFile.stdout, /accuracy/, 'nothing was evaluated');
});
