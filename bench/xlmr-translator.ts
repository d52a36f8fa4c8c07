/**
 * The seed's route, measured: the shipped default model (models/default) warm-starts an XLM-R encoder-decoder
 * (src/engine/seq2seq/xlmr-encoder-decoder.ts), which is fine-tuned on the English → French Quran verses of the
 * recipe's training chapters (the parallel text the default model was pre-trained on) and measured on verses of
 * its held-out test chapters (18, 19, 20), before and after: teacher-forced loss and next-token accuracy on every
 * held-out verse, and greedy translations of the first few.
 *
 *   npx tsx bench/xlmr-translator.ts [--minutes M] [--steps N] [--batch-size B] [--lr LR] [--threads N] [--out DIR]
 *
 * Prints one JSON line per measurement; --out saves the fine-tuned model as an HF EncoderDecoderModel folder.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Graph } from '../src/engine/graph/graph.js';
import { loadModelFolder } from '../src/engine/hf/folder.js';
import { inferenceContext } from '../src/engine/model/context.js';
import { loadQuran } from '../src/engine/pretrain/sources.js';
import { createSession, ort } from '../src/engine/runtime/session.js';
import { collatePairs, type PairFeature } from '../src/engine/seq2seq/features.js';
import { buildEncoderDecoderLogits, encoderDecoderLoss, warmStartWeights, writeEncoderDecoderFolder } from '../src/engine/seq2seq/xlmr-encoder-decoder.js';
import { XlmTokenizer } from '../src/engine/tokenize/tokenizer.js';
import { StepRunner, frozenFeeds } from '../src/engine/train/runner.js';
import { buildEvalGraph, COUNTER_INPUT, SEED_INPUT } from '../src/engine/train/step-graph.js';
import { createRng } from '../src/engine/rng/rng.js';

const { values } = parseArgs({ options: { minutes: { type: 'string' }, steps: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, threads: { type: 'string' }, out: { type: 'string' }, 'eval-verses': { type: 'string' } } });
const MINUTES = Number(values.minutes ?? 10);
const MAX_STEPS = Number(values.steps ?? 100000);
const BATCH = Number(values['batch-size'] ?? 16);
const LR = Number(values.lr ?? 3e-4);
const THREADS = Number(values.threads ?? 0);
const EVAL_VERSES = Number(values['eval-verses'] ?? 200);
const MAX_TOKENS = 48;
const MODEL = resolve('models/default');

const recipe = JSON.parse(readFileSync(resolve('recipes/default.json'), 'utf8')) as { corpus: { quran: { validationChapters: number[]; testChapters: number[] } } };
const segments = loadQuran(new Set(['eng', 'fra']), recipe.corpus.quran);
const byUnit = new Map<string, { eng?: string; fra?: string; split: string }>();
for (const s of segments) {
  const entry = byUnit.get(s.unit) ?? { split: s.split };
  entry[s.lang as 'eng' | 'fra'] = s.text;
  byUnit.set(s.unit, entry);
}
const folder = loadModelFolder(MODEL);
const config = folder.config;
const tokenizer = XlmTokenizer.fromFolder(MODEL);
const encode = (source: string, target: string): PairFeature => ({
  source: tokenizer.encode(source, null, { maxLength: MAX_TOKENS }).ids,
  labels: [...tokenizer.encode(target, null, { addSpecialTokens: false }).ids.slice(0, MAX_TOKENS - 1), tokenizer.sepId],
});
const pairs = (split: string) => [...byUnit.values()].filter((u) => u.split === split && u.eng && u.fra).map((u) => ({ en: u.eng!, fr: u.fra!, f: encode(u.eng!, u.fra!) }));
const train = pairs('train');
const test = pairs('test').slice(0, EVAL_VERSES);
const special = { padTokenId: config.pad_token_id, decoderStartTokenId: tokenizer.clsId };
console.log(JSON.stringify({ model: MODEL, train_pairs: train.length, test_pairs: test.length, test_chapters: recipe.corpus.quran.testChapters, batch: BATCH, lr: LR, label_smoothing: 0.1 }));

const model = encoderDecoderLoss({ config, weight: warmStartWeights(folder.weights), labelSmoothing: 0.1, initSeed: 1 });

/** Teacher-forced loss (no smoothing, as a plain NLL would be reported: the eval graph's is smoothed, so argmax accuracy and mean NLL are computed here) and next-token accuracy. */
async function measure(params: ReadonlyMap<string, Float32Array>): Promise<{ nll: number; accuracy: number }> {
  const built = buildEvalGraph(model.build);
  const { session } = await createSession(built.graph, { threads: THREADS });
  let nll = 0;
  let hits = 0;
  let count = 0;
  for (let i = 0; i < test.length; i += 16) {
    const batch = collatePairs(test.slice(i, i + 16).map((p) => p.f), special);
    const feeds: Record<string, ort.Tensor> = { ...batch.feeds, ...frozenFeeds(built.frozen), [SEED_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []), [COUNTER_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []) };
    for (const p of built.trainable) feeds[p.name] = new ort.Tensor('float32', params.get(p.name) ?? p.initial, p.shape);
    const out = await session.run(feeds);
    const logits = out.logits.data as Float32Array;
    const labels = batch.feeds.labels.data as BigInt64Array;
    const vocab = config.vocab_size;
    for (let r = 0; r < labels.length; r++) {
      const label = Number(labels[r]);
      if (label < 0) continue;
      const row = logits.subarray(r * vocab, (r + 1) * vocab);
      let best = 0;
      let max = -Infinity;
      for (let v = 0; v < vocab; v++) if (row[v] > max) { max = row[v]; best = v; }
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(row[v] - max);
      nll += Math.log(sum) + max - row[label];
      hits += best === label ? 1 : 0;
      count++;
    }
  }
  await session.release();
  return { nll: nll / count, accuracy: hits / count };
}

async function greedy(params: ReadonlyMap<string, Float32Array>, n: number): Promise<string[]> {
  const graph = new Graph('greedy');
  const ctx = inferenceContext(graph, config, { get: (name: string, shape?: readonly number[]) => params.get(name) ?? model.weight(name, [...(shape ?? [])]) });
  const ids = graph.input('input_ids', 'int64', ['batch', 'src']);
  const mask = graph.input('attention_mask', 'int64', ['batch', 'src']);
  const dec = graph.input('decoder_input_ids', 'int64', ['batch', 'tgt']);
  graph.output(buildEncoderDecoderLogits(ctx, ids, mask, dec), 'logits');
  const { session } = await createSession(graph, { threads: THREADS });
  const out: string[] = [];
  const i64 = (row: number[]) => new ort.Tensor('int64', BigInt64Array.from(row.map(BigInt)), [1, row.length]);
  for (const p of test.slice(0, n)) {
    const tokens = [tokenizer.clsId];
    while (tokens.length < MAX_TOKENS) {
      const r = await session.run({ input_ids: i64(p.f.source), attention_mask: i64(p.f.source.map(() => 1)), decoder_input_ids: i64(tokens) });
      const logits = (r.logits.data as Float32Array).subarray((tokens.length - 1) * config.vocab_size, tokens.length * config.vocab_size);
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
      tokens.push(best);
      if (best === tokenizer.sepId) break;
    }
    out.push(tokenizer.decode(tokens.slice(1), { skipSpecial: true }));
  }
  await session.release();
  return out;
}

async function main(): Promise<void> {
  const before = await measure(new Map());
  console.log(JSON.stringify({ step: 0, held_out_nll: before.nll, held_out_token_accuracy: before.accuracy }));
  const runner = await StepRunner.create(model.build, {
    seed: 42, threads: THREADS, gradAccum: 1, inPlace: true,
    schedule: { kind: 'linear', lr: LR, warmupSteps: 50, totalSteps: MAX_STEPS === 100000 ? 2000 : MAX_STEPS },
    optimizer: { kind: 'adamw', weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1.0 },
  });
  const rng = createRng(7);
  const started = Date.now();
  let step = 0;
  while (step < MAX_STEPS && (Date.now() - started) / 60000 < MINUTES) {
    const rows = Array.from({ length: BATCH }, () => train[rng.int(train.length)].f);
    const r = await runner.step([collatePairs(rows, special).feeds]);
    step++;
    if (step % 25 === 0) console.log(JSON.stringify({ step, loss: r.loss, minutes: Math.round((Date.now() - started) / 600) / 100 }));
  }
  const params = runner.currentParams();
  const after = await measure(params);
  console.log(JSON.stringify({ step, minutes: Math.round((Date.now() - started) / 600) / 100, held_out_nll: after.nll, held_out_token_accuracy: after.accuracy }));
  const translations = await greedy(params, 5);
  translations.forEach((t, i) => console.log(JSON.stringify({ source: test[i].en, reference: test[i].fr, greedy: t })));
  if (values.out) writeEncoderDecoderFolder(values.out, config, MODEL, (name, shape) => params.get(name) ?? model.weight(name, shape));
  await runner.release();
  folder.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
