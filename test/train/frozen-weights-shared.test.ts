// Under LoRA almost every weight is frozen. Each has one copy for the whole run: the array the model builder read,
// fed as a graph input to every session (step and evaluation), never an initializer that onnxruntime would copy
// (XLM-R base LoRA: a 3.1 GB creation peak and a second copy per evaluation session, for 1.1 GB of weights).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanguageEvaluator } from '../../src/engine/eval/training.js';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { writeRandomXlmr } from '../../src/engine/model/random-model.js';
import { collate } from '../../src/engine/train/features.js';
import { modelLoss } from '../../src/engine/train/model-loss.js';
import { StepRunner } from '../../src/engine/train/runner.js';
import { frozenFeeds } from '../../src/engine/train/runner.js';
import { buildEvalGraph, buildStepGraph, COUNTER_INPUT, SEED_INPUT } from '../../src/engine/train/step-graph.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';

const OPTIMIZER = { kind: 'adamw', weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1 } as const;
const SCHEDULE = { kind: 'linear', lr: 1e-2, warmupSteps: 0, totalSteps: 10 } as const;

test('frozen weights are read once per run, are inputs of the step and eval graphs, and every session is fed that one array', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-frozen-shared-'));
  try {
    writeRandomXlmr(dir, { sizes: { vocab_size: 3000, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64, type_vocab_size: 1 }, head: 'seq-cls', seed: 1 });
    const folder = loadModelFolder(dir);
    const reads = new Map<string, Float32Array[]>();
    const weights = Object.create(folder.weights) as typeof folder.weights;
    weights.get = (name, shape, into) => {
      const data = folder.weights.get(name, shape, into);
      reads.set(name, [...(reads.get(name) ?? []), data]);
      return data;
    };
    const model = modelLoss({ head: 'seq-cls', config: folder.config, numLabels: 2, weights, method: 'lora', lora: { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] }, dropout: 0, initSeed: 1 });
    const EMBEDDING = 'roberta.embeddings.word_embeddings.weight';

    // The graphs: the embedding and the attention's frozen projections are inputs, and no float weight is stored.
    for (const built of [buildStepGraph(model.build, { optimizer: OPTIMIZER, schedule: SCHEDULE, gradAccum: 1 }), buildEvalGraph(model.build)]) {
      const frozen = new Map(built.frozen.map((p) => [p.name, p]));
      assert.ok(frozen.has(EMBEDDING) && frozen.has('roberta.encoder.layer.0.attention.self.query.weight'), `${built.graph.name}: the frozen weights are its inputs`);
      assert.ok(!built.trainable.some((p) => frozen.has(p.name)), 'no weight is both trained and frozen');
      const stored = built.graph.initializers.filter((i) => i.tensor.dtype === 'float32' && i.tensor.data.length > 64);
      assert.deepEqual(stored.map((i) => i.value.name), [], `${built.graph.name} stores no weight of its own`);
      assert.equal(frozen.get(EMBEDDING)!.data, reads.get(EMBEDDING)![0], 'the graph is fed the array read from the checkpoint');
    }

    // A run: step session and evaluation session, both fed the one array read from the checkpoint.
    const runner = await StepRunner.create(model.build, { seed: 1, gradAccum: 1, threads: 1, schedule: SCHEDULE, optimizer: OPTIMIZER });
    const evaluator = await LanguageEvaluator.create(model.build, 'seq-cls', { threads: 1 });
    try {
      const rows = [{ ids: [0, 5, 6, 7, 2], label: 0 }, { ids: [0, 9, 10, 2], label: 1 }];
      const before = Float32Array.from(reads.get(EMBEDDING)![0]);
      const head = 'classifier.out_proj.weight';
      const headBefore = Float32Array.from(runner.currentParams().get(head)!);
      for (let i = 0; i < 3; i++) assert.ok(Number.isFinite((await runner.step([collate(rows, 'seq-cls', 1).feeds])).loss), 'a step ran');
      assert.notDeepEqual(runner.currentParams().get(head), headBefore, 'the steps trained the head');
      assert.deepEqual(reads.get(EMBEDDING)![0], before, 'the frozen embedding is untouched by the steps');
      const result = await evaluator.evaluate(rows, runner.currentParams(), { batchSize: 2, padId: 1, labels: ['a', 'b'] });
      assert.ok(Number.isFinite(result.eval.loss), `the evaluation ran on the shared weights: ${JSON.stringify(result.eval)}`);
      assert.equal(reads.get(EMBEDDING)!.length, 1, 'the embedding was read from the checkpoint once for four graphs');
      assert.equal(model.weight(EMBEDDING, [3000, 32]), reads.get(EMBEDDING)![0], 'what the run saves is that same array');
    } finally {
      await runner.release();
      await evaluator.release?.();
      folder.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a graph with its frozen weights baked in (what a GPU session gets) computes what the graph fed them does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-frozen-baked-'));
  try {
    writeRandomXlmr(dir, { sizes: { vocab_size: 500, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64, type_vocab_size: 1 }, head: 'seq-cls', seed: 2 });
    const folder = loadModelFolder(dir);
    try {
      const model = modelLoss({ head: 'seq-cls', config: folder.config, numLabels: 2, weights: folder.weights, method: 'lora', lora: { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] }, dropout: 0, initSeed: 1 });
      const batch = collate([{ ids: [0, 5, 6, 7, 2], label: 0 }, { ids: [0, 9, 10, 2], label: 1 }], 'seq-cls', 1).feeds;
      const outputs: Float32Array[] = [];
      for (const bake of [false, true]) {
        const built = buildEvalGraph(model.build);
        const trainable = Object.fromEntries(built.trainable.map((p) => [p.name, new ort.Tensor('float32', p.initial, p.shape)]));
        if (bake) for (const p of built.frozen) built.graph.bakeInput(p.value, { dtype: 'float32', shape: p.shape, data: p.data });
        const { session } = await createSession(built.graph, { threads: 1 });
        assert.equal(session.inputNames.includes('roberta.embeddings.word_embeddings.weight'), !bake, bake ? 'baked: the weights are no input' : 'fed: the weights are inputs');
        const rng = { [SEED_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []), [COUNTER_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []) };
        const out = await session.run({ ...batch, ...trainable, ...(bake ? {} : frozenFeeds(built.frozen)), ...rng });
        outputs.push(out.logits.data as Float32Array);
        await session.release();
      }
      // Equal up to float rounding: with constant weights onnxruntime may pre-pack or fuse differently.
      assert.equal(outputs[1].length, outputs[0].length);
      outputs[0].forEach((v, i) => assert.ok(Math.abs(v - outputs[1][i]) < 1e-6, `logit ${i}: fed ${v}, baked ${outputs[1][i]}`));
    } finally {
      folder.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
