// Every request's params are checked against its protocol schema before a handler runs: malformed params are
// InvalidParams naming the field and what it must be (never an "engine bug" with a raw TypeError), out-of-range
// values are refused with their bounds, and the engine answers the next request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseError } from 'vscode-jsonrpc/node';
import * as p from '../../src/engine/rpc/protocol.js';
import { connectEngineWithTinyModel, type EnginePair, type EngineWithTinyModel } from '../helpers/engine-pair.js';

let setup: EngineWithTinyModel;
let engine: EnginePair;

before(async () => {
  setup = await connectEngineWithTinyModel('xlm-params-');
  ({ engine } = setup);
});
after(() => setup.dispose());

async function refusal(method: string, params: unknown): Promise<ResponseError<p.EngineErrorData>> {
  try {
    await engine.client.sendRequest(method, params);
  } catch (e) {
    assert.ok(e instanceof ResponseError, `expected a ResponseError, got ${String(e)}`);
    return e as ResponseError<p.EngineErrorData>;
  }
  assert.fail(`${method} ${JSON.stringify(params)} was accepted`);
}

const cases: { method: string; params: unknown; field: string; message: RegExp }[] = [
  { method: 'fillMask', params: { texts: 'a <mask>' }, field: 'texts', message: /^texts: expected an array of strings, got "a <mask>"$/ },
  { method: 'fillMask', params: { texts: ['a <mask>', 7] }, field: 'texts[1]', message: /^texts\[1\]: expected a string, got 7$/ },
  { method: 'fillMask', params: { texts: ['a <mask>'], topK: 1e9 }, field: 'topK', message: /^topK: expected at most 1000, got 1000000000$/ },
  { method: 'fillMask', params: { texts: ['a <mask>'], topK: 0 }, field: 'topK', message: /^topK: expected at least 1, got 0$/ },
  { method: 'fillMask', params: { texts: ['a <mask>'], topK: 2.5 }, field: 'topK', message: /whole number/ },
  { method: 'fillMask', params: { texts: ['a <mask>'], topk: 3 }, field: 'topk', message: /^topk: not a param of 'fillMask'$/ },
  { method: 'fillMask', params: null, field: 'params', message: /^params: expected an object of named params, got null$/ },
  { method: 'fillMask', params: [1, 2], field: 'params', message: /got an array of 2 items/ },
  { method: 'model/load', params: { dir: 'x', device: 'quantum' }, field: 'device', message: /^device: expected one of "auto", "cpu", "webgpu", "cuda", "dml", "coreml", got "quantum"$/ },
  { method: 'model/load', params: { dir: '' }, field: 'dir', message: /^dir: expected a path, not an empty string/ },
  { method: 'classify', params: { inputs: [{ txt: 'a' }] }, field: 'inputs[0].text', message: /^inputs\[0\]\.text: missing; it is required$/ },
  { method: 'classify', params: { inputs: [{ text: 'a', textPair: 3 }] }, field: 'inputs[0].textPair', message: /expected a string, got 3/ },
  { method: 'tokenize', params: { text: 'a', maxLength: -1 }, field: 'maxLength', message: /expected at least 1/ },
  { method: 'zeroShot', params: { text: 'a', labels: [] }, field: 'labels', message: /at least one label/ },
  { method: 'embed', params: { texts: ['a'], normalize: 'yes' }, field: 'normalize', message: /expected true or false, got "yes"/ },
  { method: 'train/start', params: { model: 'm', data: 'd', task: 'sequence-classification', runFolder: 'r', method: 'lora', learningRate: null }, field: 'learningRate', message: /^learningRate: expected a number, got null$/ },
  { method: 'train/start', params: { model: 'm', data: 'd', task: 'sequence-classification', runFolder: 'r', method: 'lora', batchSize: 1e6 }, field: 'batchSize', message: /at most 4096/ },
  { method: 'train/start', params: { model: 'm', data: 'd', task: 'ner', runFolder: 'r', method: 'lora' }, field: 'task', message: /^task: expected one of "sequence-classification"/ },
  { method: 'hub/download', params: { repoId: 42 }, field: 'repoId', message: /expected a Hub model id \(a string\), got 42/ },
];

for (const c of cases) {
  test(`${c.method} ${JSON.stringify(c.params)} is InvalidParams naming ${c.field}`, async () => {
    const err = await refusal(c.method, c.params);
    assert.equal(err.code, p.EngineErrorCodes.invalidParams, err.message);
    assert.equal(err.data?.code, 'invalid-params');
    assert.equal(err.data?.what, c.field);
    assert.match(err.data!.message, c.message);
    assert.match(err.message, new RegExp(`^'${c.method.replace('/', '\\/')}': `));
  });
}

test('after refusals the engine answers, and valid params still reach the handler', async () => {
  const [filled] = await engine.client.sendRequest(p.fillMask, { texts: ['hello <mask>'], topK: 2 });
  assert.equal(filled!.masks[0]!.candidates.length, 2);
});

// Found by test/rpc/fuzz.test.ts: Linux opens a folder for reading and only the read fails.
test('data/inspect of a folder is a user error naming it, not an engine bug', async () => {
  const err = await refusal('data/inspect', { file: setup.folder });
  assert.equal(err.code, p.EngineErrorCodes.userError, err.message);
  assert.match(err.message, /is a folder; give a data file/);
});
