/**
 * The exported cluster job on this machine: wall time of `xlm export-job` and `xlm import-run` for a dataset of
 * N rows (default 100 000), and the job's examples/s with torchrun --nproc_per_node 1 against 2 (gloo on the CPU,
 * the same global batch, one thread per process, a fixed number of steps). On 2 cores no speed-up is expected: the point of two processes
 * is that they train the same run (test/jobs/job-matches-engine.test.ts), not that they train faster here.
 *
 *   npx tsx bench/cluster-job.ts [rows=100000] [steps=20]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/engine/cli/main.js';
import { processIo } from '../src/engine/cli/io.js';
import { createRng } from '../src/engine/rng/rng.js';
import { writeTinyXlmr } from '../test/helpers/tiny-model.js';

const rows = Number(process.argv[2] ?? 100_000);
const steps = Number(process.argv[3] ?? 20);
const WORDS = ['the', 'model', 'reads', 'every', 'line', 'der', 'Bär', 'läuft', 'über', 'модель', 'читает', 'быстро', 'café', 'naïve', 'Paris', 'Berlin'];

async function xlm(argv: string[]): Promise<number> {
  const t0 = performance.now();
  const code = await runCli(argv, { ...processIo(), stdout: { write: () => true } });
  if (code !== 0) throw new Error(`xlm ${argv.join(' ')} failed (${code})`);
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
const root = mkdtempSync(join(tmpdir(), 'xlm-bench-job-'));
try {
  writeTinyXlmr(join(root, 'model'), { head: 'seq-cls', seed: 1, hiddenSize: 64, numLayers: 2, numAttentionHeads: 4, intermediateSize: 128, maxPositionEmbeddings: 66 });
  const rng = createRng(7);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const words = Array.from({ length: 4 + rng.int(20) }, () => WORDS[rng.int(WORDS.length)]);
    lines.push(JSON.stringify({ text: words.join(' '), label: ['a', 'b', 'c'][rng.int(3)] }));
  }
  writeFileSync(join(root, 'train.jsonl'), lines.join('\n') + '\n');
  writeFileSync(join(root, 'run.json'), JSON.stringify({ model: 'model', task: 'seq-cls', train: 'train.jsonl', 'batch-size': 16, 'max-steps': steps, 'max-length': 64, dropout: 0 }));

  const exportSeconds = await xlm(['export-job', '--run', join(root, 'run.json'), '--out', join(root, 'job')]);
  console.log(`export-job, ${rows} rows: ${exportSeconds.toFixed(1)} s`);

  const torchrun = existsSync('/usr/bin/torchrun') ? '/usr/bin/torchrun' : 'torchrun';
  const examplesPerSecond: Record<number, number> = {};
  for (const nproc of [1, 2]) {
    const out = join(root, `out-${nproc}`);
    // --redirects 2 --tee 1: Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default stream settings.
    const r = spawnSync(torchrun, ['--standalone', '--nproc_per_node', String(nproc), '--redirects', '2', '--tee', '1', '--log_dir', join(root, `logs-${nproc}`), 'train.py', '--engine', 'torch', '--out', out], {
      cwd: join(root, 'job'), encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    if (r.status !== 0) throw new Error(`torchrun --nproc_per_node ${nproc} failed:\n${r.stdout}\n${r.stderr}`);
    // Steps after the first (which pays for start-up), examples over their summed time.
    const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss?: number; examples_per_s?: number }).filter((x) => x.loss !== undefined).slice(1);
    const seconds = records.reduce((s, x) => s + 16 / x.examples_per_s!, 0);
    examplesPerSecond[nproc] = (16 * records.length) / seconds;
    console.log(`torchrun --nproc_per_node ${nproc} (OMP_NUM_THREADS=1 each): ${examplesPerSecond[nproc].toFixed(1)} examples/s over ${records.length} steps of 16`);
  }
  console.log(`2 processes / 1 process: ${(examplesPerSecond[2] / examplesPerSecond[1]).toFixed(2)}x`);

  const importSeconds = await xlm(['import-run', join(root, 'out-2'), '--runs', join(root, 'runs')]);
  console.log(`import-run of the 2-process job's output: ${importSeconds.toFixed(2)} s`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
}

void main();
