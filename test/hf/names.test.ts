// The tensor-name table describes XLM-R as transformers stores it, and the model builders read exactly its tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAD_TENSOR_NAMES, encoderTensorSpecs, headOfArchitecture, headTensorSpecs, layerNames } from '../../src/engine/hf/names.js';
import { parseXlmrConfig, xlmrConfigJson } from '../../src/engine/hf/config.js';
import { buildInferenceGraph } from '../../src/engine/model/inference.js';

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

test('the model builders ask for exactly the tensors of the spec table, with the same shapes, for every head', () => {
  // The spec table (hf/names.ts) is what folders are written and checked by; the builders read weights through
  // weights.get(name, shape). Recording those reads on a small config shows the two cannot drift apart.
  const sizes = { vocab_size: 50, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 24, max_position_embeddings: 40, type_vocab_size: 1 };
  const labels = ['a', 'b', 'c'];
  const config = parseXlmrConfig(xlmrConfigJson({ sizes, architecture: 'XLMRobertaForMaskedLM', labels }), 'config.json');
  const cases = [
    ['mlm-logits', 'mlm'],
    ['seq-cls', 'seq-cls'],
    ['token-cls', 'token-cls'],
    ['qa', 'qa'],
    ['hidden', undefined],
  ] as const;
  for (const [task, head] of cases) {
    const read = new Map<string, number[]>();
    const weights = {
      get(name: string, shape: number[]): Float32Array {
        const before = read.get(name);
        if (before) assert.deepEqual(shape, before, `${task}: ${name} read twice with different shapes`);
        read.set(name, shape);
        return new Float32Array(shape.reduce((a, b) => a * b, 1));
      },
    };
    buildInferenceGraph(task, config, weights);
    const specs = [...encoderTensorSpecs(sizes), ...(head ? headTensorSpecs(sizes, head, labels.length) : [])];
    assert.deepEqual(
      [...read].map(([name, shape]) => `${name} ${shape.join('x')}`).sort(),
      specs.map((s) => `${s.name} ${s.shape.join('x')}`).sort(),
      `${task}: the builder's reads against the spec table`,
    );
  }
});
