/**
 * Translation training speed: our full fine-tuning step (src/engine/seq2seq/loss.ts through StepRunner) against
 * PyTorch 1.13's on the same small random Marian model (the plain-PyTorch reference of transformers' MarianMTModel,
 * test/helpers/reference_hf_seq2seq.py), the same batch of source and target ids, AdamW, label smoothing 0.1 and
 * clipping, each side in its own process. Reported: median examples/s over --steps timed steps (after two warm-up
 * steps), the process's peak RSS, and the ratio.
 *
 *   npx tsx bench/train-translation.ts [--steps N] [--threads N] [--batch N] [--length N] [--d-model N]
 *
 * PyTorch runs with OpenBLAS (LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp) when that library is
 * installed. Figures move with the load on shared machines: compare ratios of one run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSeq2SeqConfig } from '../src/engine/seq2seq/config.js';
import { collatePairs, type PairFeature } from '../src/engine/seq2seq/features.js';
import { translationLoss } from '../src/engine/seq2seq/loss.js';
import { openSeq2SeqWeights } from '../src/engine/seq2seq/weights.js';
import { StepRunner } from '../src/engine/train/runner.js';
import { createRng } from '../src/engine/rng/rng.js';
import { writeTinyHfSeq2Seq } from '../test/helpers/tiny-hf-seq2seq.js';

const { values } = parseArgs({ options: { steps: { type: 'string' }, threads: { type: 'string' }, batch: { type: 'string' }, length: { type: 'string' }, 'd-model': { type: 'string' }, worker: { type: 'string' } } });
const STEPS = Number(values.steps ?? 10);
const THREADS = Number(values.threads ?? 2);
const BATCH = Number(values.batch ?? 16);
const LENGTH = Number(values.length ?? 32);
const D_MODEL = Number(values['d-model'] ?? 256);
const WARMUP = 2;
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

function batchOf(vocab: number): PairFeature[] {
  const rng = createRng(5);
  const row = (n: number) => [...Array.from({ length: n - 1 }, () => 4 + rng.int(vocab - 4)), 2];
  return Array.from({ length: BATCH }, () => ({ source: row(LENGTH), labels: row(LENGTH) }));
}

/** Our side, in its own process (--worker DIR): examples/s and peak RSS as one JSON line. */
async function ours(dir: string): Promise<void> {
  const config = loadSeq2SeqConfig(dir);
  const weights = openSeq2SeqWeights(dir, config);
  const loss = translationLoss({ config, weights, method: 'full', labelSmoothing: 0.1, dropout: 0, initSeed: 1 });
  const runner = await StepRunner.create(loss.build, {
    seed: 1, threads: THREADS, gradAccum: 1, inPlace: true,
    schedule: { kind: 'constant', lr: 1e-4, warmupSteps: 0, totalSteps: WARMUP + STEPS },
    optimizer: { kind: 'adamw', weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1.0 },
  });
  const feeds = collatePairs(batchOf(config.vocabSize), config).feeds;
  const times: number[] = [];
  for (let step = 0; step < WARMUP + STEPS; step++) {
    const started = performance.now();
    await runner.step([feeds]);
    if (step >= WARMUP) times.push((performance.now() - started) / 1000);
  }
  await runner.release();
  weights.close();
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ examples_per_s: BATCH / times[Math.floor(times.length / 2)], peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
}

function main(): void {
  const root = mkdtempSync(join(tmpdir(), 'xlm-bench-mt-'));
  try {
    const dir = join(root, 'marian');
    const tiny = writeTinyHfSeq2Seq(dir, 'marian', { dModel: D_MODEL, config: { encoder_layers: 3, decoder_layers: 3, encoder_attention_heads: 4, decoder_attention_heads: 4, encoder_ffn_dim: 4 * D_MODEL, decoder_ffn_dim: 4 * D_MODEL, max_position_embeddings: 2 * LENGTH } });
    const ourRun = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--worker', dir, '--steps', String(STEPS), '--threads', String(THREADS), '--batch', String(BATCH), '--length', String(LENGTH)], { encoding: 'utf8' });
    if (ourRun.status !== 0) throw new Error(`our worker failed: ${ourRun.stderr}`);
    const ourFigures = JSON.parse(ourRun.stdout.trim().split('\n').pop()!) as { examples_per_s: number; peak_rss_mb: number };
    const feeds = collatePairs(batchOf(tiny.vocabSize), { padTokenId: 1, decoderStartTokenId: 1 }).feeds;
    const rows = (name: string) => {
      const t = feeds[name];
      const data = Array.from(t.data as BigInt64Array, Number);
      return Array.from({ length: t.dims[0] }, (_, i) => data.slice(i * t.dims[1], (i + 1) * t.dims[1]));
    };
    const batch = { input_ids: rows('input_ids'), attention_mask: rows('attention_mask'), decoder_input_ids: rows('decoder_input_ids'), labels: rows('labels') };
    const env = existsSync(OPENBLAS) ? { ...process.env, LD_LIBRARY_PATH: OPENBLAS, OMP_NUM_THREADS: String(THREADS) } : { ...process.env, OMP_NUM_THREADS: String(THREADS) };
    const torchRun = spawnSync('/usr/bin/python3', [join(__dirname, '..', 'test', 'helpers', 'reference_hf_seq2seq.py')], { input: JSON.stringify({ command: 'bench', dir, batch, threads: THREADS, steps: STEPS, warmup: WARMUP }), encoding: 'utf8', env, maxBuffer: 1 << 26 });
    if (torchRun.status !== 0) throw new Error(`PyTorch failed: ${torchRun.stderr}`);
    const torchFigures = JSON.parse(torchRun.stdout) as { examples_per_s: number; peak_rss_mb: number };
    console.log(JSON.stringify({
      model: `Marian d_model ${D_MODEL}, 3+3 layers, ffn ${4 * D_MODEL}, vocab ${tiny.vocabSize}`, batch: BATCH, source_and_target_length: LENGTH, threads: THREADS,
      pytorch_blas: existsSync(OPENBLAS) ? 'openblas-openmp' : 'reference BLAS (install libopenblas0-openmp for a fair baseline)',
      ours: ourFigures, pytorch: torchFigures, speed_ratio: ourFigures.examples_per_s / torchFigures.examples_per_s,
    }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (values.worker) {
  ours(values.worker).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main();
}
