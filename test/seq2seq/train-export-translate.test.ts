// A tiny translation model trained a few steps by trainTranslation (full and LoRA), saved as an HF folder,
// exported to optimum's layout and run by the translation code `xlm translate` uses (Translator, merged decoder
// with its key/value cache) gives the same greedy tokens as our own graph running the whole model at every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import { loadSeq2SeqConfig } from '../../src/engine/seq2seq/config.js';
import { exportSeq2SeqOnnx } from '../../src/engine/seq2seq/export.js';
import { buildSeq2SeqGraph } from '../../src/engine/seq2seq/inference.js';
import { trainTranslation } from '../../src/engine/seq2seq/train-run.js';
import { openSeq2SeqWeights } from '../../src/engine/seq2seq/weights.js';
import { Translator } from '../../src/engine/translate/translator.js';
import { runXlm } from '../helpers/cli.js';
import { runHfReference, writeTinyHfSeq2Seq, type TinyFamily } from '../helpers/tiny-hf-seq2seq.js';
import { TINY_MULTILINGUAL_SENTENCES } from '../helpers/tiny-tokenizer.js';

const PAIRS = [
  { source: 'The capital of France is Paris.', target: 'Le café est très naïve à Paris.' },
  { source: 'Berlin is the capital of Germany!', target: 'Die Hauptstadt von Deutschland ist Berlin, über alles.' },
  { source: 'Hello world, this is a test: 12 cats and 3 dogs.', target: 'El niño está en Madrid, España.' },
  { source: 'Le café est très naïve à Paris.', target: 'The capital of France is Paris.' },
];

/** Greedy decoding with the whole-model graph, no cache: the banned, forced-first and forced-last tokens as generation_config says. */
async function ourGreedy(dir: string, sources: number[][], forcedBos: number | undefined, maxLength: number): Promise<number[][]> {
  const config = loadSeq2SeqConfig(dir);
  const weights = openSeq2SeqWeights(dir, config);
  const graph = buildSeq2SeqGraph('logits', config, weights);
  weights.close();
  const { session } = await createSession(graph, { threads: 1 });
  const banned = new Set(((config.raw.bad_words_ids as number[][] | undefined) ?? []).flat());
  const out: number[][] = [];
  for (const source of sources) {
    const tokens = [config.decoderStartTokenId];
    for (let len = 1; len < maxLength; len++) {
      const i64 = (row: number[]) => new ort.Tensor('int64', BigInt64Array.from(row.map(BigInt)), [1, row.length]);
      const r = await session.run({ input_ids: i64(source), attention_mask: i64(source.map(() => 1)), decoder_input_ids: i64(tokens) });
      const logits = r.logits.data as Float32Array;
      const vocab = config.decoderVocabSize;
      const row = logits.subarray((tokens.length - 1) * vocab, tokens.length * vocab);
      let best = -1;
      for (let v = 0; v < vocab; v++) if (!banned.has(v) && (best < 0 || row[v] > row[best])) best = v;
      if (len === 1 && forcedBos !== undefined) best = forcedBos;
      if (len === maxLength - 1) best = config.eosTokenId;
      tokens.push(best);
      if (best === config.eosTokenId) break;
    }
    out.push(tokens.slice(1));
  }
  await session.release();
  return out;
}

const runs: { family: TinyFamily; method: 'full' | 'lora'; langs?: { sourceLang: string; targetLang: string } }[] = [
  { family: 'marian', method: 'full' },
  { family: 'm2m100', method: 'full', langs: { sourceLang: 'en', targetLang: 'fr' } },
  { family: 'm2m100', method: 'lora', langs: { sourceLang: 'en', targetLang: 'de' } },
];

for (const { family, method, langs } of runs) {
  test(`${family} ${method}: trained, saved, exported; xlm translate's decoder gives our graph's greedy tokens`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'xlm-s2s-e2e-'));
    try {
      const base = join(root, 'base');
      writeTinyHfSeq2Seq(base, family, { seed: 11, std: 0.3 });
      const out = join(root, 'run');
      const losses: number[] = [];
      const result = await trainTranslation({
        model: base, task: 'translation', pairs: PAIRS, out, method, maxSteps: 6, batchSize: 2, lr: method === 'lora' ? 2e-2 : 3e-3, dropout: 0,
        labelSmoothing: 0.1, threads: 1, seed: 3, loraR: 4, loraAlpha: 8, loraDropout: 0, ...(method === 'lora' ? { loraTargets: ['q_proj', 'v_proj', 'fc1', 'fc2'] } : {}), ...langs,
      }, { onMetrics: (m) => { if ('loss' in m) losses.push(m.loss); } });
      assert.equal(result.steps, 6);
      assert.ok(losses.every(Number.isFinite) && losses.length === 6, `losses ${losses}`);
      assert.ok(existsSync(join(out, 'model.safetensors')) && existsSync(join(out, 'checkpoint-6', 'training_state.safetensors')));
      if (method === 'lora') {
        const adapter = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as { task_type: string; target_modules: string[] };
        assert.equal(adapter.task_type, 'SEQ_2_SEQ_LM');
        assert.deepEqual(adapter.target_modules, ['fc1', 'fc2', 'q_proj', 'v_proj']);
      }
      const trained = loadSeq2SeqConfig(out);

      const exported = join(root, 'onnx-export');
      exportSeq2SeqOnnx(out, exported);
      const translator = await Translator.load(exported, { threads: 1 });
      try {
        assert.equal(translator.layout, 'merged');
        const texts = TINY_MULTILINGUAL_SENTENCES.slice(0, 3);
        const maxLength = 10;
        const translations = await translator.translate(texts, { numBeams: 1, maxLength, ...(langs ? { to: langs.targetLang, from: langs.sourceLang } : {}) });
        const sources = texts.map((t) => translator.sourceIds(t, langs ? `__${langs.sourceLang}__` : undefined));
        const forced = langs ? translator.tokenizer.tokenToId(`__${langs.targetLang}__`) : undefined;
        const ours = await ourGreedy(out, sources, forced, maxLength);
        assert.deepEqual(translations.map((t) => t.tokens), ours);
        if (forced !== undefined) {
          assert.ok(translations.every((t) => t.tokens[0] === forced), 'the target language token comes first');
          assert.equal(trained.forcedBosTokenId, forced, 'the saved config forces the trained target language');
        }
      } finally {
        await translator.close();
      }

      if (method === 'full') {
        // The saved folder is an HF folder: the PyTorch reference reads it by transformers' names and gives our logits.
        const config = loadSeq2SeqConfig(out);
        const weights = openSeq2SeqWeights(out, config);
        const graph = buildSeq2SeqGraph('logits', config, weights);
        weights.close();
        const { session } = await createSession(graph, { threads: 1 });
        const ids = [[5, 9, 14, 2]];
        const dec = [[config.decoderStartTokenId, 7, 8]];
        const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
        const r = await session.run({ input_ids: i64(ids), attention_mask: i64([[1, 1, 1, 1]]), decoder_input_ids: i64(dec) });
        await session.release();
        const ref = runHfReference<{ logits: number[] }>({ command: 'logits', dir: out, input_ids: ids, attention_mask: [[1, 1, 1, 1]], decoder_input_ids: dec });
        const err = Math.max(...Array.from(r.logits.data as Float32Array, (v, i) => Math.abs(v - ref.logits[i])));
        assert.ok(err < 1e-4, `saved model: max |ours - PyTorch| ${err}`);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('xlm train --task translation (TSV, two line-aligned files) and xlm export onnx from the command line; a bad pair line is named', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-s2s-cli-'));
  try {
    const base = join(root, 'base');
    writeTinyHfSeq2Seq(base, 'marian', { seed: 2 });
    const data = join(root, 'pairs.tsv');
    writeFileSync(data, PAIRS.map((p) => `${p.source}\t${p.target}`).join('\n') + '\n');
    const out = join(root, 'run');
    const trained = await runXlm(['train', '--task', 'translation', '--model', base, '--train', data, '--out', out, '--max-steps', '2', '--batch-size', '2', '--label-smoothing', '0.1', '--threads', '1']);
    assert.equal(trained.code, 0, trained.stderr);
    assert.equal(trained.stdout.trim().split('\n').length, 2, 'one metrics line per step');
    const exported = await runXlm(['export', 'onnx', '--model', out, '--out', join(root, 'exported')]);
    assert.equal(exported.code, 0, exported.stderr);
    const translated = await runXlm(['translate', '--model', join(root, 'exported'), '--beams', '1', 'Hello world']);
    assert.equal(translated.code, 0, translated.stderr);
    const [src, tgt] = [join(root, 'corpus.en'), join(root, 'corpus.fr')];
    writeFileSync(src, PAIRS.map((p) => p.source).join('\n') + '\n');
    writeFileSync(tgt, PAIRS.map((p) => p.target).join('\n') + '\n');
    const twoFiles = await runXlm(['train', '--task', 'translation', '--model', base, '--train', src, '--train-target', tgt, '--out', join(root, 'two'), '--max-steps', '1', '--threads', '1']);
    assert.equal(twoFiles.code, 0, twoFiles.stderr);
    writeFileSync(data, `${PAIRS[0].source}\t${PAIRS[0].target}\nno tab on this line\n`);
    const bad = await runXlm(['train', '--task', 'translation', '--model', base, '--train', data, '--out', join(root, 'bad'), '--max-steps', '1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /pairs\.tsv:2: expected source<TAB>target/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
