import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import { modelLossBuilder, type TrainMethod } from '../../src/engine/train/model-loss.js';
import { StepRunner, frozenFeeds } from '../../src/engine/train/runner.js';
import { buildGradientGraph, COUNTER_INPUT, SEED_INPUT } from '../../src/engine/train/step-graph.js';
import { createRng } from '../../src/engine/rng/rng.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runTrainReference, type ReferenceBatch } from '../helpers/train-reference.js';
import type { HeadKind } from '../../src/engine/tasks/vocabulary.js';

const LORA = { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value', 'output.dense'] };

function makeBatch(task: HeadKind, vocab: number, seed: number): ReferenceBatch {
  const rng = createRng(seed);
  const lengths = [7, 5, 3];
  const seq = 7;
  const ids = lengths.map((n) => Array.from({ length: seq }, (_, i) => (i === 0 ? 0 : i === n - 1 ? 2 : i < n ? 3 + rng.int(vocab - 3) : 1)));
  const mask = lengths.map((n) => Array.from({ length: seq }, (_, i) => (i < n ? 1 : 0)));
  const b: ReferenceBatch = { input_ids: ids, attention_mask: mask };
  if (task === 'seq-cls') b.labels = lengths.map(() => rng.int(3));
  if (task === 'token-cls') b.labels = lengths.map((n) => Array.from({ length: seq }, (_, i) => (i > 0 && i < n - 1 && rng.next() < 0.8 ? rng.int(3) : -100)));
  if (task === 'qa') {
    // Some windows hold no answer: start and end point at <s>, position 0.
    b.start_positions = lengths.map((n, r) => (r === 1 ? 0 : 1 + rng.int(n - 2)));
    b.end_positions = b.start_positions.map((s, r) => (s === 0 ? 0 : Math.min(lengths[r] - 2, s + rng.int(3))));
  }
  if (task === 'mlm') {
    b.mlm_positions = [1, 3, 8, 15];
    b.mlm_labels = b.mlm_positions.map(() => 3 + rng.int(vocab - 3));
  }
  return b;
}

function feedsOf(b: ReferenceBatch): Record<string, ort.Tensor> {
  const rows = b.input_ids.length;
  const seq = b.input_ids[0].length;
  const i64 = (v: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), dims);
  const feeds: Record<string, ort.Tensor> = { input_ids: i64(b.input_ids.flat(), [rows, seq]), attention_mask: i64(b.attention_mask.flat(), [rows, seq]) };
  if (b.labels) feeds.labels = i64((b.labels as number[] | number[][]).flat(), Array.isArray(b.labels[0]) ? [rows, seq] : [rows]);
  if (b.start_positions) { feeds.start_positions = i64(b.start_positions, [rows]); feeds.end_positions = i64(b.end_positions!, [rows]); }
  if (b.mlm_positions) { feeds.mlm_positions = i64(b.mlm_positions, [b.mlm_positions.length]); feeds.mlm_labels = i64(b.mlm_labels!, [b.mlm_labels!.length]); }
  return feeds;
}

function setup(task: HeadKind, method: TrainMethod) {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-parity-'));
  const tiny = writeTinyXlmr(dir, { head: task, seed: 5 });
  const folder = loadModelFolder(dir);
  const build = modelLossBuilder({ head: task, config: folder.config, numLabels: 3, weights: folder.weights, method, lora: method === 'lora' ? LORA : undefined, dropout: 0, initSeed: 1 });
  return { dir, tiny, folder, build, cleanup: () => { folder.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** max |ours - theirs| against the tensor's largest reference value (1e-4 relative), absolute near zero. */
function assertTensorClose(name: string, ours: ArrayLike<number>, theirs: number[], rel: number, absFloor: number) {
  assert.equal(ours.length, theirs.length, `${name} size`);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < theirs.length; i++) { scale = Math.max(scale, Math.abs(theirs[i])); err = Math.max(err, Math.abs(ours[i] - theirs[i])); }
  assert.ok(err <= rel * scale || err <= absFloor, `${name}: max error ${err} against max |value| ${scale}`);
}

/**
 * Weights whose gradient is exactly zero in exact arithmetic, so only rounding noise is compared: attention's
 * key.bias (softmax over keys is shift invariant); and for QA, whose softmax runs over positions, anything that adds
 * the same amount to every position's logit: qa_outputs.bias and the last layer's output LayerNorm bias.
 */
function zeroGradient(task: HeadKind, name: string, layers: number): boolean {
  if (name.endsWith('key.bias')) return true;
  return task === 'qa' && (name === 'qa_outputs.bias' || name === `roberta.encoder.layer.${layers - 1}.output.LayerNorm.bias`);
}

const combos: [HeadKind, TrainMethod][] = [['seq-cls', 'full'], ['token-cls', 'full'], ['mlm', 'full'], ['qa', 'full'], ['seq-cls', 'lora'], ['token-cls', 'lora'], ['mlm', 'lora'], ['qa', 'lora']];

for (const [task, method] of combos) {
  test(`${task} ${method}: the gradient of every trainable weight matches PyTorch`, async () => {
    const s = setup(task, method);
    try {
      const built = buildGradientGraph(s.build);
      const { session } = await createSession(built.graph, { threads: 1 });
      const batch = makeBatch(task, s.tiny.vocabSize, 9);
      const params = Object.fromEntries(built.trainable.map((p) => [p.name, new ort.Tensor('float32', p.initial, p.shape)]));
      const out = await session.run({ ...feedsOf(batch), ...params, ...frozenFeeds(built.frozen), [SEED_INPUT]: new ort.Tensor('uint32', Uint32Array.of(1), []), [COUNTER_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []) });
      await session.release();
      const init = Object.fromEntries(built.trainable.map((p) => [p.name, Array.from(p.initial)]));
      const ref = runTrainReference<{ loss: number; grads: Record<string, number[]> }>({ model: s.dir, task, mode: 'grads', init, lora: method === 'lora' ? LORA : null, batches: [[batch]] });
      assert.ok(Math.abs(Number(out.loss.data[0]) - ref.loss) < 1e-5 * Math.max(1, ref.loss), `loss ${out.loss.data[0]} vs ${ref.loss}`);
      if (method === 'lora') assert.ok(built.trainable.some((p) => p.name.endsWith('lora_A.weight')) && built.trainable.every((p) => /lora_|^classifier\.|^lm_head\.|^qa_outputs\./.test(p.name)), 'LoRA trains its matrices and the head only');
      for (const p of built.trainable) {
        // attention.self.key.bias has an exactly-zero gradient in exact arithmetic (softmax shift invariance).
        assertTensorClose(p.name, out[`grad.${p.name}`].data as Float32Array, ref.grads[p.name], 1e-4, zeroGradient(task, p.name, s.folder.config.num_hidden_layers) ? 1e-6 : 1e-9);
      }
    } finally {
      s.cleanup();
    }
  });
}

for (const [task, method] of combos.filter(([t]) => t !== 'token-cls')) {
  test(`${task} ${method}: weights after 5 AdamW steps match PyTorch`, async () => {
    const s = setup(task, method);
    try {
      const schedule = { kind: 'linear' as const, lr: 1e-3, warmupSteps: 1, totalSteps: 5 };
      const optimizer = { kind: 'adamw' as const, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1.0 };
      const runner = await StepRunner.create(s.build, { seed: 1, threads: 1, gradAccum: 1, schedule, optimizer });
      const batches = Array.from({ length: 5 }, (_, i) => [makeBatch(task, s.tiny.vocabSize, 20 + i)]);
      const init = Object.fromEntries(runner.trainable.map((p) => [p.name, Array.from(p.initial)]));
      for (const micro of batches) await runner.step(micro.map(feedsOf));
      const ours = runner.currentParams();
      const hp = { optimizer: 'adamw', lr: schedule.lr, weight_decay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, max_grad_norm: 1.0, schedule: 'linear', warmup_steps: 1, total_steps: 5 };
      const ref = runTrainReference<{ weights: Record<string, number[]> }>({ model: s.dir, task, mode: 'train', init, lora: method === 'lora' ? LORA : null, batches, hp });
      // key.bias (and QA's shift-invariant biases): their gradient is rounding noise around an exact zero, which
      // Adam's normalisation turns into steps of up to lr in either direction; they can only be held to that bound.
      for (const [name, data] of ours) assertTensorClose(name, data, ref.weights[name], 1e-4, zeroGradient(task, name, s.folder.config.num_hidden_layers) ? 5 * schedule.lr : 1e-9);
      await runner.release();
    } finally {
      s.cleanup();
    }
  });
}

test('XLM-R steps written in place equal ping-pong steps bit for bit (dropout on)', async () => {
  const results: Map<string, Float32Array>[] = [];
  for (const inPlace of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'xlm-inplace-'));
    try {
      const tiny = writeTinyXlmr(dir, { head: 'seq-cls', seed: 5 });
      const folder = loadModelFolder(dir);
      const build = modelLossBuilder({ head: 'seq-cls', config: folder.config, numLabels: 3, weights: folder.weights, method: 'full', dropout: 0.1, initSeed: 1 });
      const runner = await StepRunner.create(build, { seed: 3, threads: 1, gradAccum: 1, inPlace, schedule: { kind: 'linear', lr: 1e-3, warmupSteps: 1, totalSteps: 4 }, optimizer: { kind: 'adamw', weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1.0 } });
      for (let i = 0; i < 4; i++) await runner.step([feedsOf(makeBatch('seq-cls', tiny.vocabSize, 40 + i))]);
      results.push(new Map([...runner.currentParams()].map(([n, d]) => [n, Float32Array.from(d)])));
      await runner.release();
      folder.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  for (const [name, data] of results[0]) assert.ok(Buffer.from(data.buffer).equals(Buffer.from(results[1].get(name)!.buffer)), `${name} differs`);
});
