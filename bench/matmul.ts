/**
 * Why onnxruntime's MatMul trails OpenBLAS on this CPU, measured (bench/matmul-notes.md has the reading): one float32
 * product C = A B, timed in the same run for
 * - onnxruntime-node (MLAS): B a graph input (packed on every run, as a training step's products are) and B a constant
 *   initializer (pre-packed once at session load, as frozen inference weights are), 1 and 2 intra-op threads, the
 *   pool spinning (onnxruntime's default) or not;
 * - PyTorch's torch.mm (OpenBLAS with the kernels it picks by itself; its core is printed), 1 and 2 threads.
 * Sizes: 1024³ (the probe bench/train.ts prints) and the shapes of a base-size training step with batch 8 × 128
 * tokens: [1024, 768] × [768, 768] (attention projections) and [1024, 768] × [768, 3072] (feed-forward).
 * Medians of --runs rounds (default 5) of --reps products each (default 10), interleaved.
 *
 *   npx tsx bench/matmul.ts [--runs 5] [--reps 10]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Graph } from '../src/engine/graph/graph.js';
import { matmul } from '../src/engine/graph/ops/index.js';
import { createSession, ort } from '../src/engine/runtime/session.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, reps: { type: 'string', default: '10' } } });
const RUNS = Number(values.runs);
const REPS = Number(values.reps);
const SHAPES: [number, number, number][] = [[1024, 1024, 1024], [1024, 768, 768], [1024, 768, 3072]];

function data(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
}

type OrtCase = { threads: number; spin: boolean; constantB: boolean };

async function ortSession(c: OrtCase, [m, k, n]: [number, number, number]) {
  const g = new Graph('probe');
  const a = g.input('a', 'float32', [m, k]);
  const b = c.constantB ? g.initializer('b', { dtype: 'float32', shape: [k, n], data: data(k * n, 2) }) : g.input('b', 'float32', [k, n]);
  g.output(matmul(a, b), 'c');
  const { session } = await createSession(g, { threads: c.threads, spin: c.spin });
  const feeds: Record<string, ort.Tensor> = { a: new ort.Tensor('float32', data(m * k, 1), [m, k]) };
  if (!c.constantB) feeds.b = new ort.Tensor('float32', data(k * n, 2), [k, n]);
  await session.run(feeds);
  return {
    async gflops(): Promise<number> {
      const t = performance.now();
      for (let i = 0; i < REPS; i++) await session.run(feeds);
      return (REPS * 2 * m * k * n) / ((performance.now() - t) / 1000) / 1e9;
    },
    release: () => session.release(),
  };
}

const TORCH = `
import json, sys, time, torch, ctypes
m, k, n, threads, reps = map(int, sys.argv[1:6])
torch.set_num_threads(threads)
a = torch.randn(m, k); b = torch.randn(k, n)
torch.mm(a, b)
t = time.perf_counter()
for _ in range(reps): torch.mm(a, b)
g = reps * 2 * m * k * n / (time.perf_counter() - t) / 1e9
core = None
for name in ('libblas.so.3', 'libopenblas.so.0'):
    try:
        f = ctypes.CDLL(name).openblas_get_corename; f.restype = ctypes.c_char_p; core = f().decode(); break
    except Exception: pass
print(json.dumps({'gflops': g, 'core': core}))
`;

function torchGflops(shape: [number, number, number], threads: number): { gflops: number; core: string | null } {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // OpenBLAS's own choice of kernels, as a user's PyTorch gets
  const out = execFileSync('/usr/bin/python3', ['-c', TORCH, ...shape.map(String), String(threads), String(REPS)], { env, encoding: 'utf8', cwd: join(__dirname, '..') });
  return JSON.parse(out.trim().split('\n').pop()!) as { gflops: number; core: string | null };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  const cases: OrtCase[] = [];
  for (const threads of [1, 2]) for (const constantB of [false, true]) for (const spin of threads === 1 ? [true] : [true, false]) cases.push({ threads, spin, constantB });
  let core: string | null = null;
  for (const shape of SHAPES) {
    const results = new Map<string, number[]>();
    const push = (k: string, v: number) => results.set(k, [...(results.get(k) ?? []), v]);
    const sessions = await Promise.all(cases.map((c) => ortSession(c, shape)));
    for (let r = 0; r < RUNS; r++) {
      for (const [i, c] of cases.entries()) push(`onnxruntime, ${c.threads} thread${c.threads > 1 ? 's' : ''}${c.threads > 1 ? (c.spin ? ', spinning' : ', not spinning') : ''}, B ${c.constantB ? 'constant (pre-packed)' : 'an input (packed each run)'}`, await sessions[i]!.gflops());
      for (const threads of [1, 2]) {
        const t = torchGflops(shape, threads);
        core = t.core;
        push(`PyTorch torch.mm, ${threads} thread${threads > 1 ? 's' : ''}`, t.gflops);
      }
    }
    for (const s of sessions) await s.release();
    console.log(`\n[${shape[0]}, ${shape[1]}] x [${shape[1]}, ${shape[2]}], GFLOP/s (median of ${RUNS} rounds of ${REPS}; spread)`);
    for (const [name, xs] of results) console.log(`  ${name.padEnd(72)} ${median(xs).toFixed(1).padStart(7)}  (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`);
  }
  console.log(`\nOpenBLAS core (PyTorch): ${core ?? 'unknown'}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
