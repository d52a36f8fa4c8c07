// A 1 MB text over RPC and in `xlm train`: tokenize, fill-mask and classify answer (or refuse cleanly, naming
// what to do) instead of "Maximum call stack size exceeded (engine bug)", and a 1 MB training row is cut to
// --max-length as any long row is.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ResponseError } from 'vscode-jsonrpc/node';
import * as p from '../../src/engine/rpc/protocol.js';
import { connectEngineWithTinyModel, type EnginePair, type EngineWithTinyModel } from '../helpers/engine-pair.js';
import { runXlm } from '../helpers/cli.js';

let setup: EngineWithTinyModel;
let tmp: string;
let modelDir: string;
let engine: EnginePair;
const WORDS = ['Le', 'café', 'est', 'très', 'bon.', 'Привет', 'мир', '東京は', 'hello', 'world'];
const megabyte = (() => {
  const parts: string[] = [];
  for (let i = 0, n = 0; n < 1_000_000; i++) {
    const w = WORDS[i % WORDS.length]!;
    parts.push(w);
    n += w.length + 1;
  }
  return parts.join(' ');
})();

before(async () => {
  setup = await connectEngineWithTinyModel('xlm-long-');
  ({ engine, modelDir, folder: tmp } = setup);
});
after(() => setup.dispose());

test('tokenize answers for a 1 MB text, with offsets into it', async () => {
  const r = await engine.client.sendRequest(p.tokenize, { text: megabyte, maxLength: 32 });
  assert.equal(r.ids.length, 32);
  const [s, e] = r.offsets[1]!;
  assert.equal(megabyte.slice(s, e), 'Le');
  const full = await engine.client.sendRequest(p.tokenize, { text: megabyte });
  assert.ok(full.ids.length > 300_000);
  const last = full.offsets[full.offsets.length - 2]!;
  assert.ok(last[1] <= megabyte.length && last[1] > megabyte.length - 10, `last token ends at ${last[1]} of ${megabyte.length}`);
});

test('fill-mask and classify answer for a 1 MB text; a mask past the model\'s length is a clear error', async () => {
  const [filled] = await engine.client.sendRequest(p.fillMask, { texts: [`<mask> ${megabyte}`] });
  assert.equal(filled!.masks.length, 1);
  const [scores] = await engine.client.sendRequest(p.classify, { inputs: [{ text: megabyte, textPair: megabyte }] });
  assert.equal(scores!.length, 2);
  const err = await engine.client.sendRequest(p.fillMask, { texts: [`${megabyte} <mask>`] }).then(
    () => assert.fail('a mask a megabyte in was predicted'),
    (e: unknown) => e as ResponseError<p.EngineErrorData>,
  );
  assert.equal(err.code, p.EngineErrorCodes.userError);
  assert.match(err.message, /longer than the model's \d+ tokens and a <mask> was cut off; shorten the text/);
});

test('xlm train with a 1 MB row trains, the row cut to --max-length', async () => {
  const rows = Array.from({ length: 8 }, (_, i) => JSON.stringify({ text: `short row ${i}`, label: i % 2 ? 'positive' : 'negative' }));
  rows.splice(3, 0, JSON.stringify({ text: megabyte, label: 'positive' }));
  const data = path.join(tmp, 'long.jsonl');
  fs.writeFileSync(data, rows.join('\n') + '\n');
  const out = path.join(tmp, 'out');
  const r = await runXlm(['train', '--model', modelDir, '--task', 'seq-cls', '--train', data, '--out', out, '--max-steps', '3', '--batch-size', '3', '--max-length', '32', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(out, 'model.safetensors')));
});
