/**
 * xlm merge on adapters as PEFT itself writes them (huggingface/peft utils/save_and_load.py: keys under
 * base_model.model., adapter name removed, no config.json; tuners/lora/layer.py Linear.merge and dora.py for the
 * math). Each adapter is written here tensor by tensor; the expected weights are computed in the test.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../../src/engine/hf/safetensors-write.js';
import { mergeAdapter } from '../../src/engine/train/merge.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { readAllFloat32 } from '../helpers/safetensors.js';
import { runXlm } from '../helpers/cli.js';

const H = 32;
const Q = 'roberta.encoder.layer.0.attention.self.query';
const V = 'roberta.encoder.layer.1.attention.self.value';
let root: string;
let base: string;
let baseWeights: Map<string, Float32Array>;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-merge-peft-'));
  base = join(root, 'base');
  writeTinyXlmr(base, { head: 'seq-cls', seed: 7, std: 0.1 });
  baseWeights = readAllFloat32(join(base, 'model.safetensors'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let seed = 1;
function values(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  });
}

function writeAdapter(name: string, config: Record<string, unknown>, tensors: Record<string, Float32Array | [Float32Array, number[]]>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const full = { peft_type: 'LORA', task_type: 'SEQ_CLS', r: 4, lora_alpha: 8, bias: 'none', use_rslora: false, use_dora: false, rank_pattern: {}, alpha_pattern: {}, ...config };
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(full));
  const out: Record<string, TensorToWrite> = {};
  for (const [key, value] of Object.entries(tensors)) {
    const [data, shape] = Array.isArray(value) ? value : [value, [value.length]];
    out[key] = { dtype: 'F32', shape, data };
  }
  writeSafetensors(join(dir, 'adapter_model.safetensors'), out, { format: 'pt' });
  return dir;
}

/** W + s * B @ A, written out in the test. */
function expectedMerge(w: Float32Array, a: Float32Array, b: Float32Array, r: number, scale: number): Float32Array {
  const out = Float32Array.from(w);
  for (let o = 0; o < H; o++) for (let i = 0; i < H; i++) {
    let d = 0;
    for (let k = 0; k < r; k++) d += b[o * r + k] * a[k * H + i];
    out[o * H + i] += scale * d;
  }
  return out;
}

function close(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${what}[${i}]: ${v} vs ${expected[i]}`));
}

const lora = (module: string, r: number, prefix = 'base_model.model.') => {
  const a = values(r * H);
  const b = values(H * r);
  return { a, b, tensors: { [`${prefix}${module}.lora_A.weight`]: [a, [r, H]], [`${prefix}${module}.lora_B.weight`]: [b, [H, r]] } as Record<string, [Float32Array, number[]]> };
};

test('PEFT 1: a classifier adapter with another label count merges; the head size comes from its tensors, labels from --labels or LABEL_i', async () => {
  const q = lora(Q, 4);
  const head = { 'base_model.model.classifier.dense.weight': [values(H * H), [H, H]], 'base_model.model.classifier.dense.bias': values(H), 'base_model.model.classifier.out_proj.weight': [values(5 * H), [5, H]], 'base_model.model.classifier.out_proj.bias': values(5) } as Record<string, [Float32Array, number[]] | Float32Array>;
  const dir = writeAdapter('five-labels', {}, { ...q.tensors, ...head });
  const out = join(root, 'merged-five');
  const r = await runXlm(['merge', '--model', base, '--adapter', dir, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 LoRA modules merged; labels LABEL_0\.\. .*--labels/);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2', 3: 'LABEL_3', 4: 'LABEL_4' });
  const merged = readAllFloat32(join(out, 'model.safetensors'));
  assert.deepEqual(merged.get('classifier.out_proj.bias'), head['base_model.model.classifier.out_proj.bias']);

  const named = join(root, 'merged-named');
  const n = await runXlm(['merge', '--model', base, '--adapter', dir, '--out', named, '--labels', 'a,b,c,d,e']);
  assert.equal(n.code, 0, n.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(named, 'config.json'), 'utf8')).id2label, { 0: 'a', 1: 'b', 2: 'c', 3: 'd', 4: 'e' });
  const wrong = await runXlm(['merge', '--model', base, '--adapter', dir, '--out', join(root, 'x'), '--labels', 'a,b']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /--labels names 2 labels; the adapter's 'classifier\.out_proj\.weight' has 5 rows/);
});

test('PEFT 3: rank_pattern and alpha_pattern give each module its own rank and scale; use_rslora divides by sqrt(rank)', () => {
  const q = lora(Q, 2);
  const v = lora(V, 4);
  const dir = writeAdapter('patterns', { r: 4, lora_alpha: 8, rank_pattern: { 'layer.0.attention.self.query': 2 }, alpha_pattern: { query: 3 }, use_rslora: true }, { ...q.tensors, ...v.tensors });
  const result = mergeAdapter(base, dir, join(root, 'merged-patterns'));
  assert.equal(result.merged, 2);
  const merged = readAllFloat32(join(root, 'merged-patterns', 'model.safetensors'));
  close(merged.get(`${Q}.weight`)!, expectedMerge(baseWeights.get(`${Q}.weight`)!, q.a, q.b, 2, 3 / Math.sqrt(2)), 'query');
  close(merged.get(`${V}.weight`)!, expectedMerge(baseWeights.get(`${V}.weight`)!, v.a, v.b, 4, 8 / 2), 'value');
});

test('PEFT 3: use_dora rescales each output row to the magnitude vector', () => {
  const q = lora(Q, 4);
  const magnitude = values(H).map((x) => 1 + x);
  const dir = writeAdapter('dora', { use_dora: true }, { ...q.tensors, [`base_model.model.${Q}.lora_magnitude_vector`]: magnitude });
  mergeAdapter(base, dir, join(root, 'merged-dora'));
  const merged = readAllFloat32(join(root, 'merged-dora', 'model.safetensors')).get(`${Q}.weight`)!;
  const folded = expectedMerge(baseWeights.get(`${Q}.weight`)!, q.a, q.b, 4, 2);
  for (let o = 0; o < H; o++) {
    const row = folded.subarray(o * H, (o + 1) * H);
    const norm = Math.hypot(...row);
    close(merged.subarray(o * H, (o + 1) * H), row.map((x) => (x * magnitude[o]) / norm), `row ${o}`);
  }
  assert.throws(() => mergeAdapter(base, writeAdapter('dora-missing', { use_dora: true }, q.tensors), join(root, 'x')), /use_dora is true but '.*query\.lora_magnitude_vector' is missing/);
});

test('PEFT 3: lora_bias adds s * lora_B.bias; bias "lora_only" saves <module>.base_layer.bias, which replaces the base bias', () => {
  const q = lora(Q, 4);
  const bBias = values(H);
  const trainedBias = values(H);
  const dir = writeAdapter('biases', { lora_bias: true, bias: 'lora_only' }, { ...q.tensors, [`base_model.model.${Q}.lora_B.bias`]: bBias, [`base_model.model.${Q}.base_layer.bias`]: trainedBias });
  mergeAdapter(base, dir, join(root, 'merged-bias'));
  const merged = readAllFloat32(join(root, 'merged-bias', 'model.safetensors'));
  close(merged.get(`${Q}.bias`)!, trainedBias.map((x, i) => x + 2 * bBias[i]), 'query bias');
});

test('PEFT 3: an adapter trained on AutoModel (keys without roberta.) merges into the same modules', () => {
  const q = lora(Q.slice('roberta.'.length), 4);
  const dir = writeAdapter('automodel', { task_type: 'FEATURE_EXTRACTION' }, q.tensors);
  const result = mergeAdapter(base, dir, join(root, 'merged-auto'));
  assert.equal(result.merged, 1);
  const merged = readAllFloat32(join(root, 'merged-auto', 'model.safetensors'));
  close(merged.get(`${Q}.weight`)!, expectedMerge(baseWeights.get(`${Q}.weight`)!, q.a, q.b, 4, 2), 'query');
});

test('PEFT 3: zero modules, unknown adapter weights and unsupported settings are errors that name them', async () => {
  const empty = writeAdapter('empty', {}, { 'base_model.model.classifier.out_proj.bias': values(3) });
  const r = await runXlm(['merge', '--model', base, '--adapter', empty, '--out', join(root, 'x')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no LoRA weights .* nothing to merge/);
  const elsewhere = writeAdapter('elsewhere', {}, lora('model.decoder.layers.0.q_proj', 4).tensors);
  assert.throws(() => mergeAdapter(base, elsewhere, join(root, 'x')), /adapts 'model\.decoder\.layers\.0\.q_proj', which is not a Linear layer of this model/);
  const embedding = writeAdapter('embedding', {}, { ...lora(Q, 4).tensors, 'base_model.model.roberta.embeddings.word_embeddings.lora_embedding_A': values(8) });
  assert.throws(() => mergeAdapter(base, embedding, join(root, 'x')), /lora_embedding_A' is a kind of adapter weight xlm merge does not know/);
  const fanIn = writeAdapter('fan-in', { fan_in_fan_out: true }, lora(Q, 4).tensors);
  assert.throws(() => mergeAdapter(base, fanIn, join(root, 'x')), /"fan_in_fan_out" is true; xlm merge does not support it/);
  const rank = writeAdapter('rank', { r: 8 }, lora(Q, 4).tensors);
  assert.throws(() => mergeAdapter(base, rank, join(root, 'x')), /has rank 4 in its lora_A; adapter_config\.json gives it r = 8/);
});
