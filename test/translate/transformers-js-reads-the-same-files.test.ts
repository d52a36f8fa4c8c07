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

    const { env, AutoModelForSeq2SeqLM, Tensor } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = root;
    env.useBrowserCache = false;
    env.useFSCache = false;
    const model = await AutoModelForSeq2SeqLM.from_pretrained('tiny-marian', { local_files_only: true, dtype: 'fp32' });
    try {
      for (let i = 0; i < ids.length; i++) {
        const dims = [1, ids[i].length];
        const out = (await model.generate({
          inputs: new Tensor('int64', BigInt64Array.from(ids[i], (x) => BigInt(x)), dims),
          attention_mask: new Tensor('int64', new BigInt64Array(ids[i].length).fill(1n), dims),
          max_length: 20,
          num_beams: 1,
          do_sample: false,
        })) as unknown as { data: BigInt64Array };
        const theirs = Array.from(out.data, Number);
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
