import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { ModelCache, type LoadedModel } from '../../src/engine/runtime/model-cache.js';
import { batchInputs } from '../../src/engine/tokenize/encoding.js';
import { hypothesisTemplateFor, zeroShot } from '../../src/engine/tasks/zero-shot.js';
import { isXlmError } from '../../src/engine/errors.js';

const TEXTS = ['The capital of France is Paris.', 'Hello world, this is a test: 12 cats and 3 dogs.', 'I love Paris 😀👍🌍 🎉'];
const LABELS = ['city', 'dogs', 'love', 'language'];

let root: string;
let cache: ModelCache;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-zero-shot-'));
  cache = new ModelCache({ threads: 1 });
});

after(async () => {
  await cache.closeAll();
  rmSync(root, { recursive: true, force: true });
});

function nliModel(name: string, labels: string[], seed: number): Promise<LoadedModel> {
  const dir = join(root, name);
  writeTinyXlmr(dir, { head: 'seq-cls', labels, seed });
  return cache.model(dir);
}

/** HF's pipeline arithmetic on plain-PyTorch logits of the same pairs (premise, template with the label). */
function referenceScores(model: LoadedModel, texts: string[], labels: string[], template: string, multiLabel: boolean): number[][] {
  const pairs = texts.flatMap((t) => labels.map((l) => [t, template.replace('{}', l)] as const));
  const batch = model.tokenizer.encodeBatch(pairs, { maxLength: model.maxLength, truncation: 'only_first' });
  const { inputIds, attentionMask, dims } = batchInputs(batch);
  const rows = (data: BigInt64Array) => Array.from({ length: dims[0] }, (_, r) => Array.from(data.slice(r * dims[1], (r + 1) * dims[1]), Number));
  const request = { model: model.dir, input_ids: rows(inputIds), attention_mask: rows(attentionMask), candidates: labels.length, multi_label: multiLabel };
  const script = join(__dirname, '..', 'helpers', 'reference_zero_shot.py');
  const result = spawnSync('/usr/bin/python3', [script], { input: JSON.stringify(request), encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as { scores: number[][] }).scores;
}

function assertClose(actual: number[], expected: number[], tolerance: number): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tolerance, `score ${i}: ${a} vs reference ${expected[i]}`));
}

/** Counts session runs, to prove every pair went through one batch. */
async function countingRuns(model: LoadedModel): Promise<() => number> {
  const { session } = await model.session('seq-cls');
  const run = session.run.bind(session);
  let runs = 0;
  (session as { run: typeof session.run }).run = ((...args: Parameters<typeof run>) => {
    runs++;
    return run(...args);
  }) as typeof session.run;
  return () => runs;
}

for (const [name, labels] of [
  ['contradiction first', ['contradiction', 'neutral', 'entailment']],
  ['entailment first, upper case', ['ENTAILMENT', 'NEUTRAL', 'CONTRADICTION']],
] as const) {
  test(`single- and multi-label scores equal the pipeline's on the reference logits (${name})`, async () => {
    const model = await nliModel(name.replace(/\W+/g, '-'), [...labels], 5);
    const runs = await countingRuns(model);
    for (const multiLabel of [false, true]) {
      const ours = await zeroShot(model, TEXTS, { labels: LABELS, multiLabel });
      const reference = referenceScores(model, TEXTS, LABELS, 'This example is {}.', multiLabel);
      ours.forEach((result, t) => {
        assert.equal(result.hypothesisTemplate, 'This example is {}.');
        const byLabel = LABELS.map((l) => result.scores.find((s) => s.label === l)!.score);
        assertClose(byLabel, reference[t], 2e-5);
        const sorted = [...result.scores].sort((a, b) => b.score - a.score);
        assert.deepEqual(result.scores, sorted, 'best first');
        if (!multiLabel) assert.ok(Math.abs(byLabel.reduce((a, b) => a + b, 0) - 1) < 1e-6, 'single-label scores sum to 1');
      });
      // The reference scores must vary, or the comparison above would prove nothing.
      assert.ok(Math.max(...reference.flat()) - Math.min(...reference.flat()) > 0.01);
    }
    assert.equal(runs(), 2, 'each call ran all text/label pairs as one batch');
  });
}

test('a single candidate label is scored entailment vs contradiction, as the pipeline does', async () => {
  const model = await nliModel('single', ['contradiction', 'neutral', 'entailment'], 9);
  const [result] = await zeroShot(model, [TEXTS[0]], { labels: ['city'] });
  const [reference] = referenceScores(model, [TEXTS[0]], ['city'], 'This example is {}.', false);
  assertClose([result.scores[0].score], reference, 2e-5);
  assert.ok(result.scores[0].score < 1, 'not a softmax over one label');
});

test('a user template replaces the default, and the default follows the text\'s script', async () => {
  const model = await nliModel('template', ['contradiction', 'neutral', 'entailment'], 13);
  const template = 'Dieser Text handelt von {}.';
  const [result] = await zeroShot(model, [TEXTS[1]], { labels: LABELS, hypothesisTemplate: template, multiLabel: true });
  const [reference] = referenceScores(model, [TEXTS[1]], LABELS, template, true);
  assert.equal(result.hypothesisTemplate, template);
  assertClose(LABELS.map((l) => result.scores.find((s) => s.label === l)!.score), reference, 2e-5);

  assert.equal(hypothesisTemplateFor('東京は日本の首都です。'), 'この例は{}です。');
  assert.equal(hypothesisTemplateFor('北京是中国的首都。'), '这个例子是{}。');
  assert.equal(hypothesisTemplateFor('서울은 한국의 수도입니다.'), '이 예는 {}입니다.');
  assert.equal(hypothesisTemplateFor('Le café est très naïve à Paris.'), 'This example is {}.', 'Latin script: no guess, English');
  assert.equal(hypothesisTemplateFor('Le café est très naïve à Paris.', { language: 'fr' }), 'Cet exemple est {}.');
  assert.equal(hypothesisTemplateFor('x', { language: 'de-AT' }), 'Dieses Beispiel ist {}.');
});

test('a model without entailment/contradiction labels, a template without {} and empty labels are refused with the reason', async () => {
  const sentiment = await nliModel('sentiment', ['negative', 'neutral', 'positive'], 3);
  await assert.rejects(zeroShot(sentiment, ['x'], { labels: ['a'] }), (e) => isXlmError(e) && /no "entailment" label/.test(e.message) && e.place.what === 'id2label');
  const nli = await nliModel('refusals', ['contradiction', 'neutral', 'entailment'], 4);
  await assert.rejects(zeroShot(nli, ['x'], { labels: ['a'], hypothesisTemplate: 'About it.' }), (e) => isXlmError(e) && /has no \{\}/.test(e.message));
  await assert.rejects(zeroShot(nli, ['x'], { labels: [] }), (e) => isXlmError(e) && e.code === 'zero-shot-no-labels');
  await assert.rejects(zeroShot(nli, ['x'], { labels: ['a', ' a'] }), (e) => isXlmError(e) && e.code === 'zero-shot-duplicate-label');
  await assert.rejects(zeroShot(nli, ['x'], { labels: ['a'], language: 'xx' }), (e) => isXlmError(e) && e.code === 'unknown-template-language');
});
