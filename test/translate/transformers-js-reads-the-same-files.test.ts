// An outside reader of optimum's layout: transformers.js (the library the layout was made for in JS) loads the
// tiny model's encoder_model.onnx + decoder_model_merged.onnx + generation_config.json and its greedy decoding
// gives our tokens. This checks the file layout and the merged decoder against a second implementation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinySeq2Seq } from '../helpers/tiny-seq2seq.js';
import { Translator } from '../../src/engine/translate/translator.js';
import { exportSeq2SeqOnnx } from '../../src/engine/seq2seq/export.js';
import { writeTinyHfSeq2Seq } from '../helpers/tiny-hf-seq2seq.js';

/** transformers.js's seq2seq model from the folder `name` under `root`, offline. */
async function loadLocal(root: string, name: string) {
  const { env, AutoModelForSeq2SeqLM, Tensor } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root;
  env.useBrowserCache = false;
  env.useFSCache = false;
  return { model: await AutoModelForSeq2SeqLM.from_pretrained(name, { local_files_only: true, dtype: 'fp32' }), Tensor };
}

/** transformers.js's greedy decoding of one sentence's ids: the decoder start token, then the generated ones. */
async function greedy(model: Awaited<ReturnType<typeof loadLocal>>['model'], Tensor: Awaited<ReturnType<typeof loadLocal>>['Tensor'], ids: number[], maxLength: number): Promise<number[]> {
  const dims = [1, ids.length];
  const out = (await model.generate({
    inputs: new Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), dims),
    attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), dims),
    max_length: maxLength,
    num_beams: 1,
    do_sample: false,
  })) as unknown as { data: BigInt64Array };
  return Array.from(out.data, Number);
}

test('transformers.js greedy decoding of the same merged export gives our tokens', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-seq2seq-tjs-'));
  const translator = await (async () => {
    writeTinySeq2Seq(join(root, 'tiny-marian'), { layout: 'merged', seed: 21, eosBias: 7 });
    return Translator.load(join(root, 'tiny-marian'), { threads: 1 });
  })();
  try {
    const texts = ['The capital of France is Paris.', 'Hello world', 'Le café est très naïve à Paris.', 'Москва — столица России.'];
    const ids = texts.map((t) => translator.sourceIds(t));
    const ours = await translator.generate(ids, { numBeams: 1, maxLength: 20 });

    const { model, Tensor } = await loadLocal(root, 'tiny-marian');
    try {
      for (let i = 0; i < ids.length; i++) {
        const theirs = await greedy(model, Tensor, ids[i], 20);
        assert.equal(theirs[0], translator.settings.decoderStartTokenId);
        assert.deepEqual(theirs.slice(1), ours[i].tokens, `sentence ${i}`);
      }
      assert.ok(ours.some((h) => h.tokens.length < 19) && ours.some((h) => h.tokens.length === 19), 'some end early, some run to max_length');
    } finally {
      await model.dispose();
    }
  } finally {
    await translator.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('transformers.js reads our own export (xlm export onnx: the merged decoder\'s If caches the cross-attention) and decodes our tokens', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-seq2seq-tjs-ours-'));
  try {
    writeTinyHfSeq2Seq(join(root, 'hf'), 'm2m100', { seed: 5 });
    exportSeq2SeqOnnx(join(root, 'hf'), join(root, 'exported'));
    const translator = await Translator.load(join(root, 'exported'), { threads: 1 });
    let model: Awaited<ReturnType<typeof loadLocal>>['model'] | undefined;
    try {
      const ids = ['Hello world', 'Le café est très naïve.', 'a b c d e f'].map((t) => translator.sourceIds(t));
      const ours = await translator.generate(ids, { numBeams: 1, maxLength: 16 });
      const loaded = await loadLocal(root, 'exported');
      model = loaded.model;
      const { Tensor } = loaded;
      for (let i = 0; i < ids.length; i++) {
        const theirs = await greedy(model!, Tensor, ids[i], 16);
        assert.deepEqual(theirs.slice(1), ours[i].tokens, `sentence ${i}`);
      }
      assert.ok(ours.every((h) => h.tokens.length >= 3), 'each sentence decodes past the first steps, where the cached cross-attention is read');
    } finally {
      await model?.dispose();
      await translator.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
