import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { StepRunner, type RunnerOptions } from '../../src/engine/train/runner.js';
import { toyBatches, toyBuilder, toyFeeds, toyWeights, TOY_SHAPES, type ToyBatch } from '../helpers/toy-mlp.js';

const base = (over: Partial<RunnerOptions> = {}): RunnerOptions => ({
  seed: 42, threads: 1, gradAccum: 1,
  optimizer: { kind: 'adamw', weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1.0 },
  schedule: { kind: 'linear', lr: 0.05, warmupSteps: 2, totalSteps: 6 },
  ...over,
});

async function runToy(opts: RunnerOptions, steps: ToyBatch[][], dropout = 0) {
  const runner = await StepRunner.create(toyBuilder(toyWeights(7), dropout), opts);
  const log = [];
  for (const micro of steps) log.push(await runner.step(micro.map(toyFeeds)));
  const params = new Map([...runner.currentParams()].map(([n, d]) => [n, Float32Array.from(d)]));
  await runner.release();
  return { log, params };
}

function torchReference(opts: RunnerOptions, steps: ToyBatch[][]) {
  const weights = Object.fromEntries([...toyWeights(7)].map(([n, d]) => [n, { shape: TOY_SHAPES[n], data: Array.from(d) }]));
  const o = opts.optimizer;
  const hp = { optimizer: o.kind, lr: opts.schedule.lr, weight_decay: o.weightDecay, beta1: o.beta1, beta2: o.beta2, eps: o.eps, max_grad_norm: o.maxGradNorm, schedule: opts.schedule.kind, warmup_steps: opts.schedule.warmupSteps, total_steps: opts.schedule.totalSteps };
  const r = spawnSync('/usr/bin/python3', [join(__dirname, '..', 'helpers', 'torch_mlp.py')], { input: JSON.stringify({ weights, steps, hp }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { weights: Record<string, number[]>; log: { loss: number; grad_norm: number; lr: number }[] };
}

function assertClose(ours: Map<string, Float32Array>, theirs: Record<string, number[]>, rel: number) {
  for (const [name, data] of ours) {
    const ref = theirs[name];
    data.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) <= rel * Math.max(1e-2, Math.abs(ref[i])), `${name}[${i}]: ${v} vs PyTorch ${ref[i]}`));
  }
}

const cases: [string, Partial<RunnerOptions>][] = [
  ['AdamW with clipping, decay and linear warm-up/decay', {}],
  ['AdamW with a constant schedule and no clipping', { schedule: { kind: 'constant', lr: 0.02, warmupSteps: 0, totalSteps: 6 }, optimizer: { kind: 'adamw', weightDecay: 0.1, beta1: 0.8, beta2: 0.99, eps: 1e-6, maxGradNorm: 0 } }],
  ['SGD with weight decay', { optimizer: { kind: 'sgd', weightDecay: 0.01, beta1: 0, beta2: 0, eps: 0, maxGradNorm: 0.5 } }],
  ['AdamW with 2 accumulated micro-batches', { gradAccum: 2 }],
];

for (const [name, over] of cases) {
  test(`${name}: 5 steps end at PyTorch's weights, losses, norms and learning rates`, async () => {
    const opts = base(over);
    const k = opts.gradAccum;
    const batches = toyBatches(5 * k, 6, 3);
    const steps = Array.from({ length: 5 }, (_, s) => batches.slice(s * k, s * k + k));
    const ours = await runToy(opts, steps);
    const theirs = torchReference(opts, steps);
    assertClose(ours.params, theirs.weights, 1e-4);
    ours.log.forEach((l, i) => {
      const t = theirs.log[i];
      assert.ok(Math.abs(l.loss - t.loss) < 1e-5 * Math.max(1, t.loss), `step ${i + 1} loss ${l.loss} vs ${t.loss}`);
      assert.ok(Math.abs(l.lr - t.lr) < 1e-7, `step ${i + 1} lr ${l.lr} vs ${t.lr}`);
      if (opts.optimizer.maxGradNorm > 0) assert.ok(Math.abs(l.gradNorm - t.grad_norm) < 1e-4 * t.grad_norm, `step ${i + 1} grad norm ${l.gradNorm} vs ${t.grad_norm}`);
    });
  });
}

test('a learnable toy task reaches near-zero training loss', async () => {
  const batches = toyBatches(1, 24, 11);
  const steps = Array.from({ length: 300 }, () => batches);
  const { log } = await runToy(base({ schedule: { kind: 'constant', lr: 0.03, warmupSteps: 0, totalSteps: 300 }, optimizer: { kind: 'adamw', weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 0 } }), steps);
  assert.ok(log[0].loss > 0.5, `starts high: ${log[0].loss}`);
  assert.ok(log[log.length - 1].loss < 0.01, `ends near zero: ${log[log.length - 1].loss}`);
});

test('the same seed and data give bit-identical weights, with dropout on; another seed does not', async () => {
  const batches = toyBatches(4, 8, 5).map((b) => [b]);
  const a = await runToy(base(), batches, 0.3);
  const b = await runToy(base(), batches, 0.3);
  const c = await runToy(base({ seed: 43 }), batches, 0.3);
  for (const [name, data] of a.params) {
    assert.deepEqual(Buffer.from(data.buffer), Buffer.from(b.params.get(name)!.buffer), `${name} differs between identical runs`);
  }
  assert.ok([...a.params].some(([name, data]) => !Buffer.from(data.buffer).equals(Buffer.from(c.params.get(name)!.buffer))), 'another seed changes the dropout masks and so the weights');
});

test('writing updates over their inputs (inPlace) gives the same bits as ping-pong buffers, with accumulation and dropout', async () => {
  const batches = toyBatches(8, 6, 9);
  const steps = [0, 1, 2, 3].map((s) => batches.slice(2 * s, 2 * s + 2));
  const pingPong = await runToy(base({ gradAccum: 2 }), steps, 0.2);
  const inPlace = await runToy(base({ gradAccum: 2, inPlace: true }), steps, 0.2);
  for (const [name, data] of pingPong.params) assert.ok(Buffer.from(data.buffer).equals(Buffer.from(inPlace.params.get(name)!.buffer)), `${name} differs`);
  assert.deepEqual(inPlace.log, pingPong.log);
});
