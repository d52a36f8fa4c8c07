import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { modelLoss } from '../../src/engine/train/model-loss.js';
import { Graph } from '../../src/engine/graph/graph.js';
import { train } from '../../src/engine/train/train-task.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runTrainReference, type ReferenceBatch } from '../helpers/train-reference.js';
import { readAllFloat32 } from '../helpers/safetensors.js';

const TEXTS = ['The capital of France is Paris.', 'Berlin is the capital of Germany!', 'Le café est très naïve à Paris.', 'El niño está en Madrid, España.', 'Hello world, this is a test: 12 cats and 3 dogs.', 'Москва — столица России.', 'The cats.', 'Die Hauptstadt von Deutschland ist Berlin, über alles.', 'Paris.', 'The dogs and the cats of Madrid.'];
const LABELS = ['b', 'a', 'c', 'a', 'b', 'c', 'a', 'a', 'b', 'c'];


for (const method of ['full', 'lora'] as const) {
  test(`train() with --dropout 0 --no-shuffle (${method}): weights after 5 AdamW steps match PyTorch on the same batches`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'xlm-run-parity-'));
    try {
      const model = join(root, 'model');
      writeTinyXlmr(model, { head: 'seq-cls', seed: 12, labels: ['LABEL_0', 'LABEL_1', 'LABEL_2'] });
      writeFileSync(join(root, 'train.jsonl'), TEXTS.map((text, i) => JSON.stringify({ text, label: LABELS[i] })).join('\n') + '\n');
      const lora = { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] };
      const opts = { model, task: 'sequence-classification' as const, train: join(root, 'train.jsonl'), out: join(root, 'out'), method, loraR: 4, loraAlpha: 8, loraDropout: 0, loraTargets: lora.targets, dropout: 0, shuffle: false, maxSteps: 5, batchSize: 4, lr: 2e-3, warmupRatio: 0.2, weightDecay: 0.01, maxGradNorm: 1.0, seed: 42, threads: 1, device: 'cpu' as const };
      await train(opts);

      // The same batches, built independently: file order, 4 rows each, 3 per epoch (4, 4, 2), labels in sorted order.
      const tokenizer = XlmTokenizer.fromFolder(model);
      const rows = TEXTS.map((t) => tokenizer.encode(t).ids);
      const ids = ['a', 'b', 'c'];
      const batchOf = (indices: number[]): ReferenceBatch => {
        const seq = Math.max(...indices.map((i) => rows[i].length));
        return {
          input_ids: indices.map((i) => [...rows[i], ...new Array(seq - rows[i].length).fill(1)]),
          attention_mask: indices.map((i) => [...rows[i].map(() => 1), ...new Array(seq - rows[i].length).fill(0)]),
          labels: indices.map((i) => ids.indexOf(LABELS[i])),
        };
      };
      const epoch = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]];
      const steps = [epoch[0], epoch[1], epoch[2], epoch[0], epoch[1]].map((b) => [batchOf(b)]);

      // Initial values of the trainable weights, as train() drew or loaded them (LoRA's A from the seed).
      const folder = loadModelFolder(model);
      const built = modelLoss({ head: 'seq-cls', config: folder.config, numLabels: 3, weights: folder.weights, method, lora: method === 'lora' ? lora : undefined, dropout: 0, initSeed: 42 });
      const g = new Graph('init');
      const { trainable } = built.build(g, { seed: g.input('seed', 'uint32', []), counter: g.input('counter', 'uint32', []) });
      const init = Object.fromEntries(trainable.map((p) => [p.name, Array.from(p.initial)]));
      folder.close();

      const hp = { optimizer: 'adamw', lr: 2e-3, weight_decay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, max_grad_norm: 1.0, schedule: 'linear', warmup_steps: 1, total_steps: 5 };
      const ref = runTrainReference<{ weights: Record<string, number[]> }>({ model, task: 'seq-cls', mode: 'train', init, lora: method === 'lora' ? lora : null, batches: steps, hp });

      const saved = method === 'full' ? readAllFloat32(join(root, 'out', 'model.safetensors')) : new Map([...readAllFloat32(join(root, 'out', 'adapter_model.safetensors'))].map(([k, v]) => [k.replace(/^base_model\.model\./, ''), v]));
      for (const [name, expected] of Object.entries(ref.weights)) {
        const ours = saved.get(name);
        assert.ok(ours, `${name} saved`);
        let err = 0;
        let scale = 0;
        expected.forEach((v, i) => { err = Math.max(err, Math.abs(ours[i] - v)); scale = Math.max(scale, Math.abs(v)); });
        const floor = name.endsWith('key.bias') ? 5 * 2e-3 : 1e-9; // key.bias: Adam on a zero-in-exact-arithmetic gradient
        assert.ok(err <= 1e-4 * scale || err <= floor, `${name}: max error ${err} against max |value| ${scale}`);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
