import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { ModelCache, type LoadedModel } from '../../src/engine/runtime/model-cache.js';
import { modelInputs } from '../../src/engine/runtime/inputs.js';
import { fillMask } from '../../src/engine/tasks/fill-mask.js';
import { classify, softmax } from '../../src/engine/tasks/classify.js';
import { embed } from '../../src/engine/tasks/embed.js';

const MASKED = [
  'The capital of France is <mask>.',
  'Hello <mask>, this is a <mask>: 12 cats and 3 dogs.',
  '<mask> est très naïve à Paris.',
  'Москва — <mask> России.',
];
const PAIRS = [
  { text: 'The capital of France is Paris.', textPair: 'Berlin is the capital of Germany!' },
  { text: 'Hello world' },
  { text: 'Le café est très naïve à Paris.', textPair: 'El niño está en Madrid, España.' },
];

let dir: string;
let cache: ModelCache;
let model: LoadedModel;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xlm-tasks-'));
  writeTinyXlmr(dir, { head: 'all', seed: 11, labels: ['negative', 'neutral', 'positive'] });
  cache = new ModelCache({ threads: 1 });
  model = await cache.model(dir);
});

after(async () => {
  await cache.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

function close(a: number, b: number, what: string, tol = 1e-5) {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

test('fill-mask: a batch and the same texts one by one give the same candidates and probabilities', async () => {
  const batched = await fillMask(model, MASKED, { topK: 4 });
  assert.equal(batched.length, MASKED.length);
  assert.deepEqual(batched.map((r) => r.masks.length), [1, 2, 1, 1]);
  for (let i = 0; i < MASKED.length; i++) {
    const [single] = await fillMask(model, [MASKED[i]], { topK: 4 });
    assert.equal(single.filled, batched[i].filled);
    single.masks.forEach((m, j) => {
      assert.deepEqual(m.candidates.map((c) => c.id), batched[i].masks[j].candidates.map((c) => c.id));
      m.candidates.forEach((c, r) => close(c.score, batched[i].masks[j].candidates[r].score, `text ${i} mask ${j} rank ${r}`));
    });
  }
});

test('fill-mask: probabilities are the softmax of the full-sequence MLM logits at the mask, best first, and the filled text holds the best tokens', async () => {
  const [result] = await fillMask(model, [MASKED[1]], { topK: 5 });
  const batch = model.tokenizer.encodeBatch([MASKED[1]]);
  const positions = model.tokenizer.maskPositions(batch.encodings[0]);
  const { session } = await model.session('mlm-logits');
  const logits = (await session.run({ ...modelInputs(batch) })).logits.data as Float32Array;
  const vocab = model.config.vocab_size;
  positions.forEach((p, j) => {
    const probs = softmax(logits.subarray(p * vocab, (p + 1) * vocab));
    const best = probs.map((s, id) => ({ s, id })).sort((a, b) => b.s - a.s).slice(0, 5);
    assert.deepEqual(result.masks[j].candidates.map((c) => c.id), best.map((b) => b.id));
    result.masks[j].candidates.forEach((c, r) => close(c.score, best[r].s, `mask ${j} rank ${r}`));
    for (let r = 1; r < 5; r++) assert.ok(result.masks[j].candidates[r - 1].score >= result.masks[j].candidates[r].score);
  });
  assert.ok(!result.filled.includes('<mask>'));
  const bestTokens = result.masks.map((m) => m.candidates[0].id);
  const filledIds = batch.encodings[0].ids.map((id, p) => (positions.includes(p) ? bestTokens[positions.indexOf(p)] : id));
  assert.equal(result.filled, model.tokenizer.decode(filledIds, { skipSpecial: true }));
});

test('fill-mask: a text without <mask> is a located user error', async () => {
  await assert.rejects(fillMask(model, ['Hello world', 'no mask here either']), (e: Error) => e.name === 'XlmError' && /text 1 has no <mask>/.test(e.message));
});

test('classify: texts and pairs, a batch equals one by one, probabilities per label of id2label sum to 1', async () => {
  const batched = await classify(model, PAIRS);
  for (let i = 0; i < PAIRS.length; i++) {
    const [single] = await classify(model, [PAIRS[i]]);
    assert.deepEqual(single.map((s) => s.label), batched[i].map((s) => s.label));
    single.forEach((s, r) => close(s.score, batched[i][r].score, `input ${i} ${s.label}`));
    assert.deepEqual([...single.map((s) => s.label)].sort(), ['negative', 'neutral', 'positive']);
    close(single.reduce((a, s) => a + s.score, 0), 1, 'sum');
  }
  // A pair is not its first text alone.
  const [alone] = await classify(model, [{ text: PAIRS[0].text }]);
  assert.ok(Math.abs(alone[0].score - batched[0].find((s) => s.label === alone[0].label)!.score) > 1e-4);
});

test('embed: mean over the real tokens of the last hidden state; a batch equals one by one; normalize gives unit vectors', async () => {
  const texts = ['The capital of France is Paris.', 'Hello', '東京は日本の首都です。'];
  const batched = await embed(model, texts);
  assert.equal(batched.dim, model.config.hidden_size);
  for (let i = 0; i < texts.length; i++) {
    const single = await embed(model, [texts[i]]);
    single.vectors[0].forEach((x, d) => close(x, batched.vectors[i][d], `text ${i} dim ${d}`));
  }
  const batch = model.tokenizer.encodeBatch([texts[1]]);
  const { session } = await model.session('hidden');
  const hidden = (await session.run({ ...modelInputs(batch) })).last_hidden_state.data as Float32Array;
  const h = model.config.hidden_size;
  const n = batch.length;
  for (let d = 0; d < h; d++) {
    let sum = 0;
    for (let t = 0; t < n; t++) sum += hidden[t * h + d];
    close(batched.vectors[1][d], sum / n, `mean dim ${d}`);
  }
  const unit = await embed(model, texts, { normalize: true });
  for (const v of unit.vectors) close(Math.hypot(...v), 1, 'norm');
});
