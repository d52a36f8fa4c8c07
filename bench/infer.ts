/**
 * Inference speed, our engine at fp32 and int8 (`--dtype int8`) against transformers.js at dtype "fp32" and "q8"
 * running our export of the same weights (onnx/model.onnx and onnx/model_quantized.onnx, `xlm export onnx --dtype`),
 * all measured in one run, interleaved:
 * - fill-mask and sequence classification, latency (batch 1 × 32 tokens) and throughput (batch 16 × 128 tokens);
 * - on the shipped default model (models/default, trained; its classifier is a random head of the same sizes) and
 *   on an XLM-R-base-sized random model (12 layers, hidden 768, vocabulary 250002).
 * Both sides do the whole request: tokenize, run, top-5 (or label scores) with probabilities, decode.
 *
 *   npx tsx bench/infer.ts [--runs N] [--threads N] [--only default|base]
 *   npx tsx bench/infer.ts --quick   (the default model only, 5 runs: a few minutes on 2 cores once .cache/bench holds its exports)
 *
 * The random models (~1.1 GB each at base size) and the exports are written once to .cache/bench/ and reused.
 * Quality (int8 against fp32 on trained weights) is measured by test/model/int8-inference.test.ts.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportOnnx } from '../src/engine/model/export-onnx.js';
import type { InferenceDtype } from '../src/engine/model/quantize.js';
import { XLMR_BASE_SIZES, writeRandomXlmr, type RandomModelOptions } from '../src/engine/model/random-model.js';
import { ModelCache, type LoadedModel } from '../src/engine/runtime/model-cache.js';
import { classify } from '../src/engine/tasks/classify.js';
import { fillMask } from '../src/engine/tasks/fill-mask.js';
import type { XlmTokenizer } from '../src/engine/tokenize/tokenizer.js';
import { interleaved, median } from './timing.js';

const CACHE = resolve('.cache/bench');
const SHIPPED = resolve('models/default');

const { values } = parseArgs({ options: { runs: { type: 'string' }, threads: { type: 'string' }, only: { type: 'string' }, quick: { type: 'boolean' } } });
const RUNS = Number(values.runs ?? (values.quick ? 5 : 10));
const ONLY = values.only ?? (values.quick ? 'default' : undefined);
if (ONLY !== undefined && ONLY !== 'default' && ONLY !== 'base') throw new Error(`--only ${ONLY}: expected default or base`);
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

type Task = 'fill-mask' | 'classify';

interface BenchModel {
  /** Line label. */
  name: string;
  /** Folder per task: the masked-LM model and the classifier. */
  dirs: Record<Task, string>;
}

/** A random model folder written once (the shipped model's sizes, or base's). */
async function randomModel(name: string, sizes: RandomModelOptions['sizes'], head: 'mlm' | 'seq-cls'): Promise<string> {
  const dir = join(CACHE, name);
  if (!existsSync(join(dir, 'config.json'))) {
    rmSync(dir, { recursive: true, force: true });
    await timed(`writing ${name}`, () => writeRandomXlmr(dir, { sizes, head, seed: 1, std: 0.02, labels: ['negative', 'neutral', 'positive'] }));
  }
  return dir;
}

/** Our exports of a folder for transformers.js, fp32 and int8, under .cache/bench/NAME-onnx. */
function exported(dir: string, name: string): string {
  const out = join(CACHE, `${name}-onnx`);
  for (const dtype of ['fp32', 'int8'] as const) {
    const file = join(out, 'onnx', dtype === 'fp32' ? 'model.onnx' : 'model_quantized.onnx');
    if (!existsSync(file)) exportOnnx(dir, out, { dtype });
  }
  return `${name}-onnx`;
}

async function benchModels(): Promise<BenchModel[]> {
  const shipped = JSON.parse(readFileSync(join(SHIPPED, 'config.json'), 'utf8')) as RandomModelOptions['sizes'];
  const defaultSizes: RandomModelOptions['sizes'] = {
    vocab_size: shipped.vocab_size, hidden_size: shipped.hidden_size, num_hidden_layers: shipped.num_hidden_layers, num_attention_heads: shipped.num_attention_heads,
    intermediate_size: shipped.intermediate_size, max_position_embeddings: shipped.max_position_embeddings, type_vocab_size: shipped.type_vocab_size,
  };
  const all: BenchModel[] = [];
  if (ONLY !== 'base') {
    all.push({ name: 'default model (shipped, trained)', dirs: { 'fill-mask': SHIPPED, classify: await randomModel('default-size-random-cls', defaultSizes, 'seq-cls') } });
  }
  if (ONLY !== 'default') {
    all.push({ name: 'XLM-R base size (random)', dirs: { 'fill-mask': await randomModel('xlmr-base-random', XLMR_BASE_SIZES, 'mlm'), classify: await randomModel('xlmr-base-random-cls', XLMR_BASE_SIZES, 'seq-cls') } });
  }
  return all;
}

/** A text that tokenizes to exactly `tokens` ids (specials included), with one <mask> for fill-mask. */
function textOfLength(tokenizer: XlmTokenizer, tokens: number, seed: number, mask: boolean): string {
  const words = ['the', 'capital', 'of', 'France', 'is', 'Paris', 'and', 'human', 'rights', 'are', 'free', 'for', 'all', 'people', 'in', 'the', 'world'];
  const parts: string[] = [];
  for (let i = 0; ; i++) {
    const text = [...parts.slice(0, 3), ...(mask ? ['<mask>'] : []), ...parts.slice(3)].join(' ') + '.';
    const n = tokenizer.encode(text).ids.length;
    if (n === tokens) return text;
    if (n > tokens) return textOfLength(tokenizer, tokens, seed + 1, mask);
    parts.push(words[(i * 7 + seed) % words.length]!);
  }
}

type Runner = (texts: string[]) => Promise<unknown>;

/** transformers.js's pipeline for a task at a dtype, on our export. */
async function theirs(task: Task, name: string, dtype: 'fp32' | 'q8'): Promise<{ run: Runner; dispose: () => Promise<void> }> {
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = CACHE;
  env.useFSCache = false;
  const options = { local_files_only: true, dtype, session_options: THREADS > 0 ? { intraOpNumThreads: THREADS } : {} };
  if (task === 'fill-mask') {
    const p = await pipeline('fill-mask', name, options);
    return { run: (texts) => p(texts, { top_k: 5 }), dispose: () => p.dispose() };
  }
  const p = await pipeline('text-classification', name, options);
  return { run: (texts) => p(texts, { top_k: null }), dispose: () => p.dispose() };
}

function ours(task: Task, model: LoadedModel): Runner {
  return task === 'fill-mask'
    ? (texts) => fillMask(model, texts, { topK: 5, batchSize: 16 })
    : (texts) => classify(model, texts.map((text) => ({ text })), { batchSize: 16 });
}

const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`.padStart(10);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

async function benchTask(task: Task, model: BenchModel, caches: Record<InferenceDtype, ModelCache>): Promise<string[]> {
  const dir = model.dirs[task];
  const name = exported(dir, `${dir === SHIPPED ? 'default' : dir.split('/').pop()}`);
  const loaded = { fp32: await caches.fp32.model(dir), int8: await caches.int8.model(dir) };
  const short = [textOfLength(loaded.fp32.tokenizer, 32, 0, task === 'fill-mask')];
  const long = Array.from({ length: 16 }, (_, i) => textOfLength(loaded.fp32.tokenizer, Math.min(128, loaded.fp32.maxLength), i, task === 'fill-mask'));
  const peers = { fp32: await theirs(task, name, 'fp32'), q8: await theirs(task, name, 'q8') };
  const contenders = { 'ours fp32': ours(task, loaded.fp32), 'ours int8': ours(task, loaded.int8), 'transformers.js fp32': peers.fp32.run, 'transformers.js q8': peers.q8.run };
  try {
    const latency = await timed(`${model.name}, ${task}, latency`, () => interleaved(RUNS, Object.fromEntries(Object.entries(contenders).map(([k, run]) => [k, () => run(short)]))));
    const throughput = await timed(`${model.name}, ${task}, throughput`, () =>
      interleaved(Math.max(3, Math.ceil(RUNS / 3)), Object.fromEntries(Object.entries(contenders).map(([k, run]) => [k, () => run(long)]))),
    );
    const lat = Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, median(v)]));
    const thr = Object.fromEntries(Object.entries(throughput).map(([k, v]) => [k, 16 / median(v)]));
    const lines = [`${model.name}, ${task}:`, `  ${'contender'.padEnd(22)} ${'batch 1 x 32'.padStart(10)}   ${'16 x 128, seq/s'.padStart(15)}`];
    for (const k of Object.keys(contenders)) lines.push(`  ${k.padEnd(22)} ${ms(lat[k]!)}   ${thr[k]!.toFixed(2).padStart(15)}`);
    lines.push(
      `  int8 over fp32 (ours): latency ${ratio(lat['ours fp32']!, lat['ours int8']!)}, throughput ${ratio(thr['ours int8']!, thr['ours fp32']!)}`,
      `  ours over transformers.js, fp32: latency ${ratio(lat['transformers.js fp32']!, lat['ours fp32']!)}, throughput ${ratio(thr['ours fp32']!, thr['transformers.js fp32']!)}`,
      `  ours over transformers.js, int8/q8: latency ${ratio(lat['transformers.js q8']!, lat['ours int8']!)}, throughput ${ratio(thr['ours int8']!, thr['transformers.js q8']!)}`,
    );
    return lines;
  } finally {
    await peers.fp32.dispose();
    await peers.q8.dispose();
  }
}

async function main(): Promise<void> {
  const models = await benchModels();
  const lines = [`inference speed, onnxruntime-node, threads: ${THREADS || 'default'}, medians of ${RUNS} interleaved runs (throughput: ${Math.max(3, Math.ceil(RUNS / 3))})`, ''];
  for (const model of models) {
    for (const task of ['fill-mask', 'classify'] as const) {
      // Fresh caches per model and task, so one model's sessions are released before the next one's are built.
      const caches = { fp32: new ModelCache({ threads: THREADS }), int8: new ModelCache({ threads: THREADS, dtype: 'int8' }) };
      try {
        lines.push(...(await benchTask(task, model, caches)), '');
      } finally {
        await caches.fp32.closeAll();
        await caches.int8.closeAll();
      }
    }
  }
  process.stdout.write(lines.join('\n'));
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
