import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { EMBEDDINGS, layerNames } from '../../src/engine/hf/names.js';
import { INITIALIZER_RANGE, pretrainConfig } from '../../src/engine/pretrain/pretrain-model.js';
import { pretrain } from '../../src/engine/pretrain/pretrain.js';
import { loadRecipe, parseRecipe, type PretrainRecipe } from '../../src/engine/pretrain/recipe.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { fillMask } from '../../src/engine/tasks/fill-mask.js';
import { headOffset, logFrequencyBias, structuredInit } from '../../src/engine/pretrain/structured-init.js';
import { createRng } from '../../src/engine/rng/rng.js';

const ROOT = resolve(__dirname, '../..');

function recipe(model: PretrainRecipe['model'], maxLength: number): PretrainRecipe {
  return parseRecipe({ name: 't', model, vocabSize: 300, languages: ['eng', 'fra'], objectives: [{ name: 'mlm', weight: 1 }], steps: 1, batchSize: 2, learningRate: 1e-3, maxLength, init: 'structured' }, 'test.json');
}

/** Layer 0's attention probabilities [head][query][key] at the start, computed from the initial tensors as XLM-R does. */
function layer0Attention(r: PretrainRecipe, ids: number[]): number[][][] {
  const config = pretrainConfig(r, 300);
  const w = structuredInit(config, createRng(5), INITIALIZER_RANGE);
  const h = config.hidden_size;
  const heads = config.num_attention_heads;
  const dh = h / heads;
  const word = w.get(EMBEDDINGS.word)!;
  const pos = w.get(EMBEDDINGS.position)!;
  const type = w.get(EMBEDDINGS.tokenType)!;
  const x = ids.map((id, i) => {
    const p = i + config.pad_token_id + 1;
    const v = Array.from({ length: h }, (_, d) => word[id * h + d] + pos[p * h + d] + type[d]);
    const mean = v.reduce((a, b) => a + b, 0) / h;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / h + 1e-5);
    return v.map((e) => (e - mean) / std);
  });
  const names = layerNames(0);
  const project = (m: Float32Array, v: number[]) => Array.from({ length: h }, (_, r) => v.reduce((a, e, c) => a + m[r * h + c] * e, 0));
  const q = x.map((v) => project(w.get(names.queryWeight)!, v));
  const k = x.map((v) => project(w.get(names.keyWeight)!, v));
  return Array.from({ length: heads }, (_, hd) =>
    q.map((qi) => {
      const s = k.map((kj) => qi.slice(hd * dh, (hd + 1) * dh).reduce((a, e, d) => a + e * kj[hd * dh + d], 0) / Math.sqrt(dh));
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / z);
    }),
  );
}

test('at the start, layer 0 of the default-size model attends from each token to its previous and next token', () => {
  const r = recipe({ layers: 2, hidden: 128, heads: 2, intermediate: 512 }, 128);
  const rng = createRng(9);
  const ids = Array.from({ length: 128 }, () => 5 + rng.int(290));
  const attention = layer0Attention(r, ids);
  assert.deepEqual([headOffset(0), headOffset(1)], [-1, 1]);
  for (let hd = 0; hd < 2; hd++) {
    for (let i = 1; i < 127; i++) {
      const row = attention[hd][i];
      const target = i + headOffset(hd);
      assert.equal(row.indexOf(Math.max(...row)), target, `head ${hd}, token ${i}`);
      assert.ok(row[target] > 0.8, `head ${hd}, token ${i}: ${row[target].toFixed(3)} of the attention on its neighbour`);
    }
  }
});

test('the tiny test recipe gets the same neighbour heads with fewer position dimensions', () => {
  const r = recipe({ layers: 1, hidden: 32, heads: 2, intermediate: 64 }, 64);
  const attention = layer0Attention(r, Array.from({ length: 64 }, (_, i) => 5 + ((i * 37) % 290)));
  for (let hd = 0; hd < 2; hd++) {
    for (let i = 1; i < 63; i++) {
      const row = attention[hd][i];
      assert.equal(row.indexOf(Math.max(...row)), i + headOffset(hd), `head ${hd}, token ${i}`);
    }
  }
});

test('word embeddings leave the position dimensions empty, position embeddings the token dimensions, and the pad rows are zero', () => {
  const config = pretrainConfig(recipe({ layers: 2, hidden: 128, heads: 2, intermediate: 512 }, 128), 300);
  const w = structuredInit(config, createRng(1), INITIALIZER_RANGE);
  const word = w.get(EMBEDDINGS.word)!;
  const pos = w.get(EMBEDDINGS.position)!;
  const h = 128;
  const posDims = 32;
  for (let v = 0; v < 300; v++) for (let d = 0; d < posDims; d++) assert.equal(word[v * h + d], 0);
  for (let p = 0; p < config.max_position_embeddings; p++) for (let d = posDims; d < h; d++) assert.equal(pos[p * h + d], 0);
  const pad = config.pad_token_id;
  assert.ok(word.subarray(pad * h, (pad + 1) * h).every((x) => x === 0));
  assert.ok(pos.subarray(pad * h, (pad + 1) * h).every((x) => x === 0));
  // The token part keeps HF's std.
  const tokenPart = Array.from({ length: 300 - 1 }, (_, i) => (i + 1 === pad ? 0 : i + 1)).flatMap((v) => Array.from(word.subarray(v * h + posDims, (v + 1) * h)));
  const std = Math.sqrt(tokenPart.reduce((a, b) => a + b * b, 0) / tokenPart.length);
  assert.ok(Math.abs(std - INITIALIZER_RANGE) < 0.002, `token std ${std}`);
});

test('the masked-LM bias starts at the smoothed log-frequencies: its softmax is the add-one unigram distribution', () => {
  const counts = [0, 0, 9, 99, 3, 0, 887];
  const bias = logFrequencyBias(counts);
  const z = Array.from(bias).reduce((a, b) => a + Math.exp(b), 0);
  const total = counts.reduce((a, b) => a + b + 1, 0);
  counts.forEach((c, i) => assert.ok(Math.abs(Math.exp(bias[i]) / z - (c + 1) / total) < 1e-6, `piece ${i}`));
  assert.ok(Math.abs(Array.from(bias).reduce((a, b) => a + b, 0)) < 1e-4, 'centred');
});

test('pre-training with the structured start writes a folder that loads, fills masks, and starts at the unigram loss', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-structured-'));
  try {
    const tiny = { ...loadRecipe(join(ROOT, 'recipes/tiny.json')), init: 'structured' as const, steps: 8 };
    const hf = await pretrain({ ...tiny, init: 'hf' }, join(dir, 'hf'), { threads: 1 });
    const result = await pretrain(tiny, join(dir, 'structured'), { threads: 1 });
    // HF's start predicts every piece about equally (ln 600 = 6.40); the structured one starts at the pieces' frequencies.
    assert.ok(hf.losses[0] > 6.2, `HF start: ${hf.losses[0]}`);
    assert.ok(result.losses[0] < hf.losses[0] - 0.2, `structured start ${result.losses[0]} vs HF ${hf.losses[0]}`);
    assert.equal(loadModelFolder(result.dir).config.num_hidden_layers, 1);
    const cache = new ModelCache({ threads: 1 });
    try {
      const [fill] = await fillMask(await cache.model(result.dir), ['Everyone has the <mask> to life.'], { topK: 3 });
      assert.equal(fill.masks[0].candidates.length, 3);
    } finally {
      await cache.closeAll();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
