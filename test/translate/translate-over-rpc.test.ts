// translate and zeroShot through the engine's real handler table over JSON-RPC, on tiny random models.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancellationTokenSource, MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import { onInferenceBatch } from '../../src/engine/runtime/inputs.js';
import * as p from '../../src/engine/rpc/protocol.js';
import { connectEngineInProcess, type EnginePair } from '../helpers/engine-pair.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { writeTinySeq2Seq } from '../helpers/tiny-seq2seq.js';
import { Translator } from '../../src/engine/translate/translator.js';

let tmp: string;
let m2m: string;
let nli: string;
let client: MessageConnection;
let engine: EnginePair;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-translate-rpc-'));
  m2m = path.join(tmp, 'm2m');
  nli = path.join(tmp, 'nli');
  writeTinySeq2Seq(m2m, { style: 'm2m100', layout: 'merged', seed: 11, config: { max_length: 8, num_beams: 2 } });
  writeTinyXlmr(nli, { head: 'seq-cls', labels: ['contradiction', 'neutral', 'entailment'], seed: 12 });
  engine = connectEngineInProcess();
  client = engine.client;
});

after(() => {
  engine.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('translate answers with the translator\'s texts for the named model and target language', async () => {
  const texts = ['Hello world', 'The capital of France is Paris.'];
  const { translations } = await client.sendRequest(p.translate, { texts, targetLang: 'fr', sourceLang: 'en', model: m2m });
  const translator = await Translator.load(m2m, { threads: 1 });
  try {
    const expected = await translator.translate(texts, { to: 'fr', from: 'en' });
    assert.deepEqual(translations, expected.map((e) => e.text));
  } finally {
    await translator.close();
  }
});

test('translate without a model, or to a language the model lacks, is a user error with the reason', async () => {
  await assert.rejects(client.sendRequest(p.translate, { texts: ['x'], targetLang: 'fr' }), (e: unknown) => e instanceof ResponseError && e.code === p.EngineErrorCodes.userError && /xlm\.translationModel/.test(e.message));
  await assert.rejects(client.sendRequest(p.translate, { texts: ['x'], targetLang: 'ja', model: m2m }), (e: unknown) => e instanceof ResponseError && e.code === p.EngineErrorCodes.userError && /it knows: de, en, fr/.test(e.message));
});

test('zeroShot ranks the labels for a text with the named NLI model', async () => {
  const scores = await client.sendRequest(p.zeroShot, { text: 'The capital of France is Paris.', labels: ['city', 'dogs', 'love'], model: nli });
  assert.deepEqual([...scores.map((s) => s.label)].sort(), ['city', 'dogs', 'love']);
  assert.ok(Math.abs(scores.reduce((a, s) => a + s.score, 0) - 1) < 1e-6);
  assert.deepEqual(scores, [...scores].sort((a, b) => b.score - a.score));
});

test('a cancelled translate answers RequestCancelled after at most one more batch', async () => {
  const texts = Array.from({ length: 400 }, (_, i) => `Hello world number ${i}`);
  const source = new CancellationTokenSource();
  let batches = 0;
  let atCancel = -1;
  const stop = onInferenceBatch((e) => {
    if (e.total !== texts.length) return;
    batches++;
    if (batches === 1) {
      atCancel = batches;
      source.cancel();
    }
  });
  try {
    const err = await client.sendRequest(p.translate, { texts, targetLang: 'fr', sourceLang: 'en', model: m2m }, source.token).then(
      () => assert.fail('the cancelled translate ran to the end'),
      (e: unknown) => e as ResponseError<p.EngineErrorData>,
    );
    assert.equal(err.code, p.EngineErrorCodes.requestCancelled);
    assert.ok(batches - atCancel <= 1, `${batches - atCancel} batches ran after the cancel`);
  } finally {
    stop();
  }
});
