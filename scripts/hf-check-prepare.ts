/**
 * Builds what `npm run check:hf` (scripts/check_hf.py) compares with the Hugging Face libraries: tiny models made
 * here, our adapters, merged model, classifier probabilities, fill-mask answers, token ids and decoding results.
 * Needs only this repository (Node, and Debian's python3-torch for the tiny translation model).
 *
 *   npx tsx scripts/hf-check-prepare.ts DIR
 *
 * writes DIR/manifest.json (what was computed here) next to the model folders it names.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Translator } from '../src/engine/translate/translator.js';
import { runXlm } from '../test/helpers/cli.js';
import { writeTinyXlmr } from '../test/helpers/tiny-model.js';
import { writeTinySeq2Seq } from '../test/helpers/tiny-seq2seq.js';

const WORDS = ['Paris', 'Berlin', 'Madrid', 'cats', 'dogs', 'world'];
const TEXTS = ['The capital of France is Paris.', 'Hello world', 'Москва — столица России.', 'I love Paris 😀 and Berlin', 'naïve café, x\u0301 y'];

async function xlm(argv: string[]): Promise<string> {
  const r = await runXlm(argv);
  if (r.code !== 0) throw new Error(`xlm ${argv.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? '.hf-check');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const base = join(dir, 'base');
  writeTinyXlmr(base, { head: 'mlm', seed: 4, std: 0.1 });
  const cls = WORDS.flatMap((w, i) => [0, 1, 2].map((k) => JSON.stringify({ text: `The ${w} is ${['here', 'there', 'big'][k]}.`, label: i < 3 ? 'city' : 'other' })));
  writeFileSync(join(dir, 'cls.jsonl'), cls.join('\n') + '\n');
  writeFileSync(join(dir, 'text.txt'), WORDS.map((w) => `The capital of ${w} is Paris, and Berlin is the capital of Germany.`).join('\n') + '\n');
  const common = ['--lr', '1e-2', '--batch-size', '6', '--max-steps', '4', '--threads', '1', '--method', 'lora', '--lora-r', '4', '--lora-alpha', '8'];

  const clsOut = join(dir, 'lora-cls');
  await xlm(['train', '--model', base, '--task', 'seq-cls', '--train', join(dir, 'cls.jsonl'), '--out', clsOut, '--lora-targets', 'query,value,output.dense', ...common]);
  const merged = join(dir, 'merged-cls');
  await xlm(['merge', '--model', base, '--adapter', clsOut, '--out', merged]);
  const classify = JSON.parse(await xlm(['classify', '--model', clsOut, '--json', ...TEXTS])) as { text: string; scores: { label: string; score: number }[] }[];

  const mlmOut = join(dir, 'lora-mlm');
  await xlm(['train', '--model', base, '--task', 'mlm', '--train', join(dir, 'text.txt'), '--out', mlmOut, ...common]);
  const masked = ['The capital of <mask> is Paris.', 'Berlin is the <mask> of Germany.'];
  const fillMask = JSON.parse(await xlm(['fill-mask', '--model', mlmOut, '--json', ...masked])) as unknown;

  const tokens = JSON.parse(await xlm(['tokenize', '--model', base, '--json', ...TEXTS])) as unknown;

  const seq2seq = join(dir, 'seq2seq');
  writeTinySeq2Seq(seq2seq, { layout: 'split', seed: 1 });
  const translator = await Translator.load(seq2seq, { threads: 1 });
  const decoding: unknown[] = [];
  try {
    const ids = TEXTS.map((t) => translator.sourceIds(t));
    const settings = translator.settings as { earlyStopping: boolean | 'never' };
    for (const earlyStopping of [false, true, 'never'] as const) {
      settings.earlyStopping = earlyStopping;
      for (const [numBeams, lengthPenalty, numReturnSequences] of [[1, 1, 1], [4, 1, 2], [3, 2, 2], [4, 0.5, 1]] as const) {
        if (numBeams === 1 && earlyStopping !== false) continue;
        const results = await translator.generate(ids, { numBeams, lengthPenalty, numReturnSequences, maxLength: 24 });
        decoding.push({
          num_beams: numBeams, length_penalty: lengthPenalty, early_stopping: earlyStopping, num_return_sequences: numReturnSequences, max_length: 24,
          input_ids: ids,
          results: results.map((h) => (h.nBest ?? [h]).map((n) => ({ tokens: n.tokens, score: n.score }))),
        });
      }
    }
  } finally {
    await translator.close();
  }

  const manifest = {
    note: 'Made by scripts/hf-check-prepare.ts; compared by scripts/check_hf.py.',
    base: 'base', loraCls: 'lora-cls', mergedCls: 'merged-cls', loraMlm: 'lora-mlm', seq2seq: 'seq2seq',
    texts: TEXTS, classify, masked, fillMask, tokens, decoding,
    bleu: null,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  process.stdout.write(`${dir}/manifest.json\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`hf-check-prepare: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
