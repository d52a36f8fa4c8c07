// The tensor-name table describes XLM-R as transformers stores it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAD_TENSOR_NAMES, encoderTensorSpecs, headOfArchitecture, headTensorSpecs, layerNames } from '../../src/engine/hf/names.js';

const XLMR_BASE = { vocab_size: 250002, hidden_size: 768, num_hidden_layers: 12, intermediate_size: 3072, max_position_embeddings: 514, type_vocab_size: 1 };
const count = (specs: Array<{ shape: number[] }>) => specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);

test('the encoder of xlm-roberta-base has 197 tensors and 277,453,056 parameters (278,043,648 with the pooler)', () => {
  const specs = encoderTensorSpecs(XLMR_BASE);
  assert.equal(specs.length, 5 + 16 * 12);
  assert.equal(new Set(specs.map((s) => s.name)).size, specs.length, 'names are unique');
  const pooler = 768 * 768 + 768;
  assert.equal(count(specs) + pooler, 278_043_648);
});

test('linear weights are [out, in] as PyTorch stores them', () => {
  const specs = new Map(encoderTensorSpecs(XLMR_BASE).map((s) => [s.name, s.shape]));
  assert.deepEqual(specs.get(layerNames(11).intermediateWeight), [3072, 768]);
  assert.deepEqual(specs.get(layerNames(11).outputWeight), [768, 3072]);
  assert.equal(layerNames(3).attentionLayerNormBias, 'roberta.encoder.layer.3.attention.output.LayerNorm.bias');
  assert.deepEqual(headTensorSpecs(XLMR_BASE, 'seq-cls', 3).map((s) => s.shape), [[768, 768], [768], [3, 768], [3]]);
  assert.deepEqual(headTensorSpecs(XLMR_BASE, 'token-cls', 9), [{ name: 'classifier.weight', shape: [9, 768] }, { name: 'classifier.bias', shape: [9] }]);
  assert.equal(count(headTensorSpecs(XLMR_BASE, 'mlm', 2)), 768 * 768 + 768 + 2 * 768 + 250002);
});

test('head name lists agree with the head specs, and transformers classes map to heads', () => {
  for (const head of ['mlm', 'seq-cls', 'token-cls'] as const) {
    assert.deepEqual(headTensorSpecs(XLMR_BASE, head, 2).map((s) => s.name), HEAD_TENSOR_NAMES[head]);
  }
  assert.equal(headOfArchitecture('XLMRobertaForSequenceClassification'), 'seq-cls');
  assert.equal(headOfArchitecture('RobertaForMaskedLM'), 'mlm');
  assert.equal(headOfArchitecture('XLMRobertaModel'), 'none');
  assert.equal(headOfArchitecture('BertForMaskedLM'), undefined);
});
