/**
 * Our side of bench/train.ts, in its own process (so its peak RSS is its own): one XLM-R training step
 * graph (seq-cls, AdamW, clipping) on random weights and ids; prints one JSON line.
 *   node --import tsx bench/train-worker.ts JSON-CONFIG
 */
import { readFileSync } from 'node:fs';
import { Graph } from '../src/engine/graph/graph.js';
import { matmul } from '../src/engine/graph/ops/index.js';
import { loadModelFolder } from '../src/engine/hf/folder.js';
import { hugePageMallocOn } from '../src/client/malloc.js';
import { createSession, ort } from '../src/engine/runtime/session.js';
import { modelLoss } from '../src/engine/train/model-loss.js';
import { StepRunner } from '../src/engine/train/runner.js';

export interface BenchConfig {
  /** A model folder with these sizes (random weights), read like any checkpoint. */
  modelDir: string;
  model: { vocab_size: number; hidden_size: number; num_hidden_layers: number; num_attention_heads: number; intermediate_size: number; max_position_embeddings: number };
  method: 'full' | 'lora';
  batch: number;
  seq: number;
  steps: number;
  /** Untimed steps before the timed ones (default 2). */
  warmup?: number;
  threads: number;
  memArena?: boolean;
  /**
   * onnxruntime's threads spin (default on): the bench runs on a quiet machine, where `xlm train` spins
   * (runner.ts spinWhenIdle); the load the bench's own alternating runs leave in the load average would say otherwise.
   */
  spin?: boolean;
  /** Replaces the config's dropout probabilities (as --dropout). */
  dropout?: number;
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function matmulGflops(threads: number): Promise<number> {
  const g = new Graph('peak');
  const a = g.input('a', 'float32', [1024, 1024]);
  g.output(matmul(a, a), 'c');
  const { session } = await createSession(g, { threads });
  const data = Float32Array.from({ length: 1024 * 1024 }, (_, i) => Math.sin(i));
  const feeds = { a: new ort.Tensor('float32', data, [1024, 1024]) };
  await session.run(feeds);
  const start = performance.now();
  for (let i = 0; i < 10; i++) await session.run(feeds);
  const seconds = (performance.now() - start) / 1000;
  await session.release();
  return (10 * 2 * 1024 ** 3) / seconds / 1e9;
}

async function main() {
  const c = JSON.parse(process.argv[2]) as BenchConfig;
  // A real folder, so frozen weights take the path of a real run (read from disk once, fed to the session as inputs).
  const folder = loadModelFolder(c.modelDir);
  const config = folder.config;
  const model = modelLoss({ head: 'seq-cls', config, numLabels: 2, weights: folder.weights, method: c.method, lora: c.method === 'lora' ? { r: 8, alpha: 16, dropout: 0.1, targets: ['query', 'value'] } : undefined, dropout: c.dropout, initSeed: 1 });
  const built = performance.now();
  const runner = await StepRunner.create(model.build, {
    seed: 1, gradAccum: 1, threads: c.threads, memArena: c.memArena, inPlace: true, spin: c.spin ?? true,
    schedule: { kind: 'linear', lr: 1e-5, warmupSteps: 0, totalSteps: 1000 },
    optimizer: { kind: 'adamw', weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1.0 },
  });
  const setupSeconds = (performance.now() - built) / 1000;
  const ids = new BigInt64Array(c.batch * c.seq).map((_, i) => BigInt(3 + ((i * 7919) % (c.model.vocab_size - 3))));
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [c.batch, c.seq]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(c.batch * c.seq).fill(1n), [c.batch, c.seq]),
    labels: new ort.Tensor('int64', BigInt64Array.from({ length: c.batch }, (_, i) => BigInt(i % 2)), [c.batch]),
  };
  // Untimed warm-up steps: the first ones also page-fault in the step's memory (and, with huge-page malloc, may wait
  // for the kernel to compact memory into 2 MB pages), a cost paid once per run.
  const warmupTimes: number[] = [];
  let t = 0;
  for (let i = 0; i < (c.warmup ?? 2); i++) {
    t = performance.now();
    await runner.step([feeds]);
    warmupTimes.push(+((performance.now() - t) / 1000).toFixed(3));
  }
  const stepTimes: number[] = [];
  const start = performance.now();
  for (let i = 0; i < c.steps; i++) {
    t = performance.now();
    await runner.step([feeds]);
    stepTimes.push(+((performance.now() - t) / 1000).toFixed(3));
  }
  const seconds = (performance.now() - start) / 1000;
  const trainable = runner.trainable.reduce((s, p) => s + p.initial.length, 0);
  await runner.release();
  folder.close();
  const peak = peakRssMb();
  console.log(JSON.stringify({ examples_per_s: (c.steps * c.batch) / seconds, step_s: seconds / c.steps, peak_rss_mb: peak, setup_s: setupSeconds, warmup_step_times_s: warmupTimes, step_times_s: stepTimes, matmul_gflops: await matmulGflops(c.threads), trainable, huge_page_malloc: hugePageMallocOn() }));
}

void main();
