// A training step's session holds the frozen weights in onnxruntime's memory; the JS arrays the graph was built from
// must not stay alive beside them until some later GC (at XLM-R base size that was 1 GB more at the first steps' peak).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { writeRandomXlmr } from '../../src/engine/model/random-model.js';
import { modelLoss } from '../../src/engine/train/model-loss.js';
import { StepRunner } from '../../src/engine/train/runner.js';

test('after StepRunner.create the frozen weights live in onnxruntime only: no JS copy is left for a later GC to find', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-runner-frees-'));
  try {
    // A 60,000 × 128 embedding: 31 MB of frozen float32 weights under LoRA.
    writeRandomXlmr(dir, { sizes: { vocab_size: 60000, hidden_size: 128, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 256, max_position_embeddings: 64, type_vocab_size: 1 }, head: 'seq-cls', seed: 1 });
    const folder = loadModelFolder(dir);
    const frozenBytes = 60000 * 128 * 4;
    // The word embedding array the graph is built from, watched without keeping it alive.
    let embedding: WeakRef<Float32Array> | undefined;
    const weights = Object.create(folder.weights) as typeof folder.weights;
    weights.get = (name, shape, into) => {
      const data = folder.weights.get(name, shape, into);
      if (name.endsWith('word_embeddings.weight')) embedding = new WeakRef(data);
      return data;
    };
    const model = modelLoss({ head: 'seq-cls', config: folder.config, numLabels: 2, weights, method: 'lora', lora: { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] }, initSeed: 1 });
    const runner = await StepRunner.create(model.build, {
      seed: 1, gradAccum: 1, threads: 1,
      schedule: { kind: 'linear', lr: 1e-3, warmupSteps: 0, totalSteps: 10 },
      optimizer: { kind: 'adamw', weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1 },
    });
    try {
      assert.ok(embedding, 'the graph read the word embeddings');
      assert.equal(embedding.deref(), undefined, `the ${(frozenBytes / 2 ** 20).toFixed(1)} MB frozen embedding array is still alive in JS after the session was created`);
    } finally {
      await runner.release();
      folder.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
