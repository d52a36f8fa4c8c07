// The XLM paper's route behind `xlm train`: --task translation with an XLM-R folder warm-starts transformers'
// EncoderDecoderModel from it, trains it (full: the loss falls; LoRA: adapters plus the new cross-attention),
// saves a folder in EncoderDecoderModel's layout (config with encoder/decoder sub-configs, HF tensor names),
// which the PyTorch reference EncoderDecoderModel loads with our logits to 1e-4, and `xlm export onnx` + `xlm translate` run it: the merged decoder with its key/value cache gives the greedy
// tokens of our whole-model graph on the saved weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensors } from '../../src/engine/hf/safetensors.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import { buildEncoderDecoderGraph, encoderDecoderTensorSpecs, openEncoderDecoder } from '../../src/engine/seq2seq/xlmr-encoder-decoder.js';
import { Translator } from '../../src/engine/translate/translator.js';
import { runXlm } from '../helpers/cli.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { TINY_MULTILINGUAL_SENTENCES } from '../helpers/tiny-tokenizer.js';

const PAIRS = [
  ['The capital of France is Paris.', 'Le café est très naïve à Paris.'],
  ['Berlin is the capital of Germany!', 'Die Hauptstadt von Deutschland ist Berlin, über alles.'],
  ['Hello world, this is a test: 12 cats and 3 dogs.', 'El niño está en Madrid, España.'],
  ['Le café est très naïve à Paris.', 'The capital of France is Paris.'],
];

/** Greedy decoding with the whole-model graph of the saved folder, no cache: start with <s>, stop at </s> or maxLength tokens. */
async function ourGreedy(dir: string, sources: number[][], maxLength: number): Promise<number[][]> {
  const source = openEncoderDecoder(dir);
  const graph = buildEncoderDecoderGraph('logits', source.config, source.weight);
  source.close();
  const { session } = await createSession(graph, { threads: 1 });
  const vocab = source.config.vocab_size;
  const i64 = (row: number[]) => new ort.Tensor('int64', BigInt64Array.from(row.map(BigInt)), [1, row.length]);
  const out: number[][] = [];
  for (const ids of sources) {
    const tokens = [0];
    while (tokens.length < maxLength) {
      const r = await session.run({ input_ids: i64(ids), attention_mask: i64(ids.map(() => 1)), decoder_input_ids: i64(tokens) });
      const row = (r.logits.data as Float32Array).subarray((tokens.length - 1) * vocab, tokens.length * vocab);
      let best = 0;
      for (let v = 1; v < vocab; v++) if (row[v] > row[best]) best = v;
      tokens.push(best);
      if (best === 2) break;
    }
    out.push(tokens.slice(1));
  }
  await session.release();
  return out;
}

test('xlm train --task translation from an XLM-R folder: the loss falls, the folder is an EncoderDecoderModel, and xlm translate gives our greedy tokens', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-ed-train-'));
  try {
    const base = join(root, 'xlmr');
    writeTinyXlmr(base, { head: 'mlm', seed: 6 });
    const data = join(root, 'pairs.tsv');
    writeFileSync(data, PAIRS.map(([s, t]) => `${s}\t${t}`).join('\n') + '\n');
    const out = join(root, 'run');
    const trained = await runXlm(['train', '--task', 'translation', '--model', base, '--train', data, '--out', out, '--max-steps', '12', '--batch-size', '4',
      '--lr', '3e-3', '--warmup-ratio', '0', '--dropout', '0', '--label-smoothing', '0.1', '--threads', '1', '--no-shuffle']);
    assert.equal(trained.code, 0, trained.stderr);
    const losses = trained.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
    assert.equal(losses.length, 12);
    assert.ok(losses.at(-1)! < losses[0] * 0.8, `the same batch every step: the loss falls (${losses.map((l) => l.toFixed(3)).join(', ')})`);

    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown> & { encoder: Record<string, unknown>; decoder: Record<string, unknown> };
    assert.equal(config.model_type, 'encoder-decoder');
    assert.deepEqual(config.architectures, ['EncoderDecoderModel']);
    assert.equal(config.decoder_start_token_id, 0);
    assert.equal(config.pad_token_id, 1);
    assert.equal(config.decoder.is_decoder, true);
    assert.equal(config.decoder.add_cross_attention, true);
    assert.equal(config.encoder.model_type, 'xlm-roberta');
    const saved = openSafetensors(join(out, 'model.safetensors'));
    const names = saved.names().sort();
    saved.close();
    const xlmr = openEncoderDecoder(base).config;
    assert.deepEqual(names, encoderDecoderTensorSpecs(xlmr).map((s) => s.name).sort());
    assert.ok(names.includes('decoder.roberta.encoder.layer.0.crossattention.self.query.weight') && names.includes('encoder.encoder.layer.0.attention.self.query.weight'));

    // The reference EncoderDecoderModel (XLM-R encoder, causal-LM decoder with cross-attention) loads the saved
    // folder by its state_dict names and gives our logits.
    const input_ids = [[0, 5, 9, 14, 2]];
    const decoder_input_ids = [[0, 11, 12]];
    const source = openEncoderDecoder(out);
    const { session } = await createSession(buildEncoderDecoderGraph('logits', source.config, source.weight), { threads: 1 });
    source.close();
    const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
    const logits = (await session.run({ input_ids: i64(input_ids), attention_mask: i64([[1, 1, 1, 1, 1]]), decoder_input_ids: i64(decoder_input_ids) })).logits.data as Float32Array;
    await session.release();
    const r = spawnSync('/usr/bin/python3', [join(__dirname, '..', 'helpers', 'reference_xlmr_encoder_decoder.py')], { input: JSON.stringify({ dir: out, input_ids, attention_mask: [[1, 1, 1, 1, 1]], decoder_input_ids }), encoding: 'utf8', maxBuffer: 1 << 27 });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as { logits: number[] };
    const err = Math.max(...Array.from(logits, (v, i) => Math.abs(v - ref.logits[i])));
    assert.ok(err < 1e-4, `saved model: max |ours - PyTorch| ${err}`);

    const exported = join(root, 'exported');
    const exportRun = await runXlm(['export', 'onnx', '--model', out, '--out', exported]);
    assert.equal(exportRun.code, 0, exportRun.stderr);
    const maxLength = 8;
    const translator = await Translator.load(exported, { threads: 1 });
    try {
      const texts = TINY_MULTILINGUAL_SENTENCES.slice(0, 3);
      const translations = await translator.translate(texts, { numBeams: 1, maxLength });
      const ours = await ourGreedy(out, texts.map((t) => translator.sourceIds(t)), maxLength);
      assert.deepEqual(translations.map((t) => t.tokens), ours);
      // Several decoding steps, so the merged decoder's cache (self-attention past, positions after it) is exercised.
      assert.ok(ours.some((t) => t.length >= 4), `greedy outputs: ${JSON.stringify(ours)}`);
    } finally {
      await translator.close();
    }
    const cli = await runXlm(['translate', '--model', exported, '--beams', '1', '--json', PAIRS[0][0]]);
    assert.equal(cli.code, 0, cli.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('LoRA on an XLM-R encoder-decoder trains the adapters and the new cross-attention, saves the merged model, and training continues from it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-ed-lora-'));
  try {
    const base = join(root, 'xlmr');
    writeTinyXlmr(base, { head: 'mlm', seed: 8 });
    const data = join(root, 'pairs.jsonl');
    writeFileSync(data, PAIRS.map(([source, target]) => JSON.stringify({ source, target })).join('\n') + '\n');
    const out = join(root, 'run');
    const trained = await runXlm(['train', '--task', 'translation', '--model', base, '--train', data, '--out', out, '--method', 'lora', '--lora-r', '4',
      '--max-steps', '10', '--batch-size', '4', '--lr', '1e-2', '--warmup-ratio', '0', '--dropout', '0', '--threads', '1', '--no-shuffle']);
    assert.equal(trained.code, 0, trained.stderr);
    const losses = trained.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
    assert.ok(losses.at(-1)! < losses[0], `the loss falls (${losses.map((l) => l.toFixed(3)).join(', ')})`);
    const warm = openEncoderDecoder(base);
    const after = openEncoderDecoder(out);
    try {
      const h = warm.config.hidden_size;
      const diff = (name: string) => {
        const a = warm.weight(name, [h, h]);
        const b = after.weight(name, [h, h])!;
        return a ? Math.max(...Array.from(b, (v, i) => Math.abs(v - a[i]))) : Infinity;
      };
      assert.ok(diff('encoder.encoder.layer.0.attention.self.query.weight') > 0, 'LoRA on query is merged into the saved weights');
      assert.equal(diff('encoder.encoder.layer.0.attention.self.key.weight'), 0, 'key is no LoRA target: unchanged');
    } finally {
      warm.close();
      after.close();
    }
    // A saved EncoderDecoderModel folder is a starting point too: training continues from its weights.
    const again = await runXlm(['train', '--task', 'translation', '--model', out, '--train', data, '--out', join(root, 'again'), '--max-steps', '2', '--batch-size', '4', '--threads', '1']);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /warm-starting/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
