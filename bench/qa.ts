/**
 * Question-answering evaluation speed, ours against transformers.js's question-answering pipeline running our
 * ONNX export of the same weights, measured in the same run: questions per second over the same questions, in
 * batches of 16, each side doing the whole request (tokenize, run, pick the best span, its text).
 *
 *   npx tsx bench/qa.ts [--size small|base] [--questions N] [--runs N] [--threads N]
 *
 * `small` (default): a random 6-layer model of width 384 and 40,000 pieces; `base`: XLM-R base's sizes (~1.1 GB).
 * Contexts of about 150 tokens, so one window holds each (transformers.js's pipeline does not make windows: it
 * truncates), and both sides answer the same span. The model and its export are written once to .cache/bench/.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportOnnx } from '../src/engine/model/export-onnx.js';
import { XLMR_BASE_SIZES, writeRandomXlmr } from '../src/engine/model/random-model.js';
import { ModelCache } from '../src/engine/runtime/model-cache.js';
import { answerQuestions, type QaQuestion } from '../src/engine/tasks/question-answering.js';
import { interleaved, median } from './timing.js';

const { values } = parseArgs({ options: { size: { type: 'string' }, questions: { type: 'string' }, runs: { type: 'string' }, threads: { type: 'string' } } });
const SIZE = values.size ?? 'small';
if (SIZE !== 'small' && SIZE !== 'base') throw new Error(`--size is "${SIZE}"; expected small or base`);
const QUESTIONS = Number(values.questions ?? 64);
const RUNS = Number(values.runs ?? 3);
const THREADS = Number(values.threads ?? 0);
const BATCH = 16;

const CACHE = resolve('.cache/bench');
const NAME = `qa-${SIZE}-random`;
const MODEL_DIR = join(CACHE, NAME);
const EXPORT_NAME = `${NAME}-onnx`;
const SIZES = SIZE === 'base' ? XLMR_BASE_SIZES : { ...XLMR_BASE_SIZES, vocab_size: 40_000, hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 6, intermediate_size: 1536 };

const log = (line: string) => process.stderr.write(`${line}\n`);

function questions(n: number): QaQuestion[] {
  const words = ['the', 'capital', 'of', 'France', 'is', 'Paris', 'and', 'human', 'rights', 'are', 'free', 'for', 'all', 'people', 'in', 'world', 'Berlin', 'city'];
  return Array.from({ length: n }, (_, i) => ({
    question: `What is the capital of ${words[(i * 5) % words.length]}?`,
    context: Array.from({ length: 130 }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ') + '.',
  }));
}

async function main(): Promise<void> {
  if (!existsSync(join(MODEL_DIR, 'config.json'))) {
    rmSync(MODEL_DIR, { recursive: true, force: true });
    log(`writing a random ${SIZE} model with a QA head to ${MODEL_DIR}`);
    writeRandomXlmr(MODEL_DIR, { sizes: SIZES, head: 'qa', seed: 1, std: 0.02 });
  }
  if (!existsSync(join(CACHE, EXPORT_NAME, 'onnx', 'model.onnx'))) exportOnnx(MODEL_DIR, join(CACHE, EXPORT_NAME), { head: 'qa' });

  const cache = new ModelCache({ threads: THREADS });
  const model = await cache.model(MODEL_DIR);
  const qs = questions(QUESTIONS);
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = CACHE;
  env.useFSCache = false;
  const answerer = await pipeline('question-answering', EXPORT_NAME, { local_files_only: true, dtype: 'fp32', session_options: THREADS > 0 ? { intraOpNumThreads: THREADS } : {} });

  const ours = async () => answerQuestions(model, qs, { batchSize: BATCH });
  const theirs = async () => {
    const out: { answer: string }[] = [];
    for (let i = 0; i < qs.length; i += BATCH) {
      const batch = qs.slice(i, i + BATCH);
      const r = (await answerer(batch.map((q) => q.question), batch.map((q) => q.context))) as unknown as { answer: string }[];
      out.push(...r);
    }
    return out;
  };
  // transformers.js pairs every start with every later end (no n-best cut, no length limit): ours decoded the same
  // way must give its answers; the timed runs use our defaults (n-best 20, answers of at most 30 tokens).
  const [mine, their] = [await answerQuestions(model, qs, { batchSize: BATCH, decode: { nBest: 512, maxAnswerLength: 512 } }), await theirs()];
  const same = mine.filter((d, i) => d.answer === their[i].answer.trim()).length;
  const seconds = await interleaved(RUNS, { ours, theirs });
  await answerer.dispose();
  await cache.closeAll();

  const qps = (s: number) => (QUESTIONS / s).toFixed(1);
  const o = median(seconds.ours);
  const t = median(seconds.theirs);
  process.stdout.write([
    `question answering, ${SIZE} model (random weights: ${SIZES.num_hidden_layers} layers of ${SIZES.hidden_size}), ${QUESTIONS} questions with ~150-token contexts, batches of ${BATCH}, threads: ${THREADS || 'default'}, median of ${RUNS} interleaved runs`,
    `same best answer on both sides (ours decoded without n-best and length limits): ${same} of ${QUESTIONS}`,
    `  ours (windows, n-best 20, max answer 30)  ${qps(o)} questions/s`,
    `  transformers.js (pipeline, our export)    ${qps(t)} questions/s`,
    `  ratio ours/theirs speed                   ${(t / o).toFixed(2)}x`,
  ].join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
