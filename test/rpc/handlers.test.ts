// The engine's real handler table over JSON-RPC, on a tiny random model folder: load, describe, tokenize,
// fill-mask and classify answer through the protocol; a broken model folder is a located error and the engine
// answers the next request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import * as p from '../../src/engine/rpc/protocol.js';
import { connectEngineInProcess, type EnginePair } from '../helpers/engine-pair.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let tmp: string;
let modelDir: string;
let client: MessageConnection;
let engine: EnginePair;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-handlers-'));
  modelDir = path.join(tmp, 'tiny');
  writeTinyXlmr(modelDir, { head: 'all', labels: ['negative', 'positive'] });
  engine = connectEngineInProcess();
  client = engine.client;
});
after(() => {
  engine.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('engine/info lists the methods this build implements', async () => {
  const info = await client.sendRequest(p.engineInfo);
  for (const m of ['model/load', 'model/info', 'tokenize', 'fillMask', 'classify', 'embed', 'data/inspect', 'hub/list', 'hub/download']) assert.ok(info.methods.includes(m), `${m} missing from ${info.methods.join(', ')}`);
});

test('inference before model/load says to load a model first', async () => {
  await assert.rejects(client.sendRequest(p.fillMask, { texts: ['a <mask>'] }), (e: unknown) => e instanceof ResponseError && /model\/load/.test(e.message) && e.code === p.EngineErrorCodes.userError);
});

test('model/load describes the folder and makes it the active model', async () => {
  const info = await client.sendRequest(p.modelLoad, { dir: modelDir });
  assert.equal(info.dir, modelDir);
  assert.equal(info.modelType, 'xlm-roberta');
  assert.deepEqual(info.heads, ['masked-lm', 'sequence-classification', 'token-classification']);
  assert.deepEqual(info.labels, ['negative', 'positive']);
  assert.equal(info.dtype, 'fp32');
  assert.deepEqual(await client.sendRequest(p.modelInfo), info);
});

test('model/load with dtype int8 runs the model quantized, its classify close to fp32\'s; loading it again without dtype gives fp32 back', async () => {
  const fp32 = await client.sendRequest(p.classify, { inputs: [{ text: 'hello world' }] });
  const info = await client.sendRequest(p.modelLoad, { dir: modelDir, dtype: 'int8' });
  assert.equal(info.dtype, 'int8');
  const int8 = await client.sendRequest(p.classify, { inputs: [{ text: 'hello world' }] });
  const diff = Math.max(...fp32[0]!.map((s, i) => Math.abs(s.score - int8[0]![i]!.score)));
  assert.ok(diff > 0 && diff < 0.05, `int8 scores differ from fp32's by ${diff}: a different graph, close numbers`);
  assert.equal((await client.sendRequest(p.modelLoad, { dir: modelDir })).dtype, 'fp32');
  await assert.rejects(client.sendRequest(p.modelLoad, { dir: modelDir, dtype: 'int4' as 'int8' }), /dtype/);
});

test('fillMask, classify, embed and tokenize answer for the active model', async () => {
  const [filled] = await client.sendRequest(p.fillMask, { texts: ['hello <mask> world'], topK: 3 });
  assert.equal(filled!.masks.length, 1);
  assert.equal(filled!.masks[0]!.candidates.length, 3);
  const scores = filled!.masks[0]!.candidates.map((c) => c.score);
  assert.deepEqual(scores, [...scores].sort((x, y) => y - x));
  const [labels] = await client.sendRequest(p.classify, { inputs: [{ text: 'hello world' }] });
  assert.deepEqual(labels!.map((l) => l.label).sort(), ['negative', 'positive']);
  assert.ok(Math.abs(labels!.reduce((s, l) => s + l.score, 0) - 1) < 1e-5);
  const { vectors } = await client.sendRequest(p.embed, { texts: ['a', 'b c'], normalize: true });
  assert.equal(vectors.length, 2);
  assert.ok(Math.abs(Math.hypot(...vectors[0]!) - 1) < 1e-5);
  const tokens = await client.sendRequest(p.tokenize, { text: 'hello world' });
  assert.equal(tokens.ids.length, tokens.offsets.length);
});

test('a truncated model.safetensors is a user error naming the file, and the engine answers the next request', async () => {
  const broken = path.join(tmp, 'broken');
  writeTinyXlmr(broken);
  const weights = path.join(broken, 'model.safetensors');
  fs.truncateSync(weights, Math.floor(fs.statSync(weights).size / 2));
  const err = await client.sendRequest(p.modelLoad, { dir: broken }).then(
    () => assert.fail('loading a truncated checkpoint succeeded'),
    (e: unknown) => e as ResponseError<p.EngineErrorData>,
  );
  assert.equal(err.code, p.EngineErrorCodes.userError);
  assert.match(err.message, /model\.safetensors/);
  const [filled] = await client.sendRequest(p.fillMask, { texts: ['<mask> world'], model: modelDir });
  assert.equal(filled!.masks.length, 1);
});

test('nli answers entailment/neutral/contradiction for an NLI model and names the labels of any other', async () => {
  const nliDir = path.join(tmp, 'nli');
  writeTinyXlmr(nliDir, { head: 'seq-cls', labels: ['entailment', 'neutral', 'contradiction'] });
  const scores = await client.sendRequest(p.nli, { premise: 'a cat sleeps', hypothesis: 'an animal rests', model: nliDir });
  assert.ok(Math.abs(scores.entailment + scores.neutral + scores.contradiction - 1) < 1e-5);
  const ranked = await client.sendRequest(p.zeroShot, { text: 'the match ended 2-1', labels: ['sport', 'politics'], model: nliDir });
  assert.deepEqual(ranked.map((l) => l.label).sort(), ['politics', 'sport']);
  const err = await client.sendRequest(p.nli, { premise: 'a', hypothesis: 'b', model: modelDir }).then(
    () => assert.fail('a sentiment model answered NLI'),
    (e: unknown) => e as ResponseError<p.EngineErrorData>,
  );
  assert.equal(err.data?.what, 'id2label');
  assert.match(err.message, /config\.json: .*labels are negative, positive/);
});

test('device/resolve says what a device setting comes to, and model/load runs there without saying the same line again', async () => {
  const pair = connectEngineInProcess();
  const lines: string[] = [];
  pair.client.onNotification(p.engineLog, ({ message }) => lines.push(message));
  try {
    // The dml provider is in the Windows packages only: a fallback with its reason on any other platform.
    const resolved = await pair.client.sendRequest(p.deviceResolve, { device: 'dml' });
    if (process.platform === 'win32') return;
    assert.deepEqual(resolved, { device: 'cpu', notice: 'device dml: dml is not available (DirectML is in the Windows packages only); running on cpu' });
    const info = await pair.client.sendRequest(p.modelLoad, { dir: modelDir, device: 'dml' });
    assert.equal(info.device, 'cpu');
    await pair.client.sendRequest(p.fillMask, { texts: ['hello <mask> world'], topK: 1 });
    assert.deepEqual(lines.filter((l) => l.startsWith('device ')), []);
  } finally {
    pair.dispose();
  }
});

test('model/load on a device that is not here runs on the CPU and logs one line saying why', async () => {
  const pair = connectEngineInProcess();
  const lines: string[] = [];
  pair.client.onNotification(p.engineLog, ({ message }) => lines.push(message));
  try {
    if (process.platform === 'darwin') return;
    const info = await pair.client.sendRequest(p.modelLoad, { dir: modelDir, device: 'coreml' });
    assert.equal(info.device, 'cpu');
    await pair.client.sendRequest(p.classify, { inputs: [{ text: 'hello world' }] });
    await pair.client.sendRequest(p.modelLoad, { dir: modelDir, device: 'coreml' });
    assert.deepEqual(lines.filter((l) => l.startsWith('device ')), ['device coreml: coreml is not available (CoreML is in the macOS package only); running on cpu']);
  } finally {
    pair.dispose();
  }
});
