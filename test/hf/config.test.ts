// config.json of the XLM-R family parses into typed fields with HF's defaults; anything else is refused by key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XlmError, describeError } from '../../src/engine/errors.js';
import { loadXlmrConfig, parseXlmrConfig } from '../../src/engine/hf/config.js';

/** The config.json xlm-roberta-base ships (abridged to the keys that matter). */
const XLMR_BASE = {
  architectures: ['XLMRobertaForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  bos_token_id: 0,
  eos_token_id: 2,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 514,
  model_type: 'xlm-roberta',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  output_past: true,
  pad_token_id: 1,
  position_embedding_type: 'absolute',
  transformers_version: '4.17.0.dev0',
  type_vocab_size: 1,
  use_cache: true,
  vocab_size: 250002,
};

test('xlm-roberta-base config parses into typed fields and keeps unknown keys in raw', () => {
  const config = parseXlmrConfig(XLMR_BASE, 'config.json');
  assert.equal(config.model_type, 'xlm-roberta');
  assert.equal(config.vocab_size, 250002);
  assert.equal(config.hidden_size, 768);
  assert.equal(config.num_hidden_layers, 12);
  assert.equal(config.num_attention_heads, 12);
  assert.equal(config.intermediate_size, 3072);
  assert.equal(config.max_position_embeddings, 514);
  assert.equal(config.type_vocab_size, 1);
  assert.equal(config.layer_norm_eps, 1e-5);
  assert.equal(config.pad_token_id, 1);
  assert.equal(config.bos_token_id, 0);
  assert.equal(config.eos_token_id, 2);
  assert.equal(config.hidden_act, 'gelu');
  assert.deepEqual(config.architectures, ['XLMRobertaForMaskedLM']);
  assert.equal(config.classifier_dropout, null);
  assert.equal(config.problem_type, null);
  // HF's PretrainedConfig gives every model two default labels.
  assert.deepEqual(config.id2label, ['LABEL_0', 'LABEL_1']);
  assert.equal(config.raw.transformers_version, '4.17.0.dev0');
});

test('labels come from id2label by id, whatever the key order; label2id is kept as written', () => {
  const config = parseXlmrConfig(
    { ...XLMR_BASE, id2label: { '2': 'contradiction', '0': 'entailment', '1': 'neutral' }, label2id: { entailment: 0, neutral: 1, contradiction: 2 }, problem_type: 'single_label_classification', classifier_dropout: 0.2 },
    'config.json',
  );
  assert.deepEqual(config.id2label, ['entailment', 'neutral', 'contradiction']);
  assert.deepEqual(config.label2id, { entailment: 0, neutral: 1, contradiction: 2 });
  assert.equal(config.problem_type, 'single_label_classification');
  assert.equal(config.classifier_dropout, 0.2);
});

test('absent optional keys take XLMRobertaConfig defaults; model_type roberta is accepted', () => {
  const minimal = { model_type: 'roberta', vocab_size: 50, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 20 };
  const config = parseXlmrConfig(minimal, 'config.json');
  assert.equal(config.model_type, 'roberta');
  assert.equal(config.layer_norm_eps, 1e-12);
  assert.equal(config.type_vocab_size, 2);
  assert.equal(config.hidden_dropout_prob, 0.1);
  assert.equal(config.attention_probs_dropout_prob, 0.1);
  assert.equal(config.pad_token_id, 1);
  assert.deepEqual(config.architectures, []);
});

const refusals: Array<{ name: string; change: Record<string, unknown>; key: string; message: RegExp; code?: string }> = [
  { name: 'a BERT config', change: { model_type: 'bert' }, key: 'model_type', message: /"model_type" is the string "bert"; XLM Lab supports the XLM-R family only: "xlm-roberta", "roberta"/, code: 'hf/config-model-type' },
  { name: 'no model_type', change: { model_type: undefined }, key: 'model_type', message: /required key "model_type" is missing/ },
  { name: 'no hidden_size', change: { hidden_size: undefined }, key: 'hidden_size', message: /required key "hidden_size" is missing/ },
  { name: 'no vocab_size', change: { vocab_size: undefined }, key: 'vocab_size', message: /required key "vocab_size" is missing/ },
  { name: 'no num_hidden_layers', change: { num_hidden_layers: undefined }, key: 'num_hidden_layers', message: /required key "num_hidden_layers" is missing/ },
  { name: 'a fractional layer count', change: { num_hidden_layers: 1.5 }, key: 'num_hidden_layers', message: /"num_hidden_layers" is number 1.5; expected an integer from 1 to 256/ },
  { name: 'a hidden size that heads do not divide', change: { num_attention_heads: 5 }, key: 'num_attention_heads', message: /768 is not a multiple of "num_attention_heads" 5/ },
  { name: 'a tanh GELU', change: { hidden_act: 'gelu_new' }, key: 'hidden_act', message: /"hidden_act" is the string "gelu_new"; XLM Lab implements only "gelu"/ },
  { name: 'relative positions', change: { position_embedding_type: 'relative_key' }, key: 'position_embedding_type', message: /only "absolute"/ },
  { name: 'a decoder', change: { is_decoder: true }, key: 'is_decoder', message: /describes a decoder/ },
  { name: 'a pad id outside the vocabulary', change: { pad_token_id: 250002 }, key: 'pad_token_id', message: /outside the vocabulary of 250002 tokens/ },
  { name: 'a dropout of 1.5', change: { hidden_dropout_prob: 1.5 }, key: 'hidden_dropout_prob', message: /expected a probability in \[0, 1\)/ },
  { name: 'id2label with a gap', change: { id2label: { '0': 'a', '2': 'c' } }, key: 'id2label', message: /has 2 labels but an id 2; ids must be 0\.\.1/ },
  { name: 'id2label with a non-numeric key', change: { id2label: { first: 'a' } }, key: 'id2label', message: /maps "first" to/ },
  { name: 'a billion layers', change: { num_hidden_layers: 1_000_000_000 }, key: 'num_hidden_layers', message: /expected an integer from 1 to 256 \(far beyond any XLM-R family model/ },
  { name: 'a trillion-token vocabulary', change: { vocab_size: 1e12 }, key: 'vocab_size', message: /expected an integer from 1 to 4,000,000/ },
  { name: 'a huge hidden size', change: { hidden_size: 2 ** 30, num_attention_heads: 1 }, key: 'hidden_size', message: /from 1 to 16,384/ },
  { name: 'a huge position table', change: { max_position_embeddings: 1e9 }, key: 'max_position_embeddings', message: /from 1 to 131,072/ },
  { name: 'a label id of a billion', change: { id2label: { '0': 'a', '1000000000': 'b' } }, key: 'id2label', message: /has 2 labels but an id 1000000000; ids must be 0\.\.1/ },
  { name: 'an unknown problem_type', change: { problem_type: 'ranking' }, key: 'problem_type', message: /"problem_type" is the string "ranking"/ },
];

for (const r of refusals) {
  test(`config.json with ${r.name} is refused, naming the file and the key`, () => {
    const json: Record<string, unknown> = { ...XLMR_BASE, ...r.change };
    for (const [k, v] of Object.entries(r.change)) if (v === undefined) delete json[k];
    assert.throws(
      () => parseXlmrConfig(json, '/models/x/config.json'),
      (e: unknown) => {
        assert.ok(e instanceof XlmError);
        assert.equal(e.code, r.code ?? 'hf/config-invalid');
        assert.equal(e.place.file, '/models/x/config.json');
        assert.equal(e.place.what, r.key);
        assert.match(describeError(e), /^\/models\/x\/config\.json: /);
        assert.match(e.message, r.message);
        return true;
      },
    );
  });
}

test('a config.json with a syntax error is refused at its line and column', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-config-'));
  try {
    const path = join(dir, 'config.json');
    writeFileSync(path, '{\n  "model_type": "xlm-roberta",\n  "vocab_size": 10,,\n}\n');
    assert.throws(() => loadXlmrConfig(path), (e: unknown) => e instanceof XlmError && e.code === 'hf/json-syntax' && e.place.line === 3 && e.place.column === 20 && describeError(e).startsWith(`${path}:3:20: not valid JSON`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
