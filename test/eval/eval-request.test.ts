// eval/run over JSON-RPC through the engine's real handler table: the protocol's task names, the active
// model when none is named, per-language metrics and the confusion matrix in the protocol's shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import * as p from '../../src/engine/rpc/protocol.js';
import { connectEngineInProcess, type EnginePair } from '../helpers/engine-pair.js';
import { evaluate } from '../../src/engine/eval/evaluate.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { generateQa, writeQaJsonl } from '../helpers/qa-data.js';
import { evaluateQaFile } from '../../src/engine/qa/evaluate.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';

let tmp: string;
let modelDir: string;
let data: string;
let client: MessageConnection;
let engine: EnginePair;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-eval-rpc-'));
  modelDir = path.join(tmp, 'tiny');
  writeTinyXlmr(modelDir, { head: 'all', labels: ['negative', 'positive'] });
  data = path.join(tmp, 'sentiment.csv');
  fs.writeFileSync(data, 'text,label,lang\nI love Paris,positive,en\nThe world is big,negative,en\nLe café est très naïve,positive,fr\nMoscow is big,negative,en\n');
  engine = connectEngineInProcess();
  client = engine.client;
});
after(() => {
  engine.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('eval/run answers with the metrics evaluate() computes, per language, with the confusion matrix', async () => {
  const info = await client.sendRequest(p.engineInfo);
  assert.ok(info.methods.includes('eval/run'));
  const expected = await evaluate({ model: modelDir, data, task: 'seq-cls' });
  const named = await client.sendRequest(p.evalRun, { model: modelDir, data, task: 'sequence-classification' });
  assert.deepEqual(named.metrics, expected.metrics);
  assert.deepEqual(named.perLanguage, expected.perLanguage);
  assert.deepEqual(Object.keys(named.perLanguage!), ['en', 'fr']);
  assert.deepEqual(named.labels, ['negative', 'positive']);
  assert.equal(named.examples, 4);
  assert.equal(named.confusion!.flat().reduce((a, b) => a + b, 0), 4);

  await client.sendRequest(p.modelLoad, { dir: modelDir });
  const active = await client.sendRequest(p.evalRun, { data, task: 'masked-lm' });
  assert.equal(typeof active.metrics.perplexity, 'number', 'the active model, masked-LM task');

  await assert.rejects(client.sendRequest(p.evalRun, { model: modelDir, data, task: 'pair-classification' }), (e: unknown) => {
    assert.ok(e instanceof ResponseError);
    assert.match(e.message, /sentiment.csv:1: .*no pair column for pair-classification/);
    return true;
  });
});

test('eval/run scores a SQuAD-format file with exact match and F1 per language, as xlm eval --task qa does (fractions)', async () => {
  const qaData = path.join(tmp, 'questions.jsonl');
  writeQaJsonl(qaData, [...generateQa(6, 'en', 1), ...generateQa(4, 'de', 2)]);
  const models = new ModelCache();
  const { report } = await evaluateQaFile(await models.model(modelDir), qaData, {}, {});
  await models.closeAll();
  // Named as question answering, and found by the file's shape when no task is named (the Evaluate command names none).
  for (const task of ['question-answering', undefined] as const) {
    const r = await client.sendRequest(p.evalRun, { model: modelDir, data: qaData, ...(task ? { task } : {}) });
    assert.equal(r.examples, 10);
    assert.deepEqual(r.metrics, { exact_match: report.exact_match / 100, f1: report.f1 / 100 });
    assert.deepEqual(Object.keys(r.perLanguage!).sort(), ['de', 'en']);
    assert.equal(r.perLanguage!.de!.f1, report.per_language.de!.f1 / 100);
  }
});
