// Scores per language pair, for training's evaluation: each pair is scored as a corpus of its own, with the BLEU
// tokenizer its target language calls for, and `all` over every translation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { corpusBleu } from '../../src/engine/metrics/bleu.js';
import { corpusChrf } from '../../src/engine/metrics/chrf.js';
import { scoreTranslations } from '../../src/engine/metrics/translation.js';

const items = [
  { sourceLang: 'en', targetLang: 'de', hypothesis: 'Der Hund bellt laut.', references: ['Der Hund bellt sehr laut.'] },
  { sourceLang: 'en', targetLang: 'zh', hypothesis: '我今天去了北京。', references: ['今天我去了北京。'] },
  { sourceLang: 'en', targetLang: 'de', hypothesis: 'Es regnet heute.', references: ['Heute regnet es.'] },
  { sourceLang: 'en', targetLang: 'ja', hypothesis: '東京は日本の首都です。', references: ['日本の首都は東京です。'] },
];

test('each language pair is scored as its own corpus, in order of first appearance', () => {
  const { pairs } = scoreTranslations(items);
  assert.deepEqual(pairs.map((p) => [p.pair, p.segments]), [['en-de', 2], ['en-zh', 1], ['en-ja', 1]]);
  const de = pairs[0];
  const hyps = ['Der Hund bellt laut.', 'Es regnet heute.'];
  const refs = [['Der Hund bellt sehr laut.', 'Heute regnet es.']];
  assert.equal(de.bleu.score, corpusBleu(hyps, refs).score);
  assert.equal(de.chrf.score, corpusChrf(hyps, refs).score);
  assert.equal(de.chrfPlusPlus.score, corpusChrf(hyps, refs, { wordOrder: 2 }).score);
  assert.equal(de.chrfPlusPlus.name, 'chrF2++');
});

test('the BLEU tokenizer follows the target language unless one is given', () => {
  const { pairs, all } = scoreTranslations(items);
  assert.deepEqual(pairs.map((p) => p.bleu.signature.match(/tok:(\w+)/)![1]), ['13a', 'zh', 'char']);
  assert.match(all.bleu.signature, /tok:13a/);
  assert.equal(all.segments, 4);
  const given = scoreTranslations(items, { tokenize: 'intl' });
  assert.ok(given.pairs.every((p) => p.bleu.signature.includes('tok:intl')) && given.all.bleu.signature.includes('tok:intl'));
  // 13a on unsegmented Chinese makes the sentence one token: no match at all, unlike zh.
  assert.equal(scoreTranslations([items[1]], { tokenize: '13a' }).all.bleu.score, 0);
  assert.ok(pairs[1].bleu.score > 0);
});

test('one pair (or no languages) is its own total', () => {
  const one = scoreTranslations([{ hypothesis: 'a b c d', references: ['a b c d'] }]);
  assert.equal(one.pairs.length, 1);
  assert.equal(one.all.pair, 'all');
  assert.ok(Math.abs(one.all.bleu.score - 100) < 1e-9);
});

test('a pair whose translations have different numbers of references is refused, naming the pair', () => {
  assert.throws(
    () => scoreTranslations([
      { sourceLang: 'en', targetLang: 'fr', hypothesis: 'a', references: ['a'] },
      { sourceLang: 'en', targetLang: 'fr', hypothesis: 'b', references: ['b', 'c'] },
    ]),
    /en-fr: some translations have 1 reference and others 2/,
  );
  assert.throws(() => scoreTranslations([]), /no translations to score/);
});
