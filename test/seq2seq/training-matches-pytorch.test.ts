// Translation training against the plain-PyTorch reference (test/helpers/reference_hf_seq2seq.py): the gradient
// of every trainable weight under label-smoothed, padding-ignoring cross-entropy, and the weights after 5 AdamW
// steps, for full fine-tuning and for LoRA on the attention and feed-forward projections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import { loadSeq2SeqConfig } from '../../src/engine/seq2seq/config.js';
import { collatePairs, type PairFeature } from '../../src/engine/seq2seq/features.js';
import { translationLoss } from '../../src/engine/seq2seq/loss.js';
import { openSeq2SeqWeights } from '../../src/engine/seq2seq/weights.js';
import { StepRunner, frozenFeeds } from '../../src/engine/train/runner.js';
import { buildGradientGraph, COUNTER_INPUT, SEED_INPUT } from '../../src/engine/train/step-graph.js';
import { createRng } from '../../src/engine/rng/rng.js';
import { runHfReference, writeTinyHfSeq2Seq, type TinyFamily } from '../helpers/tiny-hf-seq2seq.js';

const LORA = { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'fc1', 'fc2'] };
const SMOOTHING = 0.1;

/** Three pairs of different source and target lengths (so both sides are padded), ids drawn from the vocabulary. */
function pairs(vocab: number, seed: number, firstLabel?: number): PairFeature[] {
  const rng = createRng(seed);
  const word = () => 4 + rng.int(vocab - 4);
  return [[5, 4], [3, 6], [6, 2]].map(([s, t]) => ({
    source: [...Array.from({ length: s }, word), 2],
    labels: [...(firstLabel === undefined ? [] : [firstLabel]), ...Array.from({ length: t }, word), 2],
  }));
}

function asArrays(feeds: Record<string, ort.Tensor>) {
  const rows = (t: ort.Tensor) => { const [r, c] = t.dims; const d = Array.from(t.data as BigInt64Array, Number); return Array.from({ length: r }, (_, i) => d.slice(i * c, (i + 1) * c)); };
  return { input_ids: rows(feeds.input_ids), attention_mask: rows(feeds.attention_mask), decoder_input_ids: rows(feeds.decoder_input_ids), labels: rows(feeds.labels) };
}

function assertClose(name: string, ours: ArrayLike<number>, theirs: number[], rel: number, absFloor: number) {
  assert.equal(ours.length, theirs.length, `${name} size`);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < theirs.length; i++) { scale = Math.max(scale, Math.abs(theirs[i])); err = Math.max(err, Math.abs(ours[i] - theirs[i])); }
  assert.ok(err <= rel * scale || err <= absFloor, `${name}: max error ${err} against max |value| ${scale}`);
}

function setup(family: TinyFamily, method: 'full' | 'lora') {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-s2s-train-'));
  const tiny = writeTinyHfSeq2Seq(dir, family, { seed: 7 });
  const config = loadSeq2SeqConfig(dir);
  const weights = openSeq2SeqWeights(dir, config);
  const loss = translationLoss({ config, weights, method, lora: method === 'lora' ? LORA : undefined, labelSmoothing: SMOOTHING, dropout: 0, initSeed: 1 });
  const firstLabel = family === 'm2m100' ? tiny.vocabSize - 2 : undefined;
  return { dir, tiny, config, loss, firstLabel, cleanup: () => { weights.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const combos: [TinyFamily, 'full' | 'lora'][] = [['marian', 'full'], ['m2m100', 'full'], ['marian', 'lora'], ['m2m100', 'lora']];

for (const [family, method] of combos) {
  test(`${family} ${method}: the gradient of every trainable weight matches PyTorch (label smoothing ${SMOOTHING})`, async () => {
    const s = setup(family, method);
    try {
      const built = buildGradientGraph(s.loss.build);
      if (method === 'full') assert.ok(!built.trainable.some((p) => p.name === 'final_logits_bias' || p.name.includes('embed_positions')), 'buffers are not trained');
      else assert.ok(built.trainable.length === 2 * (2 * 6 + 2 * 10) && built.trainable.every((p) => /lora_[AB]/.test(p.name)), `LoRA trains its matrices only (${built.trainable.length})`);
      const { session } = await createSession(built.graph, { threads: 1 });
      const batch = collatePairs(pairs(s.tiny.vocabSize, 9, s.firstLabel), s.config);
      const params = Object.fromEntries(built.trainable.map((p) => [p.name, new ort.Tensor('float32', p.initial, p.shape)]));
      const out = await session.run({ ...batch.feeds, ...params, ...frozenFeeds(built.frozen), [SEED_INPUT]: new ort.Tensor('uint32', Uint32Array.of(1), []), [COUNTER_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []) });
      await session.release();
      const init = Object.fromEntries(built.trainable.map((p) => [p.name, Array.from(p.initial)]));
      const ref = runHfReference<{ loss: number; grads: Record<string, number[]> }>({ command: 'grads', dir: s.dir, init, lora: method === 'lora' ? LORA : null, batches: [[asArrays(batch.feeds)]], label_smoothing: SMOOTHING });
      assert.ok(Math.abs(Number(out.loss.data[0]) - ref.loss) < 1e-5 * Math.max(1, ref.loss), `loss ${out.loss.data[0]} vs ${ref.loss}`);
      for (const p of built.trainable) {
        // k_proj biases get an exactly-zero gradient in exact arithmetic (softmax is shift-invariant).
        assertClose(p.name, out[`grad.${p.name}`].data as Float32Array, ref.grads[p.name], 1e-4, p.name.endsWith('k_proj.bias') ? 1e-6 : 1e-9);
      }
    } finally {
      s.cleanup();
    }
  });

  test(`${family} ${method}: weights after 5 AdamW steps match PyTorch`, async () => {
    const s = setup(family, method);
    try {
      const schedule = { kind: 'linear' as const, lr: 1e-3, warmupSteps: 1, totalSteps: 5 };
      const optimizer = { kind: 'adamw' as const, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1.0 };
      const runner = await StepRunner.create(s.loss.build, { seed: 1, threads: 1, gradAccum: 1, schedule, optimizer });
      const batches = Array.from({ length: 5 }, (_, i) => collatePairs(pairs(s.tiny.vocabSize, 20 + i, s.firstLabel), s.config));
      const init = Object.fromEntries(runner.trainable.map((p) => [p.name, Array.from(p.initial)]));
      for (const b of batches) await runner.step([b.feeds]);
      const ours = runner.currentParams();
      await runner.release();
      const hp = { optimizer: 'adamw', lr: schedule.lr, weight_decay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, max_grad_norm: 1.0, schedule: 'linear', warmup_steps: 1, total_steps: 5 };
      const ref = runHfReference<{ weights: Record<string, number[]> }>({ command: 'train', dir: s.dir, init, lora: method === 'lora' ? LORA : null, batches: batches.map((b) => [asArrays(b.feeds)]), label_smoothing: SMOOTHING, hp });
      let moved = 0;
      for (const [name, data] of ours) {
        // k_proj.bias: rounding noise around an exact-zero gradient, which Adam's normalisation turns into steps of up to lr.
        assertClose(name, data, ref.weights[name], 1e-4, name.endsWith('k_proj.bias') ? 5 * schedule.lr : 1e-9);
        moved = Math.max(moved, ...Array.from(data, (v, i) => Math.abs(v - init[name][i])));
      }
      assert.ok(moved > 1e-3, `training moved the weights (max change ${moved})`);
    } finally {
      s.cleanup();
    }
  });
}
