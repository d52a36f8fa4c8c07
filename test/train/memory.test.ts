// A training run's peak memory is estimated before it starts, and a run that will not fit the memory limit
// (--memory-limit-mb, xlm.memoryLimitMB over train/start) or the machine is refused with the figure and what fits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isXlmError } from '../../src/engine/errors.js';
import { checkTrainingMemory, estimateTrainingMemory, type MemoryEstimateInput } from '../../src/engine/train/memory.js';
import { train } from '../../src/engine/train/train-task.js';
import { runXlm } from '../helpers/cli.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

const XLMR_BASE = { vocab_size: 250002, hidden_size: 768, num_hidden_layers: 12, intermediate_size: 3072, num_attention_heads: 12, max_position_embeddings: 514, type_vocab_size: 1 };
const base = (over: Partial<MemoryEstimateInput> = {}): MemoryEstimateInput => ({
  config: XLMR_BASE, task: 'seq-cls', method: 'full', loraR: 8, loraTargets: ['query', 'value'], batchSize: 16, maxLength: 128, optimizer: 'adamw', inPlace: true, ...over,
});

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-memory-'));
  writeTinyXlmr(join(root, 'model'), { head: 'seq-cls', labels: ['a', 'b'] });
  writeFileSync(join(root, 'train.jsonl'), ['x y', 'y z', 'z x', 'x x'].map((text, i) => JSON.stringify({ text, label: i % 2 ? 'a' : 'b' })).join('\n') + '\n');
});
after(() => rmSync(root, { recursive: true, force: true }));

test('XLM-R base: 278 million parameters; full fine-tuning needs several GB and LoRA saves the optimizer\'s share', () => {
  // Batch 8 x 128, bench/train.ts's base setting, where issue 19 saw full fine-tuning peak at 9.1 GB.
  const full = estimateTrainingMemory(base({ batchSize: 8 }));
  const lora = estimateTrainingMemory(base({ batchSize: 8, method: 'lora' }));
  assert.ok(Math.abs(full.parameters - 278e6) < 2e6, `${full.parameters} parameters`);
  assert.equal(full.trainable, full.parameters);
  assert.ok(lora.trainable < 2e6, `${lora.trainable} trainable with LoRA r 8`);
  assert.ok(full.totalMB > 8_000 && full.totalMB < 11_000, `full fine-tuning ${full.totalMB} MB`);
  assert.ok(lora.totalMB < full.totalMB - 4_000, `LoRA ${lora.totalMB} MB`);
  assert.ok(estimateTrainingMemory(base({ batchSize: 16 })).activationsMB > 1.9 * full.activationsMB);
  assert.ok(estimateTrainingMemory(base({ batchSize: 8, maxLength: 512 })).activationsMB > 4 * full.activationsMB);
  assert.ok(estimateTrainingMemory(base({ batchSize: 8, task: 'mlm' })).totalMB > full.totalMB + 1_000, 'full masked-LM trains the tied embedding densely');
});

test('a run over the limit is refused with the estimate and changes that fit, each of which does fit', () => {
  const limit = 9_000;
  const input = base({ batchSize: 8 });
  let message = '';
  assert.throws(() => checkTrainingMemory(input, limit), (e: unknown) => {
    message = String(e);
    return isXlmError(e) && e.code === 'train/memory';
  });
  const needed = Math.round(estimateTrainingMemory(input).totalMB);
  assert.match(message, new RegExp(`needs about ${needed} MB at its peak .* more than the memory limit of 9000 MB`));
  const batch = /batchSize (\d+) \(with gradAccum (\d+)/.exec(message);
  const length = /maxLength (\d+)/.exec(message);
  assert.ok(batch && length && /LoRA \(method lora\)/.test(message), message);
  assert.equal(Number(batch[1]) * Number(batch[2]), 8);
  assert.ok(estimateTrainingMemory({ ...input, batchSize: Number(batch[1]) }).totalMB <= limit);
  assert.ok(estimateTrainingMemory({ ...input, maxLength: Number(length[1]) }).totalMB <= limit);
  assert.ok(estimateTrainingMemory({ ...input, method: 'lora' }).totalMB <= limit);
  // Without a limit, the machine's memory is the limit.
  assert.throws(() => checkTrainingMemory(input, undefined, 2_048), /more than this machine's 2048 MB of memory/);
  assert.equal(checkTrainingMemory(input, undefined, 64_000).limitMB, 64_000);
  assert.throws(() => checkTrainingMemory(input, 300, 64_000), /Even LoRA with batch size 1 and length 32 needs about \d+ MB: use a smaller model/);
});

test('train() refuses before it reads the data or writes anything; --memory-limit-mb does it from the CLI', async () => {
  const out = join(root, 'refused');
  await assert.rejects(train({ model: join(root, 'model'), task: 'sequence-classification', train: join(root, 'train.jsonl'), out, memoryLimitMB: 50 }), (e: unknown) => isXlmError(e) && e.code === 'train/memory');
  assert.equal(existsSync(out), false);
  const r = await runXlm(['train', '--model', join(root, 'model'), '--task', 'seq-cls', '--train', join(root, 'train.jsonl'), '--out', out, '--memory-limit-mb', '50']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /this run needs about \d+ MB at its peak .* more than the memory limit of 50 MB/);
  const fits = await runXlm(['train', '--model', join(root, 'model'), '--task', 'seq-cls', '--train', join(root, 'train.jsonl'), '--out', out, '--memory-limit-mb', '100000', '--max-steps', '1']);
  assert.equal(fits.code, 0, fits.stderr);
  assert.match(fits.stderr, /estimated peak memory \d+ MB of the memory limit of 100000 MB/);
  assert.match(fits.stderr, /peak memory of this process \d+ MB \(estimated \d+ MB\)/);
});
