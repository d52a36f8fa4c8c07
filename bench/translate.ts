/**
 * Translation speed at opus-mt (Marian base) size, random weights: d_model 512, 6+6 layers, 8 heads, FFN 2048,
 * vocabulary 58101. Our translator against transformers.js on the same ONNX files (encoder_model.onnx +
 * decoder_model_merged.onnx), same onnxruntime-node, same run; greedy decoding (transformers.js has no beam
 * search), plus our beam search alone.
 *
 *   npx tsx bench/translate.ts [--runs N] [--threads N] [--steps N] [--our-export]
 *
 * --our-export adds our translator on the files `xlm export onnx` writes for a Marian folder of the same size
 * (model.safetensors drawn by test/helpers/reference_hf_seq2seq.py), beside the same translator on PyTorch's
 * export: the merged decoder each export writes decides what a step computes (ours caches the cross-attention
 * keys and values behind an If, as PyTorch's merged pair does).
 *
 * The model is exported once by test/helpers/reference_seq2seq.py (PyTorch) into .cache/bench/ and reused.
 * With random weights `</s>` is never likely, so every sentence decodes to --steps tokens on both sides: the
 * same work. Both sides start from token ids (tokenization is not timed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Translator } from '../src/engine/translate/translator.js';
import { exportSeq2SeqOnnx } from '../src/engine/seq2seq/export.js';
import { writeTinyHfSeq2Seq } from '../test/helpers/tiny-hf-seq2seq.js';
import { mergeDecoders } from '../test/helpers/merge-decoders.js';
import { makeTinyTokenizerJson } from '../test/helpers/tiny-tokenizer.js';
import { interleavedMedians } from './timing.js';

const CACHE = resolve('.cache/bench');
const NAME = 'marian-base-random';
const DIR = join(CACHE, NAME);

const { values } = parseArgs({ options: { runs: { type: 'string' }, threads: { type: 'string' }, steps: { type: 'string' }, 'our-export': { type: 'boolean' } } });
const RUNS = Number(values.runs ?? 5);
const THREADS = Number(values.threads ?? 0);
const STEPS = Number(values.steps ?? 32);

const CONFIG = {
  model_type: 'marian', is_encoder_decoder: true, vocab_size: 58101, d_model: 512, encoder_layers: 6, decoder_layers: 6,
  encoder_attention_heads: 8, decoder_attention_heads: 8, encoder_ffn_dim: 2048, decoder_ffn_dim: 2048, max_position_embeddings: 512,
  activation_function: 'swish', scale_embedding: true, pad_token_id: 58100, eos_token_id: 0, decoder_start_token_id: 58100,
  bad_words_ids: [[58100]], max_length: 512, num_beams: 1,
};

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function prepare(): void {
  if (existsSync(join(DIR, 'onnx', 'decoder_model_merged.onnx'))) return;
  rmSync(DIR, { recursive: true, force: true });
  const start = performance.now();
  const request = { command: 'build', dir: DIR, seed: 1, config: CONFIG, std: 0.02, embedding_std: 0.02, logits_bias_std: 0, token_bias: {} };
  const result = spawnSync('/usr/bin/python3', [join(__dirname, '..', 'test', 'helpers', 'reference_seq2seq.py')], { input: JSON.stringify(request), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`export failed: ${result.stderr}`);
  mergeDecoders(join(DIR, 'onnx', 'decoder_model.onnx'), join(DIR, 'onnx', 'decoder_with_past_model.onnx'), join(DIR, 'onnx', 'decoder_model_merged.onnx'));
  // The tokenizer is only loaded (ids go in directly); its ids are a small part of the model's vocabulary.
  writeFileSync(join(DIR, 'tokenizer.json'), JSON.stringify(makeTinyTokenizerJson()));
  writeFileSync(join(DIR, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 512, pad_token: '<pad>', eos_token: '</s>' }));
  log(`exported the random Marian-base model in ${((performance.now() - start) / 1000).toFixed(0)} s`);
}

/** The same Marian size as an HF folder (model.safetensors), exported by `xlm export onnx`'s code into DIR/ours. */
function prepareOurExport(): string {
  const hf = join(CACHE, 'marian-base-random-hf');
  const out = join(hf, 'ours');
  if (!existsSync(join(hf, 'model.safetensors'))) {
    const { vocab_size, d_model, encoder_layers, decoder_layers, encoder_attention_heads, decoder_attention_heads, encoder_ffn_dim, decoder_ffn_dim } = CONFIG;
    writeTinyHfSeq2Seq(hf, 'marian', { seed: 1, std: 0.02, dModel: d_model, config: { vocab_size, encoder_layers, decoder_layers, encoder_attention_heads, decoder_attention_heads, encoder_ffn_dim, decoder_ffn_dim, max_position_embeddings: 512, max_length: 512, pad_token_id: 58100, decoder_start_token_id: 58100, bad_words_ids: [[58100]], eos_token_id: 0, forced_eos_token_id: 0 } });
  }
  const start = performance.now();
  exportSeq2SeqOnnx(hf, out);
  log(`exported the HF Marian-base folder with our exporter in ${((performance.now() - start) / 1000).toFixed(0)} s`);
  return out;
}

/** Source ids of `length` tokens (last one `</s>`), drawn from the tokenizer's range. */
function source(length: number, seed: number): number[] {
  return Array.from({ length }, (_, i) => (i === length - 1 ? 0 : 4 + ((seed * 7919 + i * 104729) % 500)));
}

async function main(): Promise<void> {
  prepare();
  const ours = await Translator.load(DIR, { threads: THREADS, layout: 'merged' });
  const { env, AutoModelForSeq2SeqLM, Tensor } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = CACHE;
  env.useFSCache = false;
  const theirs = await AutoModelForSeq2SeqLM.from_pretrained(NAME, { local_files_only: true, dtype: 'fp32', session_options: THREADS > 0 ? { intraOpNumThreads: THREADS } : {} });

  const maxLength = STEPS + 1;
  const theirGenerate = async (rows: number[][]) => {
    const width = Math.max(...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * width).fill(58100n);
    const mask = new BigInt64Array(rows.length * width);
    rows.forEach((r, i) => r.forEach((id, j) => {
      ids[i * width + j] = BigInt(id);
      mask[i * width + j] = 1n;
    }));
    const dims = [rows.length, width];
    const out = (await theirs.generate({ inputs: new Tensor('int64', ids, dims), attention_mask: new Tensor('int64', mask, dims), max_length: maxLength, num_beams: 1, do_sample: false })) as unknown as { data: BigInt64Array; dims: number[] };
    return out;
  };

  const one = [source(24, 1)];
  const eight = Array.from({ length: 8 }, (_, i) => source(16 + 2 * i, i + 2));
  const [ourOne] = await ours.generate(one, { numBeams: 1, maxLength });
  const theirOne = Array.from((await theirGenerate(one)).data, Number).slice(1);
  const same = JSON.stringify(ourOne.tokens) === JSON.stringify(theirOne);

  const latency = await interleavedMedians(RUNS, {
    ours: () => ours.generate(one, { numBeams: 1, maxLength }),
    theirs: () => theirGenerate(one),
  });
  const batch = await interleavedMedians(Math.max(2, Math.ceil(RUNS / 2)), {
    ours: () => ours.generate(eight, { numBeams: 1, maxLength }),
    theirs: () => theirGenerate(eight),
  });
  const beams = await interleavedMedians(Math.max(2, Math.ceil(RUNS / 2)), {
    beam4x1: () => ours.generate(one, { numBeams: 4, maxLength }),
    beam4x8: () => ours.generate(eight, { numBeams: 4, maxLength }),
  });
  let exported: { greedy1: number; greedy8: number } | undefined;
  if (values['our-export']) {
    const mine = await Translator.load(prepareOurExport(), { threads: THREADS, layout: 'merged' });
    const timed = await interleavedMedians(RUNS, {
      pytorchExport1: () => ours.generate(one, { numBeams: 1, maxLength }),
      ourExport1: () => mine.generate(one, { numBeams: 1, maxLength }),
    });
    const timed8 = await interleavedMedians(Math.max(2, Math.ceil(RUNS / 2)), {
      pytorchExport8: () => ours.generate(eight, { numBeams: 1, maxLength }),
      ourExport8: () => mine.generate(eight, { numBeams: 1, maxLength }),
    });
    const steps = (await mine.generate(one, { numBeams: 1, maxLength }))[0].tokens.length;
    if (steps < STEPS) log(`our export's model stopped after ${steps} tokens, before ${STEPS}: its times cover less work`);
    exported = { greedy1: timed.ourExport1 / timed.pytorchExport1, greedy8: timed8.ourExport8 / timed8.pytorchExport8 };
    log(`our export: greedy 1 x 24 ${(timed.ourExport1 * 1000).toFixed(0)} ms against PyTorch's export ${(timed.pytorchExport1 * 1000).toFixed(0)} ms; 8 sentences ${(timed8.ourExport8 * 1000).toFixed(0)} against ${(timed8.pytorchExport8 * 1000).toFixed(0)} ms`);
    await mine.close();
  }
  await ours.close();
  await theirs.dispose();

  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  const perToken = (s: number, rows: number) => `${((s * 1000) / STEPS).toFixed(1)} ms/step, ${((rows * STEPS) / s).toFixed(0)} tokens/s`;
  process.stdout.write([
    `translation, Marian base size (random weights, 74M parameters), onnxruntime-node, threads: ${THREADS || 'default'}, ${STEPS} decoder steps per sentence, median of interleaved runs`,
    `same greedy tokens on both sides: ${same ? 'yes' : 'NO'}`,
    '',
    'greedy, 1 sentence x 24 tokens:',
    `  ours             ${ms(latency.ours)} (${perToken(latency.ours, 1)})`,
    `  transformers.js  ${ms(latency.theirs)} (${perToken(latency.theirs, 1)})`,
    `  ratio ours/theirs speed  ${(latency.theirs / latency.ours).toFixed(2)}x`,
    'greedy, 8 sentences x 16-30 tokens:',
    `  ours             ${ms(batch.ours)} (${perToken(batch.ours, 8)})`,
    `  transformers.js  ${ms(batch.theirs)} (${perToken(batch.theirs, 8)})`,
    `  ratio ours/theirs speed  ${(batch.theirs / batch.ours).toFixed(2)}x`,
    'beam search, 4 beams (ours only; transformers.js has none):',
    `  1 sentence   ${ms(beams.beam4x1)}`,
    `  8 sentences  ${ms(beams.beam4x8)}`,
    ...(exported ? ['our translator on our export (xlm export onnx) against PyTorch\'s export, same size, time ratio (1.00 = as fast):', `  greedy 1 sentence   ${exported.greedy1.toFixed(2)}`, `  greedy 8 sentences  ${exported.greedy8.toFixed(2)}`] : []),
  ].join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
