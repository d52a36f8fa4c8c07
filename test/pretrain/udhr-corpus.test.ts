import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isXlmError } from '../../src/engine/errors.js';
import {
  alignedArticlePairs, heldOutParagraphs, loadUdhrCorpus, parallelUnits, parseDeclaration, trainingParagraphs,
} from '../../src/engine/pretrain/corpus.js';
import { HELD_OUT_ARTICLES, UDHR_LANGUAGES } from '../../src/engine/pretrain/languages.js';

const corpus = loadUdhrCorpus();

test('the language list spans at least 20 languages and the scripts the default model promises', () => {
  assert.ok(UDHR_LANGUAGES.length >= 20);
  assert.equal(new Set(UDHR_LANGUAGES.map((l) => l.code)).size, UDHR_LANGUAGES.length, 'codes are unique');
  const scripts = new Set(UDHR_LANGUAGES.flatMap((l) => l.script.split('+')));
  for (const s of ['Latin', 'Cyrillic', 'Greek', 'Arabic', 'Hebrew', 'Devanagari', 'Bengali', 'Thai', 'Han', 'Hangul', 'Kana', 'Ethiopic', 'Georgian', 'Armenian', 'Tamil']) {
    assert.ok(scripts.has(s), `no language in ${s} script`);
  }
  assert.deepEqual([...HELD_OUT_ARTICLES], [28, 29, 30]);
});

test('every language has the preamble and articles 1-30, each with text', () => {
  for (const { code } of UDHR_LANGUAGES) {
    const parts = corpus.filter((a) => a.lang === code);
    assert.deepEqual(parts.map((a) => a.article), Array.from({ length: 31 }, (_, i) => i), code);
    for (const a of parts) assert.ok(a.paragraphs.length > 0 && a.paragraphs.every((p) => p.length > 0), `${code} part ${a.article}`);
  }
});

test('each file holds the script its entry names: most letters of every language are in that script', () => {
  for (const { code, script } of UDHR_LANGUAGES) {
    const text = corpus.filter((a) => a.lang === code).flatMap((a) => a.paragraphs).join(' ');
    const letters = [...text].filter((ch) => /\p{L}/u.test(ch));
    const pattern = script === 'Han+Kana' ? /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u : new RegExp(`\\p{Script=${script}}`, 'u');
    const share = letters.filter((ch) => pattern.test(ch)).length / letters.length;
    assert.ok(share > 0.9, `${code}: only ${(share * 100).toFixed(1)}% of letters are ${script}`);
  }
});

test('paragraphs are clean text: no markup, no entities, NFC, single spaces, trimmed', () => {
  for (const a of corpus) {
    for (const p of a.paragraphs) {
      assert.ok(!/<\/?[a-z][^>]*>/i.test(p), `${a.lang} ${a.article}: markup in ${p}`);
      assert.ok(!/&(#x?[0-9a-f]+|[a-z]+);/i.test(p), `${a.lang} ${a.article}: entity in ${p}`);
      assert.equal(p, p.normalize('NFC'));
      assert.equal(p, p.trim());
      assert.ok(!/\s\s|[^\S ]/u.test(p), `${a.lang} ${a.article}: whitespace other than single spaces`);
    }
  }
  const english1 = corpus.find((a) => a.lang === 'eng' && a.article === 1)!;
  assert.deepEqual(english1.paragraphs, ['All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood.']);
});

test('parsing drops titles, reads paragraphs inside list items, decodes entities and collapses whitespace', () => {
  const articles = Array.from({ length: 30 }, (_, i) => `<article data-number="${i + 1}"><h2>Article ${i + 1}</h2><ol><li>\n  <p>Clause\u00a0 one &#x26; <b>two</b>.</p>\n</li><li><p>Cafe\u0301 &lt;${i + 1}&gt;</p></li></ol></article>`).join('\n');
  const parts = parseDeclaration(`<html><body><h1>Title</h1><header><h2>Preamble</h2><p>Whereas  &amp; so</p></header>${articles}</body></html>`, 'x.html');
  assert.deepEqual(parts.get(0), ['Whereas & so']);
  assert.deepEqual(parts.get(7), ['Clause one & two.', 'Café <7>']);
});

test('a declaration missing an article is refused, naming the file and the article', () => {
  const html = '<header><p>Preamble</p></header>' + Array.from({ length: 30 }, (_, i) => (i + 1 === 17 ? '' : `<article data-number="${i + 1}"><p>Text</p></article>`)).join('');
  assert.throws(() => parseDeclaration(html, '/tmp/x.html'), (e: unknown) => isXlmError(e) && e.place.file === '/tmp/x.html' && /article 17 is missing/.test(e.message));
  const dir = mkdtempSync(join(tmpdir(), 'xlm-udhr-'));
  try {
    writeFileSync(join(dir, 'bad.html'), html);
    assert.throws(() => loadUdhrCorpus([{ code: 'bad', file: 'bad', name: 'Bad', script: 'Latin' }], { dir }), (e: unknown) => isXlmError(e) && /article 17/.test(e.message));
    assert.throws(() => loadUdhrCorpus(['xxx']), (e: unknown) => isXlmError(e) && /unknown corpus language "xxx"/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('training and held-out paragraphs split by article and together make the whole corpus', () => {
  const train = trainingParagraphs(corpus);
  const test = heldOutParagraphs(corpus);
  assert.ok(train.every((p) => !HELD_OUT_ARTICLES.includes(p.article)));
  assert.ok(test.every((p) => HELD_OUT_ARTICLES.includes(p.article)));
  const total = corpus.reduce((n, a) => n + a.paragraphs.length, 0);
  assert.equal(train.length + test.length, total);
  assert.equal(test.length, 5 * UDHR_LANGUAGES.length, 'articles 28 and 30 have one paragraph, 29 has three, in every language');
});

test('aligned article pairs join the same article in two different languages, each pair once', () => {
  const pairs = alignedArticlePairs(corpus, 'train');
  const n = UDHR_LANGUAGES.length;
  assert.equal(pairs.length, 28 * (n * (n - 1)) / 2);
  for (const p of pairs) {
    assert.equal(p.first.article, p.article);
    assert.equal(p.second.article, p.article);
    assert.notEqual(p.first.lang, p.second.lang);
  }
  assert.ok(alignedArticlePairs(corpus, 'test').every((p) => HELD_OUT_ARTICLES.includes(p.article)));
});

test('parallel units pair paragraph i of an article across languages, leaving out languages split differently', () => {
  const units = parallelUnits(corpus, 'test');
  assert.deepEqual(units.map((u) => `${u.article}.${u.index}`), ['28.0', '29.0', '29.1', '29.2', '30.0']);
  for (const u of units) assert.equal(u.texts.size, UDHR_LANGUAGES.length);
  const train = parallelUnits(corpus, 'train');
  const english = corpus.find((a) => a.lang === 'eng' && a.article === 26)!;
  const unit = train.find((u) => u.article === 26 && u.index === 1)!;
  assert.equal(unit.texts.get('eng'), english.paragraphs[1]);
  assert.ok(train.every((u) => u.texts.size >= 2 && !HELD_OUT_ARTICLES.includes(u.article)));
});
