import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { openSafetensors } from '../../src/engine/hf/safetensors.js';
import { readTrainingState } from '../../src/engine/train/checkpoint.js';
import { train } from '../../src/engine/train/train-task.js';
import type { TrainOptions } from '../../src/engine/train/train.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { isXlmError } from '../../src/engine/errors.js';

let root: string;
let base: string;
let data: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-resume-'));
  base = join(root, 'base');
  writeTinyXlmr(base, { head: 'seq-cls', seed: 8, std: 0.1, labels: ['a', 'b'] });
  const words = ['Paris', 'Berlin', 'Madrid', 'cats', 'dogs', 'world', 'capital', 'France'];
  const rows = words.flatMap((w, i) => [0, 1].map((k) => JSON.stringify({ text: `The ${w} is ${k ? 'here' : 'there, and big'}.`, label: (i + k) % 2 ? 'a' : 'b' })));
  data = join(root, 'train.jsonl');
  writeFileSync(data, rows.join('\n') + '\n');
});

after(() => rmSync(root, { recursive: true, force: true }));

function weightsBytes(file: string): Map<string, Buffer> {
  const s = openSafetensors(file);
  try {
    return new Map(s.names().map((n) => [n, Buffer.from(s.readBytes(n))]));
  } finally {
    s.close();
  }
}

const options = (out: string, over: Partial<TrainOptions> = {}): TrainOptions => ({
  model: base, task: 'sequence-classification', train: data, out, lr: 5e-3, batchSize: 3, gradAccum: 2, maxSteps: 6, warmupRatio: 0.3, dropout: 0.1, threads: 2, saveEvery: 3, seed: 7, ...over,
});

test('a run cancelled at step 3 and resumed ends at the same bits as an uninterrupted run (dropout, shuffling, accumulation on)', async () => {
  const whole = join(root, 'whole');
  const wholeLines: Record<string, number>[] = [];
  await train(options(whole), { onMetrics: (m) => wholeLines.push(m as unknown as Record<string, number>) });

  const parts = join(root, 'parts');
  const controller = new AbortController();
  const first = await train(options(parts), { signal: controller.signal, onProgress: (p) => { if (p.phase === 'training' && p.step === 3) controller.abort(); } });
  assert.equal(first.cancelled, true);
  assert.equal(first.steps, 3);
  assert.ok(existsSync(join(parts, 'checkpoint-3', 'training_state.safetensors')), 'cancel wrote a checkpoint');
  const resumedLines: Record<string, number>[] = [];
  const second = await train(options(parts, { resume: true }), { onMetrics: (m) => resumedLines.push(m as unknown as Record<string, number>) });
  assert.equal(second.steps, 6);

  assert.deepEqual(resumedLines.map((l) => l.step), [4, 5, 6]);
  assert.deepEqual(resumedLines.map((l) => [l.loss, l.grad_norm, l.lr]), wholeLines.slice(3).map((l) => [l.loss, l.grad_norm, l.lr]));
  const a = weightsBytes(join(whole, 'model.safetensors'));
  const b = weightsBytes(join(parts, 'model.safetensors'));
  for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs after resume`);
});

test('the same seed and data give bit-identical weights with 2 threads; another seed gives others', async () => {
  const a = join(root, 'det-a');
  const b = join(root, 'det-b');
  const c = join(root, 'det-c');
  await train(options(a, { saveEvery: undefined }));
  await train(options(b, { saveEvery: undefined }));
  await train(options(c, { saveEvery: undefined, seed: 8 }));
  const wa = weightsBytes(join(a, 'model.safetensors'));
  const wb = weightsBytes(join(b, 'model.safetensors'));
  const wc = weightsBytes(join(c, 'model.safetensors'));
  for (const [name, bytes] of wa) assert.ok(bytes.equals(wb.get(name)!), `${name} differs between identical runs`);
  assert.ok([...wa].some(([name, bytes]) => !bytes.equals(wc.get(name)!)));
});

test('--resume refuses a run whose settings changed, naming the setting', async () => {
  await assert.rejects(train(options(join(root, 'parts'), { resume: true, batchSize: 4 })), /batchSize was 3 .* now 4/);
});

test('--resume with other labels, or with a broken trainer_state.json, is refused in words naming the file', async () => {
  // A base model without labels: the labels come from the data.
  const plain = join(root, 'plain');
  writeTinyXlmr(plain, { head: 'mlm', seed: 8, std: 0.1 });
  const out = join(root, 'labels');
  await train(options(out, { model: plain, maxSteps: 3 }));
  const other = join(root, 'three-labels.jsonl');
  writeFileSync(other, ['a', 'b', 'c', 'a', 'b', 'c'].map((l, i) => JSON.stringify({ text: `row ${i}`, label: l })).join('\n') + '\n');
  await assert.rejects(train(options(out, { model: plain, resume: true, train: other, maxSteps: 6 })), (e: unknown) => e instanceof Error && /was trained on the labels a, b; this training data has a, b, c/.test(e.message) && !/classifier\./.test(e.message));
  writeFileSync(join(out, 'checkpoint-3', 'trainer_state.json'), '{');
  await assert.rejects(train(options(out, { model: plain, resume: true, maxSteps: 6 })), (e: unknown) => isXlmError(e) && e.place.file === join(out, 'checkpoint-3', 'trainer_state.json') && e.place.line === 1 && /not valid JSON/.test(e.message));
});

test('a --max-length beyond the model\'s position table is capped there, with a line naming config.json', async () => {
  const positions = loadModelFolder(base).config.max_position_embeddings - 2;
  const long = join(root, 'long-text.jsonl');
  // Rows far longer than the position table: uncapped they would index past it and onnxruntime would fail.
  writeFileSync(long, ['a', 'b', 'a', 'b'].map((label, i) => JSON.stringify({ text: Array.from({ length: 80 }, (_, k) => ['Paris', 'dogs', 'world'][(i + k) % 3]).join(' '), label })).join('\n') + '\n');
  const lines: string[] = [];
  const result = await train(options(join(root, 'too-long'), { train: long, maxLength: positions + 50, saveEvery: undefined, maxSteps: 2 }), { onLog: (l) => lines.push(l) });
  assert.equal(result.steps, 2);
  assert.ok(Number.isFinite(result.lastLoss));
  assert.ok(lines.some((l) => l.includes(`maxLength ${positions + 50} is longer than this model's ${positions} positions`) && l.includes('config.json') && l.endsWith(`using ${positions}`)), lines.join('\n'));
});

test('killing the process at any moment leaves every checkpoint loadable and resumable', async () => {
  const out = join(root, 'killed');
  const cli = join(__dirname, '..', '..', 'src', 'engine', 'cli', 'bin.ts');
  const args = ['--import', 'tsx', cli, 'train', '--model', base, '--task', 'seq-cls', '--train', data, '--out', out, '--lr', '1e-3', '--batch-size', '4', '--max-steps', '60', '--save-every', '1', '--threads', '1'];
  for (const delay of [0, 7, 23, 41]) {
    const child = spawn(process.execPath, [...args, ...(existsSync(join(out, 'checkpoint-1')) ? ['--resume'] : [])], { stdio: 'ignore' });
    // Wait for two more saves, then kill at an offset that lands at different points of the save cycle.
    const count = () => (existsSync(out) ? readdirSync(out).filter((n) => /^checkpoint-\d+$/.test(n)).length : 0);
    const before = count();
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (count() >= before + 2) { clearInterval(poll); setTimeout(resolve, delay); }
      }, 2);
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    for (const name of readdirSync(out).filter((n) => /^checkpoint-\d+$/.test(n))) {
      const dir = join(out, name);
      const folder = loadModelFolder(dir, { head: 'seq-cls', requireHead: true });
      folder.close();
      const step = Number(name.split('-')[1]);
      assert.equal(JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')).global_step, step);
      readTrainingState(dir, step, 0);
    }
  }
  const resumed = await train({ model: base, task: 'sequence-classification', train: data, out, lr: 1e-3, batchSize: 4, maxSteps: 60, saveEvery: 1, threads: 1, resume: true }, {});
  assert.equal(resumed.steps, 60);
  // Steps logged between the last checkpoint and each kill were dropped on resume: every step appears once, in order.
  const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual(steps, Array.from({ length: 60 }, (_, i) => i + 1));
});

test('--resume drops the metrics lines logged after the checkpoint, and a line cut short by a kill', async () => {
  const out = join(root, 'leftover');
  const controller = new AbortController();
  await train(options(out), { signal: controller.signal, onProgress: (p) => { if (p.phase === 'training' && p.step === 3) controller.abort(); } });
  const metrics = join(out, 'metrics.jsonl');
  const atCheckpoint = readFileSync(metrics, 'utf8');
  // What a kill -9 after checkpoint-3 leaves: steps 4 and 5 logged, step 6's line half written.
  writeFileSync(metrics, atCheckpoint + '{"step":4,"epoch":0.7,"loss":9}\n{"step":5,"epoch":0.8,"loss":9}\n{"step":6,"ep');
  const lines: string[] = [];
  await train(options(out, { resume: true }), { onLog: (l) => lines.push(l) });
  const records = readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number });
  assert.deepEqual(records.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
  assert.ok(records.every((r) => r.loss !== 9), 'a stale line survived the resume');
  assert.ok(readFileSync(metrics, 'utf8').startsWith(atCheckpoint));
  assert.ok(lines.some((l) => l.includes('metrics.jsonl: dropped 3 lines logged after step 3')), lines.join('\n'));
});
