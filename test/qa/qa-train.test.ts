import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { scoreQa } from '../../src/engine/metrics/qa.js';
import { runXlm } from '../helpers/cli.js';
import { firstSentence, generateQa, writeQaJsonl } from '../helpers/qa-data.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let root: string;
let model: string;
const evalRows = [...generateQa(60, 'en', 2), ...generateQa(60, 'de', 3)];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-qa-train-'));
  model = join(root, 'model');
  writeTinyXlmr(model, { head: 'mlm', hiddenSize: 64, numLayers: 2, intermediateSize: 128, maxPositionEmbeddings: 130 });
  // English and German training questions; --train-language en keeps the English ones (zero-shot to German).
  writeQaJsonl(join(root, 'train.jsonl'), [...generateQa(400, 'en', 1), ...generateQa(100, 'de', 4)]);
  writeQaJsonl(join(root, 'eval.jsonl'), evalRows);
});
after(() => rmSync(root, { recursive: true, force: true }));

const common = ['--task', 'qa', '--max-length', '64', '--stride', '16', '--batch-size', '16', '--dropout', '0', '--log-every', '50'];

test('a tiny model trained 200 steps on English questions reaches twice the F1 of answering the first sentence, and prints the zero-shot table', async () => {
  const out = join(root, 'full');
  const r = await runXlm(['train', '--model', model, '--train', join(root, 'train.jsonl'), '--train-language', 'en', '--eval', join(root, 'eval.jsonl'), '--out', out,
    '--max-steps', '200', '--lr', '3e-3', '--warmup-ratio', '0.1', '--eval-every', '100', ...common]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /training on en: 400 questions \(100 in other languages left out\)/);
  const evals = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { step: number; eval?: Record<string, number> }).filter((l) => l.eval);
  const last = evals[evals.length - 1].eval!;
  const english = evalRows.filter((e) => e.lang === 'en');
  const baseline = scoreQa(english.map((e) => ({ id: e.id, language: 'en', predicted: firstSentence(e.context), gold: e.answers.text }))).f1 / 100;
  process.stdout.write(`# QA measured: F1/en ${(100 * last['f1/en']).toFixed(1)} vs first-sentence baseline ${(100 * baseline).toFixed(1)}; zero-shot F1/de ${(100 * last['f1/de']).toFixed(1)}\n`);
  assert.ok(baseline > 0, 'the baseline scores something');
  assert.ok(last['f1/en'] >= 2 * baseline, `F1/en ${last['f1/en']} should be at least twice the first-sentence baseline ${baseline}`);
  // The run ends with the per-language table of its last evaluation.
  assert.match(r.stderr, /metric\s+en\s+de\s+avg\s+all\n\s*exact_match\s+[\d.]+\s+[\d.]+/);
  assert.match(r.stderr, /\n\s*f1\s+[\d.]+\s+[\d.]+/);
  // An ordinary HF folder: XLMRobertaForQuestionAnswering with qa_outputs.
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['XLMRobertaForQuestionAnswering']);
  assert.equal(Object.keys(config.id2label).length, 2, 'transformers sizes qa_outputs by num_labels');
  const folder = loadModelFolder(out, { head: 'qa', requireHead: true });
  assert.deepEqual(folder.weights.info('qa_outputs.weight').shape, [2, 64]);
  folder.close();
});

test('LoRA QA training writes a PEFT adapter for QUESTION_ANS with the qa_outputs head saved', async () => {
  const out = join(root, 'lora');
  const r = await runXlm(['train', '--model', model, '--train', join(root, 'train.jsonl'), '--out', out, '--max-steps', '4', '--lr', '1e-3', '--method', 'lora', ...common]);
  assert.equal(r.code, 0, r.stderr);
  const adapter = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
  assert.equal(adapter.task_type, 'QUESTION_ANS');
  assert.deepEqual(adapter.modules_to_save, ['qa_outputs']);
  assert.ok(existsSync(join(out, 'adapter_model.safetensors')));
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).architectures, ['XLMRobertaForQuestionAnswering']);
});
