/**
 * How close the training memory estimate (src/engine/train/memory.ts) is to the peak RSS of real runs: `xlm train`
 * from the bundled CLI, each run in its own process, on random models of a tiny and a small size, full fine-tuning
 * and LoRA, with rows long enough to fill --max-length. Prints estimated and measured peak per run and the error.
 * Memory only: nothing here is timed.
 *
 *   npx tsx bench/memory-estimate.ts [--steps N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeTinyTokenizerJson } from '../test/helpers/tiny-tokenizer.js';
import { writeTinyXlmr } from '../test/helpers/tiny-model.js';

const steps = process.argv.includes('--steps') ? Number(process.argv[process.argv.indexOf('--steps') + 1]) : 2;
const root = mkdtempSync(join(tmpdir(), 'xlm-memory-'));
const repo = resolve(__dirname, '..');

interface Run { model: string; method: 'full' | 'lora'; task: 'seq-cls' | 'mlm'; batch: number; length: number }

function main(): void {
  const build = spawnSync(process.execPath, ['esbuild.mjs', `--outdir=${join(root, 'dist')}`], { cwd: repo, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(build.stderr);
  writeTinyXlmr(join(root, 'tiny'), { head: 'mlm' });
  // Small: a vocabulary of 40,000 pieces (the embedding dominates, as in XLM-R), 6 layers of 384.
  const extraPieces = Array.from({ length: 40_000 }, (_, k): [string, number] => [`\u2581w${k.toString(36)}`, -12 - k / 40_000]);
  writeTinyXlmr(join(root, 'small'), { head: 'mlm', tokenizerJson: makeTinyTokenizerJson({ extraPieces }), hiddenSize: 384, numLayers: 6, numAttentionHeads: 6, intermediateSize: 1536, maxPositionEmbeddings: 514 });
  const words = ['Paris', 'Berlin', 'cats', 'dogs', 'world', 'capital', 'France', 'here'];
  const rows = Array.from({ length: 64 }, (_, r) => JSON.stringify({ text: Array.from({ length: 600 }, (_, k) => words[(r + k * 3) % words.length]).join(' '), label: r % 2 ? 'a' : 'b' }));
  writeFileSync(join(root, 'train.jsonl'), rows.join('\n') + '\n');
  writeFileSync(join(root, 'train.txt'), rows.map((r) => (JSON.parse(r) as { text: string }).text).join('\n') + '\n');

  const runs: Run[] = [
    { model: 'tiny', method: 'full', task: 'seq-cls', batch: 16, length: 128 },
    { model: 'tiny', method: 'full', task: 'mlm', batch: 16, length: 128 },
    { model: 'small', method: 'full', task: 'seq-cls', batch: 8, length: 128 },
    { model: 'small', method: 'lora', task: 'seq-cls', batch: 8, length: 128 },
    { model: 'small', method: 'full', task: 'seq-cls', batch: 16, length: 256 },
    { model: 'small', method: 'full', task: 'mlm', batch: 8, length: 128 },
  ];
  console.log('model  method task     batch×length  estimated MB  measured MB  error');
  const errors: number[] = [];
  for (const run of runs) {
    const out = join(root, `out-${run.model}-${run.method}-${run.task}-${run.batch}-${run.length}`);
    const r = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'train', '--model', join(root, run.model), '--task', run.task, '--train', join(root, run.task === 'mlm' ? 'train.txt' : 'train.jsonl'), '--out', out,
      '--method', run.method, '--batch-size', String(run.batch), '--max-length', String(run.length), '--max-steps', String(steps), '--threads', '2'],
    { encoding: 'utf8', env: { ...process.env, NODE_PATH: join(repo, 'node_modules'), GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' } });
    const peak = /peak memory of this process (\d+) MB \(estimated (\d+) MB\)/.exec(r.stderr);
    if (r.status !== 0 || !peak) throw new Error(`${JSON.stringify(run)} failed:\n${r.stderr}`);
    const measured = Number(peak[1]);
    const estimated = Number(peak[2]);
    const error = (estimated - measured) / measured;
    errors.push(error);
    console.log(`${run.model.padEnd(6)} ${run.method.padEnd(6)} ${run.task.padEnd(8)} ${`${run.batch}×${run.length}`.padEnd(13)} ${String(estimated).padStart(12)} ${String(measured).padStart(12)}  ${(error * 100).toFixed(0).padStart(4)}%`);
  }
  const worst = errors.reduce((m, e) => (Math.abs(e) > Math.abs(m) ? e : m), 0);
  console.log(`largest error ${(worst * 100).toFixed(0)}% (positive: the estimate is above the measured peak)`);
}

try {
  main();
} finally {
  rmSync(root, { recursive: true, force: true });
}
