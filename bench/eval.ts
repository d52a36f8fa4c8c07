/**
 * Evaluation speed: `evaluate()` rows per second for NLI (sequence pairs), NER (token classification) and
 * masked-LM scoring, on a random model and generated multilingual-looking rows, with the peak RSS of the
 * process. The masked-LM path reduces each masked position to (loss, rank) inside the session, so no
 * vocabulary-sized logits reach JavaScript.
 *
 *   npx tsx bench/eval.ts [--size small|base] [--rows N] [--threads N] [--batch-size N]
 *
 * small: 4 layers, hidden 256, 4 heads, FFN 1024, vocab 32k (built in seconds); base: XLM-R base (1.1 GB,
 * written once to .cache/bench/).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluate, type EvalTask } from '../src/engine/eval/evaluate.js';
import { XLMR_BASE_SIZES, writeRandomXlmr, type RandomModelOptions } from '../src/engine/model/random-model.js';
import { ModelCache } from '../src/engine/runtime/model-cache.js';
import { createRng } from '../src/engine/rng/rng.js';

const { values } = parseArgs({ options: { size: { type: 'string' }, rows: { type: 'string' }, threads: { type: 'string' }, 'batch-size': { type: 'string' } } });
const SIZE = values.size ?? 'small';
const ROWS = Number(values.rows ?? 512);
const THREADS = Number(values.threads ?? 2);
const BATCH = Number(values['batch-size'] ?? 16);

const SMALL: RandomModelOptions['sizes'] = { vocab_size: 32000, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: 514, type_vocab_size: 1 };
const sizes = SIZE === 'base' ? XLMR_BASE_SIZES : SMALL;
const CACHE = resolve('.cache/bench', `eval-${SIZE}`);
const WORDS = 'the capital city country language world human rights free equal born all people Paris France Berlin Germany Madrid Spain le la de et est un une der die das und ist el los las en y es'.split(' ');
const LANGS = ['en', 'fr', 'de', 'es'];
const NLI = ['entailment', 'neutral', 'contradiction'];
const TAGS = ['O', 'B-LOC', 'I-LOC'];

function model(head: 'seq-cls' | 'token-cls' | 'mlm', labels?: string[]): string {
  const dir = join(CACHE, head);
  if (!existsSync(join(dir, 'config.json'))) writeRandomXlmr(dir, { sizes, head, labels, seed: 1 });
  return dir;
}

function sentence(rng: ReturnType<typeof createRng>, words: number): string[] {
  return Array.from({ length: words }, () => WORDS[rng.int(WORDS.length)]);
}

function writeData(): Record<'nli' | 'ner' | 'mlm', string> {
  mkdirSync(CACHE, { recursive: true });
  const rng = createRng(7);
  const nli: string[] = [];
  const ner: string[] = [];
  const mlm: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const lang = LANGS[i % LANGS.length];
    nli.push(JSON.stringify({ lang, premise: sentence(rng, 12 + rng.int(20)).join(' '), hypothesis: sentence(rng, 6 + rng.int(8)).join(' '), label: NLI[rng.int(3)] }));
    const tokens = sentence(rng, 8 + rng.int(24));
    ner.push(JSON.stringify({ lang, tokens, tags: tokens.map((w) => (/^[A-Z]/.test(w) ? 'B-LOC' : 'O')) }));
    mlm.push(JSON.stringify({ lang, text: sentence(rng, 16 + rng.int(40)).join(' ') }));
  }
  const files = { nli: join(CACHE, 'nli.jsonl'), ner: join(CACHE, 'ner.jsonl'), mlm: join(CACHE, 'mlm.jsonl') };
  writeFileSync(files.nli, nli.join('\n') + '\n');
  writeFileSync(files.ner, ner.join('\n') + '\n');
  writeFileSync(files.mlm, mlm.join('\n') + '\n');
  return files;
}

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);

async function time(name: string, task: EvalTask, dir: string, data: string): Promise<void> {
  const models = new ModelCache({ threads: THREADS });
  try {
    await evaluate({ model: dir, data, task, batchSize: BATCH, models }); // warm-up: sessions built
    peak = 0;
    const started = performance.now();
    const result = await evaluate({ model: dir, data, task, batchSize: BATCH, models });
    const seconds = (performance.now() - started) / 1000;
    console.log(`${name.padEnd(6)} ${String(result.examples).padStart(6)} rows  ${(result.examples / seconds).toFixed(1).padStart(8)} rows/s  peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await models.closeAll();
  }
}

async function main(): Promise<void> {
  console.log(`evaluate() on a random ${SIZE} model (${sizes.num_hidden_layers} layers, hidden ${sizes.hidden_size}, vocab ${sizes.vocab_size}), ${THREADS} threads, batch ${BATCH}`);
  const files = writeData();
  await time('nli', 'pair-classification', model('seq-cls', NLI), files.nli);
  await time('ner', 'token-classification', model('token-cls', TAGS), files.ner);
  await time('mlm', 'masked-lm', model('mlm'), files.mlm);
  clearInterval(sampler);
}

void main();
