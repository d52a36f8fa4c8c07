/**
 * Where a training step's time goes: runs bench/train.ts's worker (our step alone, the same graph, batch and
 * sizes) with onnxruntime's profiler on, then sums the step session's kernel times by op type over the timed steps
 * (the warm-up steps left out) and prints each op type's milliseconds per step and share, heaviest first, with the
 * step's wall time beside the kernels' sum (the rest is onnxruntime's own work between kernels).
 *
 *   npx tsx bench/train-profile.ts [--size small|base] [--method full|lora] [--steps N] [--threads N] [--top N]
 *
 * Profiling adds a little time to every kernel; compare shares, not absolute times, with unprofiled runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { withHugePageMalloc } from '../src/client/malloc.js';
import { XLMR_BASE_SIZES, writeRandomXlmr } from '../src/engine/model/random-model.js';
import type { BenchConfig } from './train-worker.js';

const { values } = parseArgs({ options: { size: { type: 'string' }, method: { type: 'string' }, steps: { type: 'string' }, threads: { type: 'string' }, top: { type: 'string' } } });
const SIZE = values.size ?? 'small';
const METHOD = (values.method ?? 'lora') as 'full' | 'lora';
if (SIZE !== 'small' && SIZE !== 'base') throw new Error(`--size is small or base, got ${SIZE}`);
if (METHOD !== 'full' && METHOD !== 'lora') throw new Error(`--method is full or lora, got ${METHOD}`);
const WARMUP = 2;

// bench/train.ts's sizes, batches and folders.
const SMALL = { vocab_size: 32000, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: 514, type_vocab_size: 1 };
const model = SIZE === 'base' ? XLMR_BASE_SIZES : SMALL;
const modelDir = join(__dirname, '..', '.cache', 'bench', SIZE === 'base' ? 'xlmr-base-random' : 'train-small');
if (!existsSync(join(modelDir, 'model.safetensors'))) writeRandomXlmr(modelDir, { sizes: model, seed: 1 });
const config: BenchConfig = {
  modelDir, model, method: METHOD, batch: SIZE === 'base' ? 8 : 16, seq: 128,
  steps: Number(values.steps ?? (SIZE === 'base' ? 3 : 5)), warmup: WARMUP, threads: Number(values.threads ?? 2),
};

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string };
}

const dir = mkdtempSync(join(tmpdir(), 'xlm-train-profile-'));
try {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'train-worker.ts'), JSON.stringify(config)], {
    encoding: 'utf8',
    env: withHugePageMalloc({ ...process.env, XLM_ORT_PROFILE: join(dir, 'trace') }),
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) throw new Error(`the worker failed: ${run.stderr.slice(-2000)}`);
  const measured = JSON.parse(run.stdout.trim().split('\n').pop()!) as { step_s: number };
  // One trace per session: the step's has the most kernels (the worker's matmul probe, one MatMul, has its own).
  const traces = readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as TraceEvent[]);
  const runsOf = (t: TraceEvent[]) => t.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const kernelCount = (t: TraceEvent[]) => t.filter((e) => e.cat === 'Node').length;
  const trace = traces.sort((a, b) => kernelCount(b) - kernelCount(a))[0];
  const runs = runsOf(trace).sort((a, b) => a.ts! - b.ts!);
  const timed = runs.slice(WARMUP);
  if (timed.length === 0) throw new Error(`the trace has ${runs.length} runs, none after the ${WARMUP} warm-up steps`);
  const inTimed = (e: TraceEvent) => timed.some((r) => e.ts! >= r.ts! && e.ts! <= r.ts! + r.dur!);
  const byOp = new Map<string, { us: number; count: number }>();
  for (const e of trace) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !inTimed(e)) continue;
    const op = e.args?.op_name ?? '?';
    const entry = byOp.get(op) ?? { us: 0, count: 0 };
    entry.us += e.dur ?? 0;
    entry.count++;
    byOp.set(op, entry);
  }
  const perStep = (us: number) => us / 1000 / timed.length;
  const kernels = [...byOp.values()].reduce((s, e) => s + e.us, 0);
  const wall = timed.reduce((s, r) => s + r.dur!, 0);
  const rows = [...byOp].sort((a, b) => b[1].us - a[1].us).slice(0, Number(values.top ?? 15));
  const lines = [
    `${SIZE}, ${METHOD}, batch ${config.batch} x ${config.seq}, ${config.threads} threads: ${timed.length} profiled steps after ${WARMUP} warm-up steps`,
    `step (session.run) ${perStep(wall).toFixed(0)} ms, kernels ${perStep(kernels).toFixed(0)} ms of it (${((100 * kernels) / wall).toFixed(0)}%); the worker's own step time ${(measured.step_s * 1000).toFixed(0)} ms (profiler on)`,
    '',
    `${'op'.padEnd(28)} ${'ms/step'.padStart(9)} ${'share'.padStart(6)} ${'nodes/step'.padStart(10)}`,
    ...rows.map(([op, e]) => `${op.padEnd(28)} ${perStep(e.us).toFixed(1).padStart(9)} ${`${((100 * e.us) / kernels).toFixed(1)}%`.padStart(6)} ${String(Math.round(e.count / timed.length)).padStart(10)}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
