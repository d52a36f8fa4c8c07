import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { exportOnnx } from '../../src/engine/model/export-onnx.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { fillMask } from '../../src/engine/tasks/fill-mask.js';
import { classify } from '../../src/engine/tasks/classify.js';
import { modelInputs } from '../../src/engine/runtime/inputs.js';

const TEXTS = ['The capital of France is <mask>.', 'Le café est très <mask> à Paris.', '<mask> is the capital of Germany!'];

interface Prediction {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

async function exportLoadsInTransformersJs(external: boolean) {
  const root = mkdtempSync(join(tmpdir(), 'xlm-export-'));
  const modelDir = join(root, 'tiny');
  const outDir = join(root, 'exported', 'tiny-onnx');
  const cache = new ModelCache({ threads: 1 });
  try {
    writeTinyXlmr(modelDir, { head: 'mlm', seed: 5 });
    const result = exportOnnx(modelDir, outDir, external ? { maxInlineBytes: 0 } : {});
    assert.equal(result.head, 'mlm');
    assert.equal(result.externalData, external);
    assert.equal(existsSync(join(outDir, 'onnx/model.onnx_data')), external);
    for (const file of ['onnx/model.onnx', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
      assert.ok(existsSync(join(outDir, file)), `${file} is written`);
    }

    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = join(root, 'exported');
    env.useBrowserCache = false;
    env.useFSCache = false;
    const unmasker = await pipeline('fill-mask', 'tiny-onnx', { local_files_only: true, dtype: 'fp32' });
    try {
      const ours = await fillMask(await cache.model(modelDir), TEXTS, { topK: 5 });
      for (let i = 0; i < TEXTS.length; i++) {
        const theirs = (await unmasker(TEXTS[i], { top_k: 5 })) as unknown as Prediction[];
        const mine = ours[i].masks[0].candidates;
        assert.deepEqual(theirs.map((p) => p.token), mine.map((c) => c.id), `text ${i}: same tokens in the same order`);
        theirs.forEach((p, r) => assert.ok(Math.abs(p.score - mine[r].score) < 1e-5, `text ${i} rank ${r}: ${p.score} vs ${mine[r].score}`));
        assert.equal(theirs[0].token_str, mine[0].token);
        assert.equal(theirs[0].sequence, ours[i].filled);
      }
    } finally {
      await unmasker.dispose();
    }
  } finally {
    await cache.closeAll();
    rmSync(root, { recursive: true, force: true });
  }
}

test('the ONNX export (weights inline) loads in transformers.js (local files only) and gives our fill-mask predictions', () => exportLoadsInTransformersJs(false));

test('an export with its weights in onnx/model.onnx_data (models over 2 GB) loads in transformers.js the same way', () => exportLoadsInTransformersJs(true));

test('a sequence-classification export gives transformers.js our label probabilities', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-export-cls-'));
  const modelDir = join(root, 'tiny');
  const cache = new ModelCache({ threads: 1 });
  try {
    writeTinyXlmr(modelDir, { head: 'seq-cls', seed: 9, labels: ['negative', 'neutral', 'positive'] });
    const result = exportOnnx(modelDir, join(root, 'exported', 'tiny-cls'));
    assert.equal(result.head, 'seq-cls');
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = join(root, 'exported');
    const classifier = await pipeline('text-classification', 'tiny-cls', { local_files_only: true, dtype: 'fp32' });
    try {
      const texts = ['The capital of France is Paris.', 'Hello world, this is a test: 12 cats and 3 dogs.'];
      const ours = await classify(await cache.model(modelDir), texts.map((text) => ({ text })));
      for (let i = 0; i < texts.length; i++) {
        const theirs = (await classifier(texts[i], { top_k: null })) as unknown as { label: string; score: number }[];
        assert.deepEqual(theirs.map((t) => t.label), ours[i].map((o) => o.label));
        theirs.forEach((t, r) => assert.ok(Math.abs(t.score - ours[i][r].score) < 1e-5, `${t.label}: ${t.score} vs ${ours[i][r].score}`));
      }
    } finally {
      await classifier.dispose();
    }
  } finally {
    await cache.closeAll();
    rmSync(root, { recursive: true, force: true });
  }
});

test('--dtype int8 exports onnx/model_quantized.onnx beside model.onnx; transformers.js at dtype "q8" loads it and computes what our int8 graph does', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-export-q8-'));
  const modelDir = join(root, 'tiny');
  const outDir = join(root, 'exported', 'tiny-q8');
  const cache = new ModelCache({ threads: 1, dtype: 'int8' });
  try {
    writeTinyXlmr(modelDir, { head: 'mlm', seed: 5 });
    exportOnnx(modelDir, outDir);
    const result = exportOnnx(modelDir, outDir, { dtype: 'int8' });
    assert.equal(result.modelFile, join(outDir, 'onnx/model_quantized.onnx'));
    assert.ok(existsSync(join(outDir, 'onnx/model.onnx')), 'the fp32 export stays');
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = join(root, 'exported');
    const unmasker = await pipeline('fill-mask', 'tiny-q8', { local_files_only: true, dtype: 'q8' });
    try {
      // The export's head runs on every position, so its activations are quantized over all rows: compare with our
      // int8 graph of the same shape (fill-mask's own graph quantizes the mask rows alone, a slightly different scale).
      const model = await cache.model(modelDir);
      const { session } = await model.session('mlm-logits');
      const vocab = model.config.vocab_size;
      for (const text of TEXTS) {
        const batch = model.tokenizer.encodeBatch([text]);
        const position = model.tokenizer.maskPositions(batch.encodings[0])[0];
        const logits = ((await session.run({ ...modelInputs(batch) })).logits.data as Float32Array).subarray(position * vocab, (position + 1) * vocab);
        const top = [...logits.keys()].sort((a, b) => logits[b] - logits[a]).slice(0, 5);
        const theirs = (await unmasker(text, { top_k: 5 })) as unknown as Prediction[];
        assert.deepEqual(theirs.map((p) => p.token), top, text);
      }
    } finally {
      await unmasker.dispose();
    }
  } finally {
    await cache.closeAll();
    rmSync(root, { recursive: true, force: true });
  }
});
