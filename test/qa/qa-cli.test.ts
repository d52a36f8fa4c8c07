import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runXlm } from '../helpers/cli.js';
import { generateQa, writeQaJsonl } from '../helpers/qa-data.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let root: string;
let trained: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'xlm-qa-cli-'));
  const model = join(root, 'model');
  writeTinyXlmr(model, { head: 'mlm', hiddenSize: 64, numLayers: 2, intermediateSize: 128, maxPositionEmbeddings: 130 });
  writeQaJsonl(join(root, 'train.jsonl'), generateQa(300, 'en', 1));
  writeQaJsonl(join(root, 'eval.jsonl'), [...generateQa(30, 'en', 2), ...generateQa(30, 'de', 3)]);
  trained = join(root, 'trained');
  const r = await runXlm(['train', '--model', model, '--task', 'qa', '--train', join(root, 'train.jsonl'), '--out', trained, '--max-steps', '150', '--lr', '3e-3',
    '--warmup-ratio', '0.1', '--max-length', '64', '--stride', '16', '--dropout', '0', '--log-every', '50']);
  assert.equal(r.code, 0, r.stderr);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('xlm eval --task qa: SQuAD and per-language scores, eval.json and a SQuAD predictions file that xlm score qa scores the same', async () => {
  const pred = join(root, 'pred.json');
  const r = await runXlm(['eval', '--model', trained, '--data', join(root, 'eval.jsonl'), '--predictions', pred, '--max-length', '64', '--stride', '16', '--out', join(root, 'eval-out.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /60 questions/);
  assert.match(r.stdout, /SQuAD v1\.1 normalisation: exact_match [\d.]+ {2}f1 [\d.]+/);
  assert.match(r.stdout, /MLQA's rules for en, de/);
  assert.match(r.stdout, /metric\s+en\s+de\s+avg\s+all/);
  const predictions = JSON.parse(readFileSync(pred, 'utf8')) as Record<string, string>;
  assert.equal(Object.keys(predictions).length, 60);
  assert.ok(Object.values(predictions).every((t) => typeof t === 'string'));
  const report = JSON.parse(readFileSync(join(root, 'eval-out.json'), 'utf8'));
  assert.ok(report.per_language.en.f1 > 50, `the trained model answers English questions (F1 ${report.per_language.en.f1})`);
  const scored = await runXlm(['score', 'qa', '--dataset', join(root, 'eval.jsonl'), '--predictions', pred, '--json']);
  assert.equal(scored.code, 0, scored.stderr);
  const s = JSON.parse(scored.stdout);
  assert.equal(s.f1, report.f1);
  assert.equal(s.exact_match, report.exact_match);
  assert.deepEqual(s.squad, report.squad);
});

test('xlm score qa: hand-computed exact match and F1 on a SQuAD v1.1 file; --language picks the rules', async () => {
  const data = join(root, 'small.json');
  writeFileSync(data, JSON.stringify({ version: '1.1', data: [{ title: 'x', paragraphs: [
    { context: 'Die Hauptstadt ist Berlin. Der Fluss heißt Spree.', qas: [
      { id: 'a', question: 'Welche Stadt?', answers: [{ text: 'Berlin', answer_start: 19 }] },
      { id: 'b', question: 'Welcher Fluss?', answers: [{ text: 'Der Fluss heißt Spree', answer_start: 27 }] },
      { id: 'c', question: 'Was?', answers: [{ text: 'Spree', answer_start: 43 }] },
    ] },
  ] }] }));
  const pred = join(root, 'small-pred.json');
  writeFileSync(pred, JSON.stringify({ a: 'die Hauptstadt Berlin', b: 'Fluss heißt Spree.' }));
  // SQuAD rules: a: [die, hauptstadt, berlin] vs [berlin]: F1 0.5; b: [fluss, heißt, spree] vs [der, fluss, heißt, spree]:
  // P 1, R 3/4, F1 6/7; c unanswered: 0. EM 0 everywhere.
  const squad = JSON.parse((await runXlm(['score', 'qa', '--dataset', data, '--predictions', pred, '--json'])).stdout);
  assert.equal(squad.unanswered, 1);
  assert.ok(Math.abs(squad.squad.f1 - (100 * (0.5 + 6 / 7)) / 3) < 1e-9);
  assert.equal(squad.squad.exact_match, 0);
  // German rules (MLQA): die and der are articles: a: [hauptstadt, berlin]: F1 2/3; b: exact match.
  const de = JSON.parse((await runXlm(['score', 'qa', '--dataset', data, '--predictions', pred, '--language', 'de', '--json'])).stdout);
  assert.ok(Math.abs(de.f1 - (100 * (2 / 3 + 1)) / 3) < 1e-9);
  assert.ok(Math.abs(de.exact_match - 100 / 3) < 1e-9);
  assert.deepEqual(Object.keys(de.per_language), ['de']);
  // Predictions for questions the dataset does not have are said, not silently dropped.
  const typo = join(root, 'typo-pred.json');
  writeFileSync(typo, JSON.stringify({ a: 'Berlin', A: 'Berlin', zz: 'x' }));
  const warned = await runXlm(['score', 'qa', '--dataset', data, '--predictions', typo]);
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, /xlm score qa: 2 of 3 predictions name questions .* does not have \(A, zz\); they were not scored/);
  const clean = await runXlm(['score', 'qa', '--dataset', data, '--predictions', pred]);
  assert.equal(clean.stderr, '');
  const bad = await runXlm(['score', 'qa', '--dataset', data, '--predictions', data]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /expected a string|expected \{"question id"/);
});

test('xlm qa: the answer with its score and its span, in UTF-16 units or code points past characters outside the BMP', async () => {
  const context = 'I love 😀 Rome. 𠀀 The cat is in the house. Madrid is the capital of Japan. The dog is big.';
  const r = await runXlm(['qa', '--model', trained, '--question', 'What is the capital of Japan?', '--context', context, '--top-k', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { answers } = JSON.parse(r.stdout) as { answers: { answer: string; score: number; start: number; end: number }[] };
  assert.equal(answers.length, 3);
  for (const a of answers) assert.equal(context.slice(a.start, a.end), a.answer);
  assert.ok(answers[0].score >= answers[1].score && answers[1].score >= answers[2].score);
  assert.equal(answers[0].answer, 'Madrid');
  const cp = JSON.parse((await runXlm(['qa', '--model', trained, '-q', 'What is the capital of Japan?', '--context', context, '--offsets', 'code-points', '--json'])).stdout);
  assert.equal([...context].slice(cp.answers[0].start, cp.answers[0].end).join(''), 'Madrid');
  assert.equal(cp.answers[0].start, answers[0].start - 2);
  const file = join(root, 'context.txt');
  writeFileSync(file, context);
  const fromFile = await runXlm(['qa', '--model', trained, '-q', 'What is the capital of Japan?', '--context-file', file]);
  assert.match(fromFile.stdout, /%\s+\[\d+, \d+\)\s+Madrid/);
  const noHead = await runXlm(['qa', '--model', join(root, 'model'), '-q', 'Where?', '--context', 'Here.']);
  assert.equal(noHead.code, 1);
  assert.match(noHead.stderr, /has no question-answering head, which question answering needs: it is .*\. To fix: fine-tune a question-answering model from it first, or pick a model saved as XLMRobertaForQuestionAnswering/);
});
