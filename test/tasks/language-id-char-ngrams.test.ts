// The language-identification head's `char-ngrams` feature: hashed character 1- to 3-gram counts of the text
// (the spelling of a language), unit length, the same for the same letters whatever their case, form or spacing;
// a head over it (with the encoder's features) reads and writes with the feature's own width, and names languages.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { fitSoftmax } from '../../src/engine/pretrain/language-id-fit.js';
import { CHAR_NGRAM_BUCKETS, charNgramFeature, featuresWidth, identifyLanguage, languageFeatures, readLanguageIdHead, writeLanguageIdHead } from '../../src/engine/tasks/language-id.js';

const root = mkdtempSync(join(tmpdir(), 'xlm-langid-char-'));
after(() => rmSync(root, { recursive: true, force: true }));

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

test('char-ngrams: unit length, blind to case, Unicode form and runs of spaces, and telling spellings apart', () => {
  const a = charNgramFeature('Das Wetter ist heute schrecklich.');
  assert.equal(a.length, CHAR_NGRAM_BUCKETS);
  assert.ok(Math.abs(norm(a) - 1) < 1e-6);
  assert.deepEqual(charNgramFeature('das   WETTER ist heute\tschrecklich.'), a);
  assert.deepEqual(charNgramFeature('Cafe\u0301 noir'), charNgramFeature('Café noir'), 'NFD and NFC alike');
  // 1-, 2- and 3-grams of " ab " less the lone spaces and the all-space grams: a, b, " a", ab, "b ", " ab", "ab ".
  const ab = charNgramFeature('ab').filter((x) => x > 0);
  assert.equal(ab.length, 7);
  assert.ok(ab.every((x) => Math.abs(x - 1 / Math.sqrt(7)) < 1e-6), 'each counted once');
  assert.equal(norm(charNgramFeature('   ')), 0, 'a text of spaces has no n-grams');
  const german = charNgramFeature('Die Katze schläft auf dem Sofa und ich lese ein Buch.');
  const english = charNgramFeature('The cat is sleeping on the sofa and I am reading a book.');
  assert.ok(cosine(a, german) > cosine(a, english), `German is closer to German: ${cosine(a, german)} against ${cosine(a, english)}`);
});

test('a head over the encoder and char-ngrams reads back with its width, and names the languages it was fitted on', async () => {
  const hidden = 32;
  const dir = join(root, 'model');
  writeTinyXlmr(dir, { head: 'mlm', seed: 5, hiddenSize: hidden });
  const texts = ['the cat sat on the mat', 'le chat est sur le tapis', 'der Hund schläft im Garten', 'el perro duerme en el jardín'];
  const cache = new ModelCache({ threads: 1 });
  try {
    const features = ['mean-embeddings', 'char-ngrams'] as const;
    const rows = await languageFeatures(await cache.model(dir), texts, features);
    assert.equal(rows[0]!.length, featuresWidth([...features], hidden));
    assert.equal(featuresWidth([...features], hidden), hidden + CHAR_NGRAM_BUCKETS);
    const fit = fitSoftmax(rows, [0, 1, 2, 3], 4, { epochs: 200, batchSize: 4, learningRate: 0.05 });
    writeLanguageIdHead(dir, { labels: ['eng', 'fra', 'deu', 'spa'], names: ['English', 'French', 'German', 'Spanish'], features: [...features], weight: fit.weight, bias: fit.bias, info: {} }, hidden);
    assert.equal(readLanguageIdHead(dir, hidden).weight.length, 4 * (hidden + CHAR_NGRAM_BUCKETS));
    await cache.closeAll();
    const answers = await identifyLanguage(await cache.model(dir), texts, { topK: 1 });
    assert.deepEqual(answers.map((a) => a[0]!.label), ['eng', 'fra', 'deu', 'spa']);
  } finally {
    await cache.closeAll();
  }
});
