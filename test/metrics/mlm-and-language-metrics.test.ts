import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classificationByLanguage, classificationSummary, entityMetricsByLanguage, flattenPerLanguage, perLanguage } from '../../src/engine/metrics/by-language.js';
import { MlmMetricAccumulator, MlmMetricsByLanguage, mlmMetrics, rankOf } from '../../src/engine/metrics/mlm.js';
import { formatLanguageTable, languageTable } from '../../src/engine/metrics/table.js';

const close = (actual: number, expected: number, what: string, tolerance = 1e-9) => assert.ok(Math.abs(actual - expected) < tolerance, `${what}: ${actual} ≠ ${expected}`);

// Three positions over a 4-token vocabulary; the middle one is not masked (-100).
// p0 = [1, 2, 3, 0], gold 2: the best token → loss = logsumexp(0..3) - 3 = 0.4401896985611953
// p2 = [1, 3, 0, 2], gold 0: two tokens score higher → loss = logsumexp(0..3) - 1 = 2.4401896985611953
// mean loss 1.4401896985611953, perplexity e^1.44019 = 4.2214965528671; top-1 1/2, top-3 2/2
const logits = [1, 2, 3, 0, 9, 9, 9, 9, 1, 3, 0, 2];
const labels = [2, -100, 0];

test('masked-LM loss, perplexity and top-k accuracy over masked positions only', () => {
  const m = mlmMetrics(logits, 4, labels, [1, 3]);
  assert.equal(m.tokens, 2);
  close(m.loss, 1.4401896985611953, 'loss', 1e-12);
  close(m.perplexity, 4.2214965528671, 'perplexity', 1e-9);
  assert.deepEqual(m.topK, { 1: 0.5, 3: 1 });
});

test('accumulating batch by batch equals one pass; a loss from the graph adds to the loss only', () => {
  const acc = new MlmMetricAccumulator([1, 3]);
  acc.addLogits(logits.slice(0, 8), 4, labels.slice(0, 2));
  acc.addLogits(logits.slice(8), 4, labels.slice(2));
  assert.deepEqual(acc.result(), mlmMetrics(logits, 4, labels, [1, 3]));
  acc.addLoss(3, 2); // two more tokens with mean loss 3
  const r = acc.result();
  close(r.loss, (0.4401896985611953 + 2.4401896985611953 + 6) / 4, 'loss with graph batch', 1e-12);
  assert.deepEqual(r.topK, { 1: 0.5, 3: 1 }, 'top-k over the positions that had logits');
  assert.throws(() => acc.addLogits([0, 0], 2, [5]), /outside the vocabulary/);
});

test('a tie with the original token is a miss: a collapsed model with constant logits scores 0 top-1, not 100%', () => {
  // Two positions, every logit equal: each gold token ties with the 3 others, so its rank is 3.
  const m = mlmMetrics([0, 0, 0, 0, 5, 5, 5, 5], 4, [1, 3], [1, 3, 4]);
  assert.deepEqual(m.topK, { 1: 0, 3: 0, 4: 1 });
  close(m.loss, Math.log(4), 'uniform loss', 1e-12);
  // A partial tie: the gold token (3) ties with one other and beats two → rank 1, a top-2 hit but not top-1.
  assert.equal(rankOf([1, 3, 3, 0], 1), 1);
  assert.equal(rankOf([1, 3, 2, 0], 1), 0, 'alone at the top it is rank 0');
  assert.equal(rankOf([9, 9, 1, 3, 3, 0], 1, 2, 4), 1, 'a row of a flat logits array');
  assert.deepEqual(mlmMetrics([1, 3, 3, 0], 4, [1], [1, 2]).topK, { 1: 0, 2: 1 });
});

test('masked-LM per language: each language its own loss, the pooled loss over all tokens', () => {
  const m = new MlmMetricsByLanguage([1, 3]);
  m.addLogits('sw', logits.slice(0, 4), 4, [2]); // loss 0.44019, top-1 hit
  m.addLogits('yo', logits.slice(8), 4, [0]); // loss 2.44019, top-1 miss
  const r = m.result();
  close(r.languages.sw.loss, 0.4401896985611953, 'sw loss', 1e-12);
  close(r.languages.yo.loss, 2.4401896985611953, 'yo loss', 1e-12);
  assert.deepEqual([r.languages.sw.topK[1], r.languages.yo.topK[1]], [1, 0]);
  assert.deepEqual(r.all, mlmMetrics(logits, 4, labels, [1, 3]));
});

// en: 4 rows, 3 right → 0.75; fr: 2 rows, 2 right → 1.0; de: 2 rows, 1 right → 0.5; pooled 6/8 = 0.75; avg (75 + 100 + 50) / 3 = 75
const gold = ['e', 'n', 'c', 'e', 'e', 'n', 'c', 'n'];
const predicted = ['e', 'n', 'c', 'c', 'e', 'n', 'n', 'n'];
const languages = ['en', 'en', 'en', 'en', 'fr', 'fr', 'de', 'de'];

test('every metric per language, beside the pooled result', () => {
  const r = classificationByLanguage(gold, predicted, languages);
  assert.deepEqual(Object.keys(r.languages), ['de', 'en', 'fr']);
  assert.equal(r.languages.en.accuracy, 0.75);
  assert.equal(r.languages.fr.accuracy, 1);
  assert.equal(r.languages.de.accuracy, 0.5);
  assert.equal(r.all.accuracy, 0.75);
  assert.deepEqual(r.languages.fr.confusion.labels, ['c', 'e', 'n'], 'every language gets the same label list');

  const flat = flattenPerLanguage({ all: classificationSummary(r.all), languages: Object.fromEntries(Object.entries(r.languages).map(([l, m]) => [l, classificationSummary(m)])) });
  assert.equal(flat['accuracy/de'], 0.5);
  assert.equal(flat.accuracy, 0.75);

  const ner = entityMetricsByLanguage([['B-PER'], ['B-LOC']], [['B-PER'], ['O']], ['sw', 'yo']);
  assert.deepEqual([ner.languages.sw.f1, ner.languages.yo.f1, ner.all.f1], [1, 0, 2 / 3]);
  assert.equal(perLanguage([undefined, 'en'], (rows) => rows.length).all, 2, 'rows without a language still count in all');
});

// Each language's macro average is over its own gold ∪ predicted labels (scikit-learn's f1_score(average='macro')
// without labels=); the pooled one over the model's whole label list (with labels=), here x, y, z and w.
// sw: gold x x x, predicted x x x → labels {x}: F1(x) = 1 → macro 1 (over all four labels it would read 0.25)
// yo: gold x x y, predicted x y y → labels {x, y}: F1(x) = 2·1·½/(1+½) = ⅔, F1(y) = 2·½·1/(½+1) = ⅔ → macro ⅔
// ha: gold x x, predicted z x → labels {x, z}: F1(x) = ⅔, F1(z) = 0 (one false positive) → macro ⅓
// pooled over x, y, z, w: F1(x): tp 5, predicted 5, gold 7 → P 1, R 5/7, F1 5/6; F1(y) ⅔; z and w 0 → (5/6 + ⅔)/4 = 0.375
test("each language's macro average is over its own gold and predicted labels; the pooled one over the model's labels", () => {
  const gold = ['x', 'x', 'x', 'x', 'x', 'y', 'x', 'x'];
  const predicted = ['x', 'x', 'x', 'x', 'y', 'y', 'z', 'x'];
  const languages = ['sw', 'sw', 'sw', 'yo', 'yo', 'yo', 'ha', 'ha'];
  const r = classificationByLanguage(gold, predicted, languages, ['x', 'y', 'z', 'w']);
  close(r.languages.sw.macroF1, 1, 'sw macro-F1 (one gold label, all right)');
  assert.equal(r.languages.sw.accuracy, 1);
  close(r.languages.sw.macroPrecision, 1, 'sw macro precision');
  close(r.languages.yo.macroF1, 2 / 3, 'yo macro-F1');
  close(r.languages.ha.macroF1, 1 / 3, 'ha macro-F1');
  close(r.languages.ha.macroRecall, 1 / 4, 'ha macro recall: R(x) ½, R(z) 0');
  assert.deepEqual(r.languages.ha.perClass.map((c) => c.label), ['x', 'z'], 'per-class rows are the labels the language has');
  close(r.all.macroF1, 0.375, 'pooled macro-F1 over x, y, z, w');
  assert.equal(r.all.perClass.length, 4);
  // The confusion matrix keeps the shared list, so every language's has the same rows and columns.
  assert.deepEqual(r.languages.sw.confusion, { labels: ['x', 'y', 'z', 'w'], matrix: [[3, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]] });
  assert.deepEqual(r.languages.ha.confusion.matrix[0], [1, 0, 1, 0]);
  assert.throws(() => classificationByLanguage(['x'], ['v'], ['sw'], ['x', 'y']), /'v' is not in the label list/);
});

test('the XNLI-style table: a column per language in XNLI order, the average over languages, the pooled value', () => {
  const r = classificationByLanguage(gold, predicted, languages);
  const table = languageTable(
    { all: { accuracy: r.all.accuracy }, languages: Object.fromEntries(Object.entries(r.languages).map(([l, m]) => [l, { accuracy: m.accuracy }])) },
    ['accuracy'],
    { pooled: true },
  );
  assert.equal(table, ['            en     fr    de   avg   all', 'accuracy  75.0  100.0  50.0  75.0  75.0'].join('\n'));
});

test('a missing value prints as - and stays out of the average', () => {
  const table = formatLanguageTable(
    [
      { name: 'f1', values: { en: 0.9, sw: 0.5, ar: 0.7 } },
      { name: 'precision', values: { en: 0.8, ar: 0.6 } },
    ],
    { title: 'metric', digits: 2 },
  );
  assert.equal(table, ['metric        en     ar     sw    avg', 'f1         90.00  70.00  50.00  70.00', 'precision  80.00  60.00      -  70.00'].join('\n'));
});
