import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectDataset } from '../../src/engine/data/inspect.js';
import { detectScript, languageOfScript } from '../../src/engine/data/script.js';
import { tempFolder } from './temp-files.js';

const files = tempFolder('inspect');

test('the script of a text, by the majority of its letters', () => {
  const cases: [string, string][] = [
    ['Hello, world!', 'Latin'],
    ['Привет, мир', 'Cyrillic'],
    ['Γειά σου κόσμε', 'Greek'],
    ['مرحبا بالعالم', 'Arabic'],
    ['שלום עולם', 'Hebrew'],
    ['नमस्ते दुनिया', 'Devanagari'],
    ['ওহে বিশ্ব', 'Bengali'],
    ['สวัสดีชาวโลก', 'Thai'],
    ['你好，世界', 'Han'],
    ['안녕하세요 세계', 'Hangul'],
    ['東京都に住んでいます', 'Kana'], // more Han than kana, still Japanese
    ['ሰላም ልዑል', 'Ethiopic'],
    ['გამარჯობა', 'Georgian'],
    ['Moscow — Москва — это столица', 'Cyrillic'],
    ['2024 — 42 !!', 'Unknown'],
  ];
  for (const [text, script] of cases) assert.equal(detectScript(text), script, text);
  assert.equal(languageOfScript('Hangul'), 'ko');
  assert.equal(languageOfScript('Kana'), 'ja');
  assert.equal(languageOfScript('Latin'), undefined);
  assert.equal(languageOfScript('Cyrillic'), undefined);
});

test('inspect: counts, labels, languages, token lengths, truncation, duplicates and conflicting duplicates', async () => {
  const rows = [
    { text: 'the cat sat', label: 'pos', lang: 'en' }, // 1
    { text: 'der Hund', label: 'neg', lang: 'de' }, // 2
    { text: 'the cat sat', label: 'pos', lang: 'en' }, // 3: duplicate of 1, same label
    { text: 'a very long sentence with many words', label: 'pos', lang: 'en' }, // 4: 7 words
    { text: 'der Hund', label: 'pos', lang: 'de' }, // 5: duplicate of 2, other label → conflict
  ].map((r) => JSON.stringify(r));
  const path = files.write('summary.jsonl', [...rows, 'not json'].join('\n'));
  const words = (text: string, pair?: string) => (pair === undefined ? text : `${text} ${pair}`).split(' ').length;
  const s = await inspectDataset(path, { maxLength: 3, samples: 5 }, words);

  assert.equal(s.format, 'jsonl');
  assert.equal(s.kind, 'sequence-classification');
  assert.equal(s.rows, 5);
  assert.equal(s.errorCount, 1, 'bad rows are counted, not fatal');
  assert.equal(s.errors[0].line, 6);
  assert.deepEqual(s.labels, { pos: 4, neg: 1 });
  assert.deepEqual(s.languages, { source: 'column', counts: { en: 3, de: 2 } });
  assert.deepEqual(s.scripts, { Latin: 5 });

  assert.equal(s.length.unit, 'tokens');
  assert.deepEqual([s.length.min, s.length.max, s.length.p50, s.length.p90], [2, 7, 3, 7]);
  assert.equal(s.length.mean, (3 + 2 + 3 + 7 + 2) / 5);
  assert.equal(s.length.overMaxLength, 1);
  assert.deepEqual(s.length.histogram, [{ from: 0, to: 8, count: 5 }]);

  assert.equal(s.duplicates.rows, 2);
  assert.equal(s.duplicates.groups, 2);
  assert.equal(s.duplicates.conflictingGroups, 1);
  assert.equal(s.duplicates.conflictingRows, 2);
  assert.deepEqual(s.duplicates.examples.map((d) => [d.line, d.firstLine]), [[3, 1], [5, 2]]);
  assert.deepEqual(s.duplicates.conflicts, [{ lines: [2, 5], labels: ['neg', 'pos'], text: 'der Hund' }]);
});

test('inspect without a language column guesses languages from scripts one language owns, and names the others by script', async () => {
  const path = files.write('scripts.txt', '안녕하세요\n감사합니다\nПривет мир\nこんにちは\n');
  const s = await inspectDataset(path);
  assert.equal(s.kind, 'masked-lm');
  assert.deepEqual(s.languages, { source: 'script', counts: { ko: 2, '(Cyrillic script)': 1, ja: 1 } });
  assert.equal(s.length.unit, 'characters');
  assert.equal(s.labels, undefined);
});

test("a pair file that names each side's language is grouped by its first side's, not by script", async () => {
  const row = (premise: string, hypothesis: string, a: string, b: string, label: string) => JSON.stringify({ premise, hypothesis, premise_lang: a, hypothesis_lang: b, label });
  const path = files.write('pairs.jsonl', [row('Hello world', 'Bonjour le monde', 'eng', 'fra', 'translation'), row('Hola', 'Hallo Welt', 'spa', 'deu', 'not_translation'), row('Good day', 'Guten Tag', 'eng', 'deu', 'translation')].join('\n') + '\n');
  const s = await inspectDataset(path);
  assert.equal(s.kind, 'pair-classification');
  assert.equal(s.columns.language, 'premise_lang');
  assert.deepEqual(s.languages, { source: 'column', counts: { eng: 2, spa: 1 } });
  const named = files.write('named.jsonl', JSON.stringify({ premise: 'a b', hypothesis: 'c d', lang: 'xx', premise_lang: 'eng', label: 'x' }) + '\n');
  assert.equal((await inspectDataset(named)).columns.language, 'lang', 'a lang column comes first');
});

test('the length histogram bins by powers of two and counts what the max length truncates', async () => {
  const lengths = [5, 10, 20, 40, 100, 300];
  const path = files.write('lengths.txt', lengths.map((n) => 'x'.repeat(n)).join('\n'));
  const s = await inspectDataset(path, { maxLength: 64 });
  assert.deepEqual(
    s.length.histogram.map((b) => [b.from, b.to, b.count]),
    [
      [0, 8, 1],
      [8, 16, 1],
      [16, 32, 1],
      [32, 64, 1],
      [64, 128, 1],
      [128, 256, 0],
      [256, 512, 1],
    ],
  );
  assert.equal(s.length.overMaxLength, 2);
});
