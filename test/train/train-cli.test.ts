import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { buildInferenceGraph } from '../../src/engine/model/inference.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runReference } from '../helpers/reference.js';
import { runXlm } from '../helpers/cli.js';
import { readAllFloat32 } from '../helpers/safetensors.js';

let root: string;
let base: string;

const WORDS = ['Paris', 'Berlin', 'Madrid', 'cats', 'dogs', 'world'];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-train-cli-'));
  base = join(root, 'base');
  writeTinyXlmr(base, { head: 'mlm', seed: 4, std: 0.1 });
  // Learnable: the label says whether the sentence names a city.
  const cls = WORDS.flatMap((w, i) => [0, 1, 2].map((k) => JSON.stringify({ text: `The ${w} is ${['here', 'there', 'big'][k]}.`, label: i < 3 ? 'city' : 'other' })));
  writeFileSync(join(root, 'cls.jsonl'), cls.join('\n') + '\n');
  const nli = WORDS.map((w, i) => JSON.stringify({ premise: `The ${w} is here.`, hypothesis: `The ${WORDS[(i + 1) % 6]} is there.`, label: i % 2 ? 'entailment' : 'contradiction' }));
  writeFileSync(join(root, 'nli.jsonl'), nli.join('\n') + '\n');
  const ner = WORDS.map((w, i) => JSON.stringify({ tokens: ['The', w, 'is', 'big'], tags: ['O', i < 3 ? 'B-LOC' : 'O', 'O', 'O'] }));
  writeFileSync(join(root, 'ner.jsonl'), ner.join('\n') + '\n');
  writeFileSync(join(root, 'text.txt'), WORDS.map((w) => `The capital of ${w} is Paris, and Berlin is the capital of Germany.`).join('\n') + '\n');
});

after(() => rmSync(root, { recursive: true, force: true }));

const xlm = (argv: string[]) => runXlm(argv);


test('xlm train seq-cls: JSON metric lines, falling loss, an HF folder that the PyTorch reference loads and agrees with', async () => {
  const out = join(root, 'out-cls');
  const r = await xlm(['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'cls.jsonl'), '--eval', join(root, 'cls.jsonl'), '--out', out, '--lr', '3e-3', '--batch-size', '6', '--max-steps', '30', '--eval-every', '15', '--save-every', '10', '--dropout', '0', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  const steps = lines.filter((l) => 'loss' in l);
  assert.equal(steps.length, 30);
  for (const key of ['step', 'epoch', 'loss', 'lr', 'grad_norm', 'examples_per_s', 'tokens_per_s']) assert.ok(steps.every((l) => typeof l[key] === 'number'), `every line has ${key}`);
  const evals = lines.filter((l) => 'eval' in l) as unknown as { step: number; eval: Record<string, number>; confusion: number[][]; labels: string[] }[];
  assert.deepEqual(evals.map((l) => l.step), [15, 30]);
  assert.ok(evals.every((l) => l.eval.accuracy >= 0 && l.eval.accuracy <= 1 && Number.isFinite(l.eval.loss)));
  assert.deepEqual(evals[0].labels, ['city', 'other']);
  assert.equal(evals[1].confusion.flat().reduce((a, b) => a + b, 0), 18, 'the confusion matrix counts every eval example');
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), r.stdout, 'metrics.jsonl holds the same lines');
  const mean = (xs: Record<string, number>[]) => xs.reduce((s, l) => s + l.loss, 0) / xs.length;
  assert.ok(mean(steps.slice(-5)) < 0.5 * mean(steps.slice(0, 5)), `loss falls: ${mean(steps.slice(0, 5))} → ${mean(steps.slice(-5))}`);
  for (const dir of ['checkpoint-10', 'checkpoint-20', 'checkpoint-30']) assert.ok(existsSync(join(out, dir, 'model.safetensors')), dir);

  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['XLMRobertaForSequenceClassification']);
  assert.deepEqual(config.id2label, { 0: 'city', 1: 'other' });
  assert.deepEqual(config.label2id, { city: 0, other: 1 });
  const folder = loadModelFolder(out, { head: 'seq-cls', requireHead: true });
  const graph = buildInferenceGraph('seq-cls', folder.config, folder.weights);
  folder.close();
  const ids = [[0, 5, 9, 12, 2], [0, 7, 2, 1, 1]];
  const mask = ids.map((row) => row.map((id) => (id === 1 ? 0 : 1)));
  const { session } = await createSession(graph, { threads: 1 });
  const ours = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [2, 5]), attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.flat().map(BigInt)), [2, 5]) });
  await session.release();
  const ref = runReference({ model: out, head: 'seq-cls', input_ids: ids, attention_mask: mask });
  (ours.logits.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - ref.data[i]) < 1e-4, `logit ${i}: ${v} vs PyTorch ${ref.data[i]}`));
});

test('pairs (NLI), token classification and masked-LM train from the CLI with eval lines', async () => {
  const cases: [string, string, string][] = [['seq-cls', 'nli.jsonl', 'XLMRobertaForSequenceClassification'], ['token-cls', 'ner.jsonl', 'XLMRobertaForTokenClassification'], ['mlm', 'text.txt', 'XLMRobertaForMaskedLM']];
  for (const [task, file, architecture] of cases) {
    const out = join(root, `out-${task}-${file}`);
    const r = await xlm(['train', '--model', base, '--task', task, '--train', join(root, file), '--eval', join(root, file), '--out', out, '--lr', '1e-3', '--batch-size', '3', '--max-steps', '4', '--whole-word-mask', '--threads', '1']);
    assert.equal(r.code, 0, `${task}: ${r.stderr}`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.ok(lines.filter((l) => 'loss' in l).every((l) => Number.isFinite(l.loss)), `${task}: finite losses`);
    assert.ok(lines.some((l) => 'eval' in l), `${task}: an eval line`);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).architectures, [architecture]);
    loadModelFolder(out, { head: task as 'mlm', requireHead: true }).close();
  }
});

test('LoRA writes a PEFT adapter with PEFT key names, and xlm merge folds it into the same weights as the saved model', async () => {
  const out = join(root, 'out-lora');
  const r = await xlm(['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'cls.jsonl'), '--out', out, '--method', 'lora', '--lora-r', '4', '--lora-alpha', '8', '--lora-targets', 'query,value,output.dense', '--lr', '1e-2', '--batch-size', '6', '--max-steps', '5', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const adapterConfig = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
  assert.equal(adapterConfig.peft_type, 'LORA');
  assert.equal(adapterConfig.task_type, 'SEQ_CLS');
  assert.equal(adapterConfig.r, 4);
  assert.equal(adapterConfig.lora_alpha, 8);
  assert.deepEqual(adapterConfig.modules_to_save, ['classifier']);
  assert.equal(typeof adapterConfig.target_modules, 'string', "output.dense alone is written as a regex PEFT full-matches (its suffix match would take attention.output.dense too)");
  const adapter = readAllFloat32(join(out, 'adapter_model.safetensors'));
  assert.ok(adapter.has('base_model.model.roberta.encoder.layer.0.attention.self.query.lora_A.weight'));
  assert.ok(adapter.has('base_model.model.roberta.encoder.layer.1.output.dense.lora_B.weight'));
  assert.ok(!adapter.has('base_model.model.roberta.encoder.layer.0.attention.output.dense.lora_A.weight'));
  assert.ok(adapter.has('base_model.model.classifier.dense.weight') && adapter.has('base_model.model.classifier.out_proj.bias'));
  assert.ok([...adapter.keys()].every((k) => k.startsWith('base_model.model.')));
  assert.ok([...adapter].some(([k, v]) => k.endsWith('lora_B.weight') && v.some((x) => x !== 0)), 'B moved off zero');

  const merged = join(root, 'merged');
  const m = await xlm(['merge', '--model', base, '--adapter', out, '--out', merged]);
  assert.equal(m.code, 0, m.stderr);
  const saved = readAllFloat32(join(out, 'model.safetensors'));
  const folded = readAllFloat32(join(merged, 'model.safetensors'));
  const baseWeights = readAllFloat32(join(base, 'model.safetensors'));
  assert.deepEqual([...folded.keys()].sort(), [...saved.keys()].sort());
  for (const [name, data] of saved) {
    const other = folded.get(name)!;
    data.forEach((v, i) => assert.ok(Math.abs(v - other[i]) < 1e-6, `${name}[${i}]`));
  }
  const q = 'roberta.encoder.layer.0.attention.self.query.weight';
  assert.ok(saved.get(q)!.some((v, i) => v !== baseWeights.get(q)![i]), 'the saved query weight has LoRA merged in');
  assert.deepEqual(saved.get('roberta.encoder.layer.0.attention.self.key.weight'), baseWeights.get('roberta.encoder.layer.0.attention.self.key.weight'), 'untargeted weights are the base ones');
});

test('bad flags are one clear error line', async () => {
  const r = await xlm(['train', '--model', base, '--task', 'ner', '--train', 'x', '--out', 'y']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--task is "ner"; expected one of seq-cls, nli, token-cls, mlm, qa, translation/);
  const t = await xlm(['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'cls.jsonl'), '--out', join(root, 'o'), '--lora-targets', 'query,foo', '--method', 'lora']);
  assert.match(t.stderr, /unknown LoRA target 'foo'/);
  // The engine refuses the option by its name (maxLength, as train/start says it); the CLI says the flag.
  const short = await xlm(['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'cls.jsonl'), '--out', join(root, 'o'), '--max-length', '2']);
  assert.equal(short.code, 1);
  assert.equal(short.stderr, 'xlm: --max-length must leave room for <s> and </s>, got 2\n');
  const best = await xlm(['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'cls.jsonl'), '--out', join(root, 'o'), '--patience', '2', '--metric-for-best', 'f1']);
  assert.equal(best.stderr, 'xlm: --metric-for-best needs evaluation data (--eval FILE)\n');
});

test('--eval-fraction holds out rows for eval lines; the --ping-pong experiment is no flag', async () => {
  const args = (out: string) => ['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'cls.jsonl'), '--out', out, '--lr', '1e-3', '--batch-size', '4', '--max-steps', '3', '--threads', '1', '--eval-fraction', '0.25'];
  const a = await xlm(args(join(root, 'pp')));
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stderr, /holding out [1-9] of 18 rows/);
  assert.ok(a.stdout.split('\n').some((l) => l.includes('"eval"')), 'an eval line from the held-out rows');
  const b = await xlm([...args(join(root, 'ip')), '--ping-pong']);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /ping-pong/);
});

test('a masked-LM LoRA adapter carries the whole lm_head as PEFT loads modules_to_save (tied decoder included), merges back, and names its base by folder name', async () => {
  const out = join(root, 'out-mlm-lora');
  const r = await xlm(['train', '--model', base, '--task', 'mlm', '--train', join(root, 'text.txt'), '--out', out, '--method', 'lora', '--lora-r', '2', '--lr', '1e-2', '--batch-size', '6', '--max-steps', '2', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const adapterConfig = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
  assert.deepEqual(adapterConfig.modules_to_save, ['lm_head']);
  assert.equal(adapterConfig.base_model_name_or_path, 'base', 'the folder name, not an absolute path');
  const adapter = readAllFloat32(join(out, 'adapter_model.safetensors'));
  // PEFT's rule: every state_dict key of the wrapped module (transformers' XLMRobertaLMHead) is read.
  const lmHeadKeys = ['dense.weight', 'dense.bias', 'layer_norm.weight', 'layer_norm.bias', 'decoder.weight', 'decoder.bias', 'bias'].map((k) => `base_model.model.lm_head.${k}`);
  assert.deepEqual([...adapter.keys()].filter((k) => k.includes('lm_head.')).sort(), lmHeadKeys.sort());
  assert.deepEqual(adapter.get('base_model.model.lm_head.decoder.weight'), readAllFloat32(join(base, 'model.safetensors')).get('roberta.embeddings.word_embeddings.weight'));
  assert.deepEqual(adapter.get('base_model.model.lm_head.decoder.bias'), adapter.get('base_model.model.lm_head.bias'));
  const merged = join(root, 'merged-mlm');
  const m = await xlm(['merge', '--model', base, '--adapter', out, '--out', merged]);
  assert.equal(m.code, 0, m.stderr);
  const saved = readAllFloat32(join(out, 'model.safetensors'));
  for (const [name, data] of readAllFloat32(join(merged, 'model.safetensors'))) data.forEach((v, i) => assert.ok(Math.abs(v - saved.get(name)![i]) < 1e-6, `${name}[${i}]`));
});
