import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate } from '../../src/engine/eval/evaluate.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { classifyLogits } from '../../src/engine/tasks/classify.js';
import { modelInputs } from '../../src/engine/runtime/inputs.js';
import { maskTokens } from '../../src/engine/train/features.js';
import { mixSeed } from '../../src/engine/data/index.js';
import { entityMetrics, MlmMetricsByLanguage } from '../../src/engine/metrics/index.js';
import { ort } from '../../src/engine/runtime/session.js';
import { isXlmError } from '../../src/engine/errors.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { TINY_MULTILINGUAL_SENTENCES } from '../helpers/tiny-tokenizer.js';

const NLI_LABELS = ['entailment', 'neutral', 'contradiction'];
const TAGS = ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER'];

let root: string;
let cache: ModelCache;

const nliRows = [
  ['en', 'The capital of France is Paris.', 'Paris is in France.', 'entailment'],
  ['en', 'Berlin is the capital of Germany!', 'Berlin is a city.', 'neutral'],
  ['en', 'Hello world, this is a test.', 'This is not a test.', 'contradiction'],
  ['en', 'I love Paris.', 'I love Berlin.', 'neutral'],
  ['fr', 'Le café est très naïve à Paris.', 'Le café est à Paris.', 'entailment'],
  ['fr', 'Le café est à Paris.', 'Le café est à Madrid.', 'contradiction'],
  ['fr', 'Paris est la capitale.', 'Paris est grande.', 'neutral'],
  ['de', 'Die Hauptstadt von Deutschland ist Berlin.', 'Berlin ist in Deutschland.', 'entailment'],
  ['de', 'Berlin, über alles.', 'Madrid, über alles.', 'contradiction'],
  ['de', 'Die Hauptstadt ist Berlin.', 'Die Hauptstadt ist groß.', 'neutral'],
  ['de', 'Deutschland ist groß.', 'Deutschland ist klein.', 'contradiction'],
];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-eval-'));
  writeTinyXlmr(join(root, 'nli'), { head: 'seq-cls', labels: NLI_LABELS, seed: 7 });
  writeTinyXlmr(join(root, 'ner'), { head: 'token-cls', labels: TAGS, seed: 8 });
  writeTinyXlmr(join(root, 'mlm'), { head: 'mlm', seed: 9 });
  writeFileSync(join(root, 'nli.jsonl'), nliRows.map(([lang, premise, hypothesis, label]) => JSON.stringify({ lang, premise, hypothesis, label })).join('\n') + '\n');
  const ner = [
    { lang: 'en', tokens: ['The', 'capital', 'of', 'France', 'is', 'Paris', '.'], tags: ['O', 'O', 'O', 'B-LOC', 'O', 'B-LOC', 'O'] },
    { lang: 'en', tokens: ['Hello', 'world', ',', 'I', 'love', 'New York'], tags: ['O', 'O', 'O', 'B-PER', 'O', 'B-LOC'] },
    { lang: 'de', tokens: ['Die', 'Hauptstadt', 'von', 'Deutschland', 'ist', 'Berlin'], tags: ['O', 'O', 'O', 'B-LOC', 'O', 'B-LOC'] },
    { lang: 'de', tokens: ['Berlin', 'über', 'alles'], tags: ['B-LOC', 'I-LOC', 'O'] },
    { lang: 'es', tokens: ['El', 'niño', 'está', 'en', 'Madrid', ',', 'España', '.'], tags: ['O', 'B-PER', 'O', 'O', 'B-LOC', 'O', 'B-LOC', 'O'] },
  ];
  writeFileSync(join(root, 'ner.jsonl'), ner.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(root, 'text.txt'), TINY_MULTILINGUAL_SENTENCES.join('\n') + '\n');
  cache = new ModelCache({ threads: 1 });
});

after(async () => {
  await cache.closeAll();
  rmSync(root, { recursive: true, force: true });
});

const argmax = (row: ArrayLike<number>) => Array.from(row).reduce((best, x, i, all) => (x > all[best] ? i : best), 0);

test('classification metrics equal the ones computed by hand from classify() logits, pooled and per language', async () => {
  const result = await evaluate({ model: join(root, 'nli'), data: join(root, 'nli.jsonl'), task: 'pair-classification', batchSize: 4, models: cache });
  const model = await cache.model(join(root, 'nli'));
  const logits = await classifyLogits(model, nliRows.map(([, text, textPair]) => ({ text, textPair })));
  const predicted = logits.map((row) => NLI_LABELS[argmax(row)]);
  const gold = nliRows.map((r) => r[3]);
  const loss = logits.map((row, i) => {
    const max = Math.max(...row);
    const lse = max + Math.log(Array.from(row).reduce((s, x) => s + Math.exp(x - max), 0));
    return lse - row[NLI_LABELS.indexOf(gold[i])];
  });

  assert.equal(result.task, 'pair-classification');
  assert.equal(result.examples, nliRows.length);
  assert.equal(result.languageSource, 'column');
  assert.deepEqual(result.predictions.map((p) => ('predicted' in p ? p.predicted : undefined)), predicted);
  assert.deepEqual(result.predictions.map((p) => p.line), nliRows.map((_, i) => i + 1));

  const accuracy = (rows: number[]) => rows.filter((i) => predicted[i] === gold[i]).length / rows.length;
  // Pooled: over every label of the model; per language: over that language's gold ∪ predicted labels
  // (scikit-learn's f1_score(average='macro') with and without labels=).
  const seen = (rows: number[]) => NLI_LABELS.filter((c) => rows.some((i) => gold[i] === c || predicted[i] === c));
  const macroF1 = (rows: number[], labels: readonly string[] = NLI_LABELS) => {
    const f1s = labels.map((c) => {
      const tp = rows.filter((i) => predicted[i] === c && gold[i] === c).length;
      const fp = rows.filter((i) => predicted[i] === c && gold[i] !== c).length;
      const fn = rows.filter((i) => predicted[i] !== c && gold[i] === c).length;
      const p = tp + fp ? tp / (tp + fp) : 0;
      const r = tp + fn ? tp / (tp + fn) : 0;
      return p + r ? (2 * p * r) / (p + r) : 0;
    });
    return f1s.reduce((a, b) => a + b, 0) / f1s.length;
  };
  const all = nliRows.map((_, i) => i);
  assert.equal(result.metrics.accuracy, accuracy(all));
  assert.ok(Math.abs(result.metrics.macro_f1 - macroF1(all)) < 1e-12);
  assert.equal(result.metrics.micro_f1, accuracy(all), 'single-label micro F1 is accuracy');
  assert.ok(Math.abs(result.metrics.loss - loss.reduce((a, b) => a + b, 0) / loss.length) < 1e-5);

  assert.deepEqual(Object.keys(result.perLanguage), ['de', 'en', 'fr']);
  for (const lang of ['de', 'en', 'fr']) {
    const rows = all.filter((i) => nliRows[i][0] === lang);
    assert.equal(result.perLanguage[lang].accuracy, accuracy(rows), `accuracy/${lang}`);
    assert.ok(Math.abs(result.perLanguage[lang].macro_f1 - macroF1(rows, seen(rows))) < 1e-12, `macro_f1/${lang}`);
    assert.ok(Math.abs(result.perLanguage[lang].loss - rows.reduce((s, i) => s + loss[i], 0) / rows.length) < 1e-5, `loss/${lang}`);
  }
  // Confusion matrix: rows gold, columns predicted, in the model's label order.
  assert.deepEqual(result.confusion!.labels, NLI_LABELS);
  for (const [g, gl] of NLI_LABELS.entries()) {
    for (const [p, pl] of NLI_LABELS.entries()) {
      assert.equal(result.confusion!.matrix[g][p], all.filter((i) => gold[i] === gl && predicted[i] === pl).length);
    }
  }
  assert.equal(result.classes!.length, 3);
  assert.deepEqual(result.classes!.map((c) => c.support), NLI_LABELS.map((l) => gold.filter((g) => g === l).length));

  const oneByOne = await evaluate({ model: join(root, 'nli'), data: join(root, 'nli.jsonl'), batchSize: 1, models: cache });
  assert.equal(oneByOne.task, 'pair-classification', 'premise/hypothesis data is NLI without --task');
  assert.deepEqual(oneByOne.predictions.map((p) => ('predicted' in p ? p.predicted : '')), predicted, 'batching does not change predictions');
});

test('a data label the model does not know is an error naming file:line; integer labels go through id2label', async () => {
  const bad = join(root, 'bad-label.jsonl');
  writeFileSync(bad, [
    JSON.stringify({ premise: 'Paris.', hypothesis: 'Paris.', label: 'entailment' }),
    JSON.stringify({ premise: 'Paris.', hypothesis: 'Berlin.', label: 'maybe' }),
  ].join('\n') + '\n');
  await assert.rejects(evaluate({ model: join(root, 'nli'), data: bad, models: cache }), (e: unknown) => {
    assert.ok(isXlmError(e));
    assert.match(String(e), /bad-label\.jsonl:2:\d+: label 'maybe' is not one of: entailment, neutral, contradiction/);
    return true;
  });
  const skipped = await evaluate({ model: join(root, 'nli'), data: bad, models: cache, readOptions: { onError: 'skip' } });
  assert.equal(skipped.examples, 1);
  assert.equal(skipped.skipped.errorCount, 1);
  assert.equal(skipped.skipped.errors[0].line, 2);

  const ids = join(root, 'ids.jsonl');
  writeFileSync(ids, [JSON.stringify({ text: 'Paris.', label: 2 }), JSON.stringify({ text: 'Berlin.', label: 0 })].join('\n') + '\n');
  const byId = await evaluate({ model: join(root, 'nli'), data: ids, task: 'sequence-classification', models: cache });
  assert.deepEqual(byId.predictions.map((p) => ('gold' in p ? p.gold : '')), ['contradiction', 'entailment']);
  assert.equal(byId.languageSource, 'script');
  assert.deepEqual(Object.keys(byId.perLanguage), ['Latin']);
});

test('NER: first-sub-token predictions mapped back to words; entity scores per language equal entityMetrics of those words', async () => {
  const result = await evaluate({ model: join(root, 'ner'), data: join(root, 'ner.jsonl'), task: 'token-classification', batchSize: 2, models: cache });
  const model = await cache.model(join(root, 'ner'));
  const { session } = await model.session('token-cls');
  const rows = (await import('node:fs')).readFileSync(join(root, 'ner.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { lang: string; tokens: string[]; tags: string[] });
  // Independently: one sentence at a time, each word's first token found from the offsets of its characters.
  const predicted: string[][] = [];
  for (const row of rows) {
    const text = row.tokens.join(' ');
    const encoding = model.tokenizer.encode(text);
    const out = await session.run({ ...modelInputs({ encodings: [encoding], length: encoding.ids.length, padding: 'right' }) });
    const logits = out.logits.data as Float32Array;
    const n = TAGS.length;
    let start = 0;
    predicted.push(row.tokens.map((word) => {
      const wordStart = text.indexOf(word, start);
      start = wordStart + word.length;
      const position = encoding.offsets.findIndex(([, e], p) => encoding.specialTokensMask[p] === 0 && e > wordStart);
      return TAGS[argmax(logits.subarray(position * n, (position + 1) * n))];
    }));
  }
  assert.deepEqual(result.predictions.map((p) => ('predicted' in p ? p.predicted : [])), predicted);
  const expected = entityMetrics(rows.map((r) => r.tags), predicted);
  assert.equal(result.metrics.f1, expected.f1);
  assert.equal(result.metrics.precision, expected.precision);
  assert.equal(result.metrics.recall, expected.recall);
  assert.equal(result.metrics.accuracy, expected.tokenAccuracy);
  for (const lang of ['de', 'en', 'es']) {
    const picked = rows.flatMap((r, i) => (r.lang === lang ? [i] : []));
    const m = entityMetrics(picked.map((i) => rows[i].tags), picked.map((i) => predicted[i]));
    assert.equal(result.perLanguage[lang].f1, m.f1, `f1/${lang}`);
    assert.equal(result.perLanguage[lang].accuracy, m.tokenAccuracy, `accuracy/${lang}`);
  }
  assert.ok(result.entityTypes!.some((t) => t.type === 'LOC'));
  assert.equal(result.truncatedRows, 0);

  const cut = await evaluate({ model: join(root, 'ner'), data: join(root, 'ner.jsonl'), task: 'token-classification', maxLength: 6, models: cache });
  assert.ok(cut.truncatedRows > 0);
  const last = cut.predictions[4];
  assert.ok('predicted' in last && Array.isArray(last.predicted) && last.predicted.length === 8 && last.predicted.at(-1) === 'O', 'cut-off words are predicted O and still counted');
});

test('masked-LM: loss, perplexity and top-k per script-guessed language equal the full-logit accumulator on the same seeded masks', async () => {
  const result = await evaluate({ model: join(root, 'mlm'), data: join(root, 'text.txt'), task: 'masked-lm', batchSize: 5, models: cache, mlm: { seed: 3 } });
  const again = await evaluate({ model: join(root, 'mlm'), data: join(root, 'text.txt'), task: 'masked-lm', batchSize: 3, models: cache, mlm: { seed: 3 } });
  const model = await cache.model(join(root, 'mlm'));
  const { session } = await model.session('mlm-logits');
  const tokenizer = model.tokenizer;
  const vocab = model.config.vocab_size;
  const masking = {
    probability: 0.15, wholeWord: false, maskId: tokenizer.maskId, vocabSize: vocab,
    specialIds: new Set([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.unkId, tokenizer.maskId]),
  };
  const reference = new MlmMetricsByLanguage([1, 5]);
  for (const [i, text] of TINY_MULTILINGUAL_SENTENCES.entries()) {
    const encoding = tokenizer.encode(text, null, { maxLength: model.maxLength });
    const masked = maskTokens({ ids: encoding.ids, wordIds: encoding.wordIds }, masking, mixSeed(3, i));
    const ids = new ort.Tensor('int64', BigInt64Array.from(masked.ids.map(BigInt)), [1, masked.ids.length]);
    const mask = new ort.Tensor('int64', new BigInt64Array(masked.ids.length).fill(1n), [1, masked.ids.length]);
    const out = await session.run({ input_ids: ids, attention_mask: mask });
    const logits = out.logits.data as Float32Array;
    const labels = new Array<number>(masked.ids.length).fill(-100);
    masked.positions.forEach((p, k) => (labels[p] = masked.labels[k]));
    reference.addLogits(result.predictions[i].language, logits, vocab, labels);
  }
  const expected = reference.result();
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  close(result.metrics.loss, expected.all.loss, 'loss');
  close(result.metrics.perplexity, expected.all.perplexity, 'perplexity');
  assert.equal(result.metrics.accuracy, expected.all.topK[1]);
  assert.equal(result.metrics.top5_accuracy, expected.all.topK[5]);
  assert.equal(result.metrics.masked_tokens, expected.all.tokens);
  assert.equal(result.languageSource, 'script');
  assert.deepEqual(Object.keys(result.perLanguage).sort(), Object.keys(expected.languages).sort());
  for (const [lang, m] of Object.entries(expected.languages)) {
    close(result.perLanguage[lang].loss, m.loss, `loss/${lang}`);
    assert.equal(result.perLanguage[lang].accuracy, m.topK[1], `accuracy/${lang}`);
  }
  for (const lang of ['zh', 'ko', 'el', 'Latin', 'Cyrillic']) assert.ok(lang in result.perLanguage, `${lang} guessed from the script`);
  assert.deepEqual(again.metrics, result.metrics, 'the same seed masks the same tokens whatever the batch size');
});

test('masked-LM: a collapsed model (every logit equal) scores 0 top-1 and top-5 in the scoring graph, not 100%', async () => {
  // All weights 0 (layer norms 1): every position's logits are the same constant, so the original token ties with
  // the whole vocabulary. A tie is a miss.
  writeTinyXlmr(join(root, 'collapsed'), { head: 'mlm', std: 0 });
  const result = await evaluate({ model: join(root, 'collapsed'), data: join(root, 'text.txt'), task: 'masked-lm', batchSize: 5, models: cache, mlm: { seed: 3 } });
  assert.ok(result.metrics.masked_tokens > 0);
  assert.equal(result.metrics.accuracy, 0);
  assert.equal(result.metrics.top5_accuracy, 0);
  const model = await cache.model(join(root, 'collapsed'));
  assert.ok(Math.abs(result.metrics.loss - Math.log(model.config.vocab_size)) < 1e-4, `uniform loss ${result.metrics.loss}`);
});

test('a model without the task\'s head says so before looking at labels', async () => {
  await assert.rejects(evaluate({ model: join(root, 'mlm'), data: join(root, 'nli.jsonl'), models: cache }), (e: unknown) => {
    assert.ok(isXlmError(e));
    assert.match(e.message, /has no classification head, which classification needs/);
    return true;
  });
  await assert.rejects(evaluate({ model: join(root, 'nli'), data: join(root, 'text.txt'), task: 'masked-lm', models: cache }), /has no masked-language-model head/);
});
