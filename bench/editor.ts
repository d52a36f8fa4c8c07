/**
 * The editor's hot path as the user feels it: requests through a forked dist/engine.js over its real JSON-RPC IPC
 * transport (src/client/engineProcess.ts, what the extension uses), for hover-classify and fill-mask at 16, 32 and
 * 64 tokens, beside the same model's bare session.run in this process:
 * - cold: the first request after model/load, in a fresh engine (--cold N engines);
 * - warm: p50 and p95 over --requests N sequential requests;
 * - after a burst of cancelled requests (typing): 5 requests each cancelled just after it is sent (its cancel follows
 *   it on the wire; one cancelled before it is sent is never sent: EngineProcess.request), then one that is timed,
 *   p50 and p95 over the rounds; cancelled requests should cost nothing once cancelled.
 * Models: the shipped default model (fill-mask; classification on a random head of its sizes) and XLM-R base size
 * (random), written by bench/infer.ts's helpers into .cache/bench/ on first use.
 *
 *   npm run build && npx tsx bench/editor.ts [--requests 200] [--cold 3] [--only default|base]
 *   npm run build && npx tsx bench/editor.ts --quick   (the default model only, 30 requests, 1 cold engine: a few minutes on 2 cores)
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CancellationTokenSource, type CancellationToken } from 'vscode-jsonrpc/node';
import { EngineProcess } from '../src/client/engineProcess.js';
import * as p from '../src/engine/rpc/protocol.js';
import { XLMR_BASE_SIZES, writeRandomXlmr, type RandomModelOptions } from '../src/engine/model/random-model.js';
import { int64Tensor, modelInputs } from '../src/engine/runtime/inputs.js';
import { ModelCache } from '../src/engine/runtime/model-cache.js';
import type { XlmTokenizer } from '../src/engine/tokenize/tokenizer.js';

const { values } = parseArgs({ options: { requests: { type: 'string' }, cold: { type: 'string' }, only: { type: 'string' }, quick: { type: 'boolean' } } });
const REQUESTS = Number(values.requests ?? (values.quick ? 30 : 200));
const COLD = Number(values.cold ?? (values.quick ? 1 : 3));
const ONLY = values.only ?? (values.quick ? 'default' : undefined);
if (ONLY !== undefined && ONLY !== 'default' && ONLY !== 'base') throw new Error(`--only ${ONLY}: expected default or base`);
const ENGINE = resolve('dist/engine.js');
const CACHE = resolve('.cache/bench');
const LENGTHS = [16, 32, 64];

type Task = 'fill-mask' | 'classify';

function randomModel(name: string, sizes: RandomModelOptions['sizes'], head: 'mlm' | 'seq-cls'): string {
  const dir = join(CACHE, name);
  if (!existsSync(join(dir, 'config.json'))) {
    rmSync(dir, { recursive: true, force: true });
    writeRandomXlmr(dir, { sizes, head, seed: 1, std: 0.02, labels: ['negative', 'neutral', 'positive'] });
  }
  return dir;
}

/** A text of exactly `tokens` ids (specials included), with one <mask> for fill-mask. */
function textOfLength(tokenizer: XlmTokenizer, tokens: number, mask: boolean): string {
  const words = ['the', 'capital', 'of', 'France', 'is', 'Paris', 'and', 'human', 'rights', 'are', 'free', 'for', 'all', 'people'];
  for (let seed = 0; seed < 20; seed++) {
    const parts: string[] = [];
    for (let i = 0; i < 200; i++) {
      const text = [...parts.slice(0, 3), ...(mask ? ['<mask>'] : []), ...parts.slice(3)].join(' ') + '.';
      const n = tokenizer.encode(text).ids.length;
      if (n === tokens) return text;
      if (n > tokens) break;
      parts.push(words[(i * 5 + seed) % words.length]!);
    }
  }
  throw new Error(`no text of exactly ${tokens} tokens`);
}

const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const ms = (x: number) => `${x.toFixed(1)}`.padStart(7);

function request(engine: EngineProcess, task: Task, text: string, token?: CancellationToken) {
  return task === 'fill-mask'
    ? engine.request(p.fillMask, { texts: [text], topK: 5 }, token)
    : engine.request(p.classify, { inputs: [{ text }] }, token);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function startEngine(dir: string): Promise<EngineProcess> {
  const engine = new EngineProcess({ enginePath: ENGINE });
  await engine.start();
  await engine.request(p.modelLoad, { dir });
  return engine;
}

/** The same model's session.run alone, in this process, on the inputs the engine builds for one text. */
async function bareRuns(dir: string, task: Task, text: string, runs: number): Promise<number[]> {
  const cache = new ModelCache();
  try {
    const model = await cache.model(dir);
    const batch = model.tokenizer.encodeBatch([text], { maxLength: model.maxLength });
    const { session } = await model.session(task === 'fill-mask' ? 'fill-mask' : 'seq-cls');
    const feeds = task === 'fill-mask'
      ? { ...modelInputs(batch), mask_positions: int64Tensor(model.tokenizer.maskPositions(batch.encodings[0]!)), top_k: int64Tensor([5]) }
      : { ...modelInputs(batch) };
    await session.run(feeds);
    const out: number[] = [];
    for (let i = 0; i < runs; i++) out.push(await timed(() => session.run(feeds)));
    return out;
  } finally {
    await cache.closeAll();
  }
}

async function benchOne(label: string, dir: string, task: Task): Promise<string[]> {
  const tokenizerCache = new ModelCache();
  const tokenizer = tokenizerCache.tokenizer(dir);
  const texts = Object.fromEntries(LENGTHS.map((n) => [n, textOfLength(tokenizer, n, task === 'fill-mask')]));
  const lines = [`${label}, ${task} (ms; p95/bare is the path's overhead over session.run)`, `  tokens   cold p50   warm p50   warm p95   after-cancel p50   after-cancel p95   bare p50   bare p95   p95/bare`];
  for (const n of LENGTHS) {
    const text = texts[n]!;
    const cold: number[] = [];
    for (let i = 0; i < COLD; i++) {
      const engine = await startEngine(dir);
      try {
        cold.push(await timed(() => request(engine, task, text)));
      } finally {
        engine.dispose();
      }
    }
    const engine = await startEngine(dir);
    const warm: number[] = [];
    const afterCancel: number[] = [];
    try {
      await request(engine, task, text);
      for (let i = 0; i < REQUESTS; i++) warm.push(await timed(() => request(engine, task, text)));
      for (let i = 0; i < Math.max(20, REQUESTS / 5); i++) {
        const burst = Array.from({ length: 5 }, () => {
          const source = new CancellationTokenSource();
          const pending = request(engine, task, text, source.token).catch(() => undefined);
          // The request is written in a microtask (EngineProcess.request awaits the session first); cancel after it.
          setImmediate(() => source.cancel());
          return pending;
        });
        afterCancel.push(await timed(() => request(engine, task, text)));
        await Promise.all(burst);
      }
    } finally {
      engine.dispose();
    }
    const bare = await bareRuns(dir, task, text, REQUESTS);
    const cells = [percentile(cold, 0.5), percentile(warm, 0.5), percentile(warm, 0.95), percentile(afterCancel, 0.5), percentile(afterCancel, 0.95), percentile(bare, 0.5), percentile(bare, 0.95)];
    lines.push(`  ${String(n).padStart(6)}   ${cells.map(ms).join('    ')}    ${(percentile(warm, 0.95) / percentile(bare, 0.95)).toFixed(2)}x`);
  }
  return lines;
}

async function main(): Promise<void> {
  if (!existsSync(ENGINE)) throw new Error(`${ENGINE} is missing: run npm run build first`);
  const shipped = resolve('models/default');
  const sizes = (await import(join(shipped, 'config.json'), { with: { type: 'json' } })).default as RandomModelOptions['sizes'];
  const models: [string, Record<Task, string>][] = [];
  if (ONLY !== 'base') {
    models.push(['default model', { 'fill-mask': shipped, classify: randomModel('default-size-random-cls', sizes, 'seq-cls') }]);
  }
  if (ONLY !== 'default') {
    models.push(['XLM-R base size', { 'fill-mask': randomModel('xlmr-base-random', XLMR_BASE_SIZES, 'mlm'), classify: randomModel('xlmr-base-random-cls', XLMR_BASE_SIZES, 'seq-cls') }]);
  }
  const out = [`editor path through dist/engine.js over JSON-RPC IPC, ${REQUESTS} warm requests, ${COLD} cold engines per length`, ''];
  for (const [label, dirs] of models) for (const task of ['classify', 'fill-mask'] as const) out.push(...(await benchOne(label, dirs[task], task)), '');
  process.stdout.write(out.join('\n'));
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
