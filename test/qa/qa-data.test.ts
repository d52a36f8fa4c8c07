import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codePointOffset, looksLikeQa, readQaFile, utf16Offset } from '../../src/engine/data/index.js';
import { runXlm } from '../helpers/cli.js';

let root: string;
before(() => { root = mkdtempSync(join(tmpdir(), 'xlm-qa-data-')); });
after(() => rmSync(root, { recursive: true, force: true }));

// An emoji (U+1F600) and a CJK Extension B character (U+20000) before the answer: two UTF-16 units each, one code point each.
const CONTEXT = 'Smile 😀 and 𠀀 then Paris is the capital.';
const PY_START = [...CONTEXT].indexOf('P'); // what Python's str.index gives

function squad(qas: unknown[], context = CONTEXT, version = 'v2.0'): string {
  return JSON.stringify({ version, data: [{ title: 'T', paragraphs: [{ context, qas }] }] }, null, 1);
}

test('code points and UTF-16 units convert both ways past characters outside the BMP', () => {
  assert.equal(PY_START, 19);
  const u = utf16Offset(CONTEXT, PY_START)!;
  assert.equal(u, 21);
  assert.equal(CONTEXT.slice(u, u + 5), 'Paris');
  assert.equal(codePointOffset(CONTEXT, u), PY_START);
  assert.equal(utf16Offset(CONTEXT, [...CONTEXT].length), CONTEXT.length);
  assert.equal(utf16Offset(CONTEXT, [...CONTEXT].length + 1), undefined);
});

test('SQuAD v2.0 JSON: answers come back with UTF-16 starts, unanswerable questions with none', async () => {
  const file = join(root, 'v2.json');
  writeFileSync(file, squad([
    { id: 'q1', question: 'Which is the capital?', answers: [{ text: 'Paris', answer_start: PY_START }], is_impossible: false },
    { id: 'q2', question: 'Who smiles?', answers: [], plausible_answers: [{ text: 'Smile', answer_start: 0 }], is_impossible: true },
  ]));
  const d = await readQaFile(file, { language: 'en' });
  assert.equal(d.format, 'squad-json');
  assert.equal(d.version, 'v2.0');
  assert.equal(d.examples.length, 2);
  const [a, b] = d.examples;
  assert.deepEqual(a.answers, [{ text: 'Paris', start: 21 }]);
  assert.equal(a.context.slice(a.answers[0].start, a.answers[0].start + 5), 'Paris');
  assert.equal(a.impossible, false);
  assert.equal(b.impossible, true);
  assert.deepEqual(b.answers, []);
  assert.equal(a.language, 'en');
});

test('SQuAD JSON: an answer_start that counts UTF-16 units instead of code points is an error naming file, line and id', async () => {
  const file = join(root, 'bad.json');
  writeFileSync(file, squad([
    { id: 'good-1', question: 'Which?', answers: [{ text: 'Paris', answer_start: PY_START }] },
    { id: 'shifted-7', question: 'Which?', answers: [{ text: 'Paris', answer_start: 21 }] },
  ], CONTEXT, 'v1.1'));
  const text = (await import('node:fs')).readFileSync(file, 'utf8');
  const line = text.split('\n').findIndex((l) => l.includes('"shifted-7"')) + 1;
  await assert.rejects(readQaFile(file), (e: Error) => {
    assert.match(e.message, new RegExp(`bad\\.json:${line}:\\d+: question "shifted-7": answers\\[0\\]: answer_start 21 does not hold its text "Paris"`));
    assert.match(e.message, /it is at 19/);
    return true;
  });
  const skipped = await readQaFile(file, { onError: 'skip' });
  assert.deepEqual(skipped.examples.map((e) => e.id), ['good-1']);
  assert.equal(skipped.errors[0].line, line);
});

test('Hugging Face JSON Lines: answers {text, answer_start}, the language field, bad rows at their line', async () => {
  const file = join(root, 'hf.jsonl');
  const rows = [
    { id: 'a', title: 'T', context: CONTEXT, question: 'Which?', answers: { text: ['Paris'], answer_start: [PY_START] }, lang: 'en' },
    { id: 'b', context: CONTEXT, question: 'None?', answers: { text: [], answer_start: [] } },
    { id: 'c', context: '𠀀𠀀中文北京', question: '哪里?', answers: { text: ['北京'], answer_start: [4] } },
    { id: 'd', context: CONTEXT, question: 'Which?', answers: { text: ['Paris'], answer_start: [3] } },
  ];
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const d = await readQaFile(file, { onError: 'skip' });
  assert.equal(d.format, 'qa-jsonl');
  assert.deepEqual(d.examples.map((e) => e.id), ['a', 'b', 'c']);
  assert.equal(d.examples[0].language, 'en');
  assert.equal(d.examples[1].impossible, true);
  const c = d.examples[2];
  assert.equal(c.answers[0].start, 6);
  assert.equal(c.context.slice(6, 8), '北京');
  assert.equal(c.language, 'zh');
  assert.equal(d.errorCount, 1);
  assert.equal(d.errors[0].line, 4);
  assert.match(d.errors[0].reason, /question "d": answer 0: answer_start 3 does not hold its text "Paris"/);
});

test('the language filter keeps only the languages asked for (zero-shot training)', async () => {
  const file = join(root, 'mixed.jsonl');
  writeFileSync(file, [
    { id: 'e', context: 'Paris is big.', question: 'What?', answers: { text: ['Paris'], answer_start: [0] }, lang: 'en' },
    { id: 'g', context: 'Berlin ist groß.', question: 'Was?', answers: { text: ['Berlin'], answer_start: [0] }, lang: 'de' },
  ].map((r) => JSON.stringify(r)).join('\n'));
  const d = await readQaFile(file, { onlyLanguages: ['de'] });
  assert.deepEqual(d.examples.map((e) => e.id), ['g']);
  assert.equal(d.filtered, 1);
});

test('xlm data inspect summarises a SQuAD file: questions, paragraphs, answer lengths, unanswerable share, languages, bad rows', async () => {
  const file = join(root, 'test-context-de-question-de.json');
  writeFileSync(file, JSON.stringify({ version: 'v2.0', data: [{ title: 'A', paragraphs: [
    { context: 'Berlin ist die Hauptstadt von Deutschland.', qas: [
      { id: '1', question: 'Was ist die Hauptstadt?', answers: [{ text: 'Berlin', answer_start: 0 }, { text: 'Berlin', answer_start: 0 }] },
      { id: '2', question: 'Wer?', answers: [], is_impossible: true },
    ] },
    { context: 'Die Elbe fließt durch Hamburg und Dresden.', qas: [
      { id: '3', question: 'Welche Stadt?', answers: [{ text: 'Hamburg und Dresden', answer_start: 22 }] },
      { id: '4', question: 'Welcher Fluss?', answers: [{ text: 'Elbe', answer_start: 0 }] },
    ] },
  ] }] }, null, 1));
  const r = await runXlm(['data', 'inspect', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.kind, 'question-answering');
  assert.equal(s.questions, 3);
  assert.equal(s.paragraphs, 2);
  assert.equal(s.unanswerable, 1);
  assert.equal(s.answersPerQuestion, 1.5);
  assert.deepEqual(s.answerLength, { unit: 'words', min: 1, mean: 2, max: 3 });
  assert.deepEqual(s.languages, { de: 3 });
  assert.equal(s.errorCount, 1);
  assert.match(s.errors[0].reason, /question "4": answers\[0\]: answer_start 0 does not hold its text "Elbe"/);
  const text = await runXlm(['data', 'inspect', file]);
  assert.match(text.stdout, /unanswerable: 1 \(33\.3%\)/);
  assert.match(text.stdout, /languages: de 3/);
});

test('a large SQuAD file is recognised from its first bytes, even where they end inside a character', () => {
  // Three shifts of a context of 3-byte characters: one of them puts the 256 KiB cut inside a character.
  for (const shift of ['', 'a', 'aa']) {
    const file = join(root, `big${shift}.json`);
    writeFileSync(file, JSON.stringify({ version: 'v1.1', data: [{ title: 'T', paragraphs: [{ context: shift + '€'.repeat(100_000), qas: [] }] }] }));
    assert.equal(looksLikeQa(file), true, `shift ${shift.length}`);
  }
  const notQa = join(root, 'plain.jsonl');
  writeFileSync(notQa, JSON.stringify({ text: 'a', label: 'b' }) + '\n');
  assert.equal(looksLikeQa(notQa), false);
});

test('a SQuAD JSON file cut short says the end of the file, not the end of a line', async () => {
  const path = join(root, 'cut.json');
  writeFileSync(path, '{"version": "v2.0", "data": [{"title": "t", "paragraphs": [{"context": "Paris is big."');
  await assert.rejects(readQaFile(path), (e: unknown) => e instanceof Error && /found the end of the file \(is it cut short\?\)/.test(e.message) && !/end of the line/.test(e.message));
});
