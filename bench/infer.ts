/**
 * Fill-mask speed at XLM-R base size (random weights: 12 layers, hidden 768, 12 heads, FFN 3072, vocab
 * 250002), our engine against transformers.js running our exported ONNX of the same weights, measured in
 * the same run: latency (batch 1 × 32 tokens) and throughput (batch 16 × 128 tokens).
 *
 *   npx tsx bench/infer.ts [--runs N] [--threads N]
 *
 * The random model (~1.1 GB) and its export are written once to .cache/bench/ and reused.
 * Both sides do the whole request: tokenize, run, top-5 with probabilities, decode.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportOnnx } from '../src/engine/model/export-onnx.js';
import { XLMR_BASE_SIZES, writeRandomXlmr } from '../src/engine/model/random-model.js';
import { modelInputs } from '../src/engine/runtime/inputs.js';
import { ModelCache, type LoadedModel } from '../src/engine/runtime/model-cache.js';
import { fillMask } from '../src/engine/tasks/fill-mask.js';
import type { XlmTokenizer } from '../src/engine/tokenize/tokenizer.js';
import { interleaved, median } from './timing.js';

const CACHE = resolve('.cache/bench');
const MODEL_DIR = join(CACHE, 'xlmr-base-random');
const EXPORT_NAME = 'xlmr-base-random-onnx';
const EXPORT_DIR = join(CACHE, EXPORT_NAME);

const { values } = parseArgs({ options: { runs: { type: 'string' }, threads: { type: 'string' } } });
const RUNS = Number(values.runs ?? 10);
const THREADS = Number(values.threads ?? 0);

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function timed<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const out = await fn();
  log(`${what}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return out;
}

async function prepare(): Promise<void> {
  if (!existsSync(join(MODEL_DIR, 'config.json'))) {
    rmSync(MODEL_DIR, { recursive: true, force: true });
    await timed('writing the random XLM-R base model', () => writeRandomXlmr(MODEL_DIR, { sizes: XLMR_BASE_SIZES, head: 'mlm', seed: 1, std: 0.02 }));
  }
  if (!existsSync(join(EXPORT_DIR, 'onnx', 'model.onnx'))) {
    await timed('exporting it to ONNX', () => exportOnnx(MODEL_DIR, EXPORT_DIR));
  }
}

/** A text that tokenizes to exactly `tokens` ids (specials included) with one <mask>. */
function textOfLength(tokenizer: XlmTokenizer, tokens: number, seed: number): string {
  const words = ['the', 'capital', 'of', 'France', 'is', 'Paris', 'and', 'human', 'rights', 'are', 'free', 'for', 'all', 'people', 'in', 'the', 'world'];
  const parts: string[] = [];
  for (let i = 0; ; i++) {
    const text = [...parts.slice(0, 3), '<mask>', ...parts.slice(3)].join(' ') + '.';
    const n = tokenizer.encode(text).ids.length;
    if (n === tokens) return text;
    if (n > tokens) throw new Error(`cannot build a text of exactly ${tokens} tokens`);
    parts.push(words[(i * 7 + seed) % words.length]);
  }
}

interface Prediction {
  token: number;
  score: number;
}

async function main(): Promise<void> {
  await prepare();
  const cache = new ModelCache({ threads: THREADS });
  const model: LoadedModel = await timed('loading our model (headers, tokenizer)', () => cache.model(MODEL_DIR));
  const short = textOfLength(model.tokenizer, 32, 0);
  const long = Array.from({ length: 16 }, (_, i) => textOfLength(model.tokenizer, 128, i));

  await timed('building our fill-mask session', () => model.session('fill-mask'));
  // The same work as transformers.js does (vocabulary logits at every position), to tell the graph's speed from the head's saving.
  const full = await timed('building our full-sequence MLM session', () => model.session('mlm-logits'));
  const shortBatch = model.tokenizer.encodeBatch([short]);
  const [ourAnswer] = await fillMask(model, [short], { topK: 5 });

  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = CACHE;
  env.useFSCache = false;
  const sessionOptions = THREADS > 0 ? { intraOpNumThreads: THREADS } : {};
  const unmasker = await timed('loading transformers.js fill-mask pipeline', () =>
    pipeline('fill-mask', EXPORT_NAME, { local_files_only: true, dtype: 'fp32', session_options: sessionOptions }),
  );
  const theirAnswer = (await unmasker(short, { top_k: 5 })) as unknown as Prediction[];
  const same = theirAnswer.every((p, i) => p.token === ourAnswer.masks[0].candidates[i].id && Math.abs(p.score - ourAnswer.masks[0].candidates[i].score) < 1e-4);

  const latency = await timed('latency runs', () =>
    interleaved(RUNS, {
      ours: () => fillMask(model, [short], { topK: 5 }),
      full: () => full.session.run({ ...modelInputs(shortBatch) }),
      theirs: () => unmasker(short, { top_k: 5 }),
    }),
  );
  let throughput: Record<string, number[]> | string;
  try {
    throughput = await timed('throughput runs', () =>
      interleaved(Math.max(2, Math.ceil(RUNS / 3)), {
        ours: () => fillMask(model, long, { topK: 5, batchSize: 16 }),
        theirs: () => unmasker(long, { top_k: 5 }),
      }),
    );
  } catch (e) {
    throughput = `transformers.js failed: ${(e as Error).message.split('\n')[0]}`;
  }
  await unmasker.dispose();
  await cache.closeAll();

  const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
  const lat = { ours: median(latency.ours), full: median(latency.full), theirs: median(latency.theirs) };
  const lines = [
    `fill-mask, XLM-R base size (random weights), onnxruntime-node, threads: ${THREADS || 'default'}, median of ${RUNS} interleaved runs`,
    `same top-5 tokens and probabilities on both sides: ${same ? 'yes' : 'NO'}`,
    '',
    'latency, batch 1 x 32 tokens (one <mask>):',
    `  ours (MLM head on the mask row only)         ${ms(lat.ours)}`,
    `  ours, full-sequence head (session run only)  ${ms(lat.full)}`,
    `  transformers.js (pipeline, our export)       ${ms(lat.theirs)}`,
    `  ratio ours/theirs speed                      ${(lat.theirs / lat.ours).toFixed(2)}x`,
    '',
    'throughput, batch 16 x 128 tokens (one <mask> each):',
  ];
  if (typeof throughput === 'string') {
    lines.push(`  ${throughput}`);
  } else {
    const ours = 16 / median(throughput.ours);
    const theirs = 16 / median(throughput.theirs);
    lines.push(`  ours             ${ours.toFixed(2)} sequences/s (${ms(median(throughput.ours))} per batch)`);
    lines.push(`  transformers.js  ${theirs.toFixed(2)} sequences/s (${ms(median(throughput.theirs))} per batch)`);
    lines.push(`  ratio ours/theirs speed  ${(ours / theirs).toFixed(2)}x`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
