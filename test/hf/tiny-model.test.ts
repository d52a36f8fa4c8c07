// The tiny-model helper writes the same folder for the same seed, sized from its tokenizer, with the requested std.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDINGS, layerNames } from '../../src/engine/hf/names.js';
import { makeTinyTokenizerJson, tinyVocabSize } from '../helpers/tiny-tokenizer.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

test('the same seed writes byte-identical weights; another seed different ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-tiny-'));
  try {
    writeTinyXlmr(join(dir, 'a'), { seed: 11, head: 'all' });
    writeTinyXlmr(join(dir, 'b'), { seed: 11, head: 'all' });
    writeTinyXlmr(join(dir, 'c'), { seed: 12, head: 'all' });
    const bytes = (name: string) => readFileSync(join(dir, name, 'model.safetensors'));
    assert.deepEqual(bytes('a'), bytes('b'));
    assert.notDeepEqual(bytes('a'), bytes('c'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vocab_size follows the tokenizer, and weights have the requested std (LayerNorm weights centred on 1)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-tiny-'));
  try {
    const tokenizerJson = makeTinyTokenizerJson({ extraPieces: [['▁extra', -20]] });
    const tiny = writeTinyXlmr(dir, { tokenizerJson, std: 0.5 });
    assert.equal(tiny.vocabSize, tinyVocabSize(tokenizerJson));
    assert.equal(tiny.vocabSize, tinyVocabSize() + 1);
    assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).vocab_size, tiny.vocabSize);
    const stats = (data: Float32Array) => {
      const mean = data.reduce((a, b) => a + b, 0) / data.length;
      return { mean, std: Math.sqrt(data.reduce((a, b) => a + (b - mean) ** 2, 0) / data.length) };
    };
    const word = stats(tiny.tensors.get(EMBEDDINGS.word)!.data);
    assert.ok(Math.abs(word.mean) < 0.05 && Math.abs(word.std - 0.5) < 0.05, JSON.stringify(word));
    const norm = stats(tiny.tensors.get(layerNames(0).outputLayerNormWeight)!.data);
    assert.ok(Math.abs(norm.mean - 1) < 0.3, JSON.stringify(norm));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
