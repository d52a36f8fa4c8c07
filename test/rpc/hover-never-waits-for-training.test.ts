// The engine's scheduling, as the editor feels it: a training step runs on its run's own thread, so a hover's
// classify answers while a step is in flight; a request cancelled while it waits never reaches session.run; a
// hover runs batch 1, padded to its own length only. Over the real JSON-RPC transport and handler table; order is
// read from events (notifications, answers, session.run calls), never from timing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import * as p from '../../src/engine/rpc/protocol.js';
import { ort } from '../../src/engine/runtime/session.js';
import { connectEngineInProcess, type EnginePair } from '../helpers/engine-pair.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let tmp: string;
let engine: EnginePair;
const events: string[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-scheduling-'));
  writeTinyXlmr(path.join(tmp, 'tiny'), { head: 'all', labels: ['negative', 'positive'] });
  fs.writeFileSync(path.join(tmp, 'train.jsonl'), '{"text":"good","label":"positive"}\n{"text":"bad","label":"negative"}\n');
  engine = connectEngineInProcess({ trainingWorker: path.join(__dirname, 'fixtures', 'blocking-training-step.ts') });
  engine.client.onNotification(p.trainLog, (l) => events.push(`train/log ${l.message}`));
  engine.client.onNotification(p.trainEnd, (e) => events.push(`train/end ${e.status}`));
  await engine.client.sendRequest(p.modelLoad, { dir: path.join(tmp, 'tiny') });
});
after(() => {
  engine.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 6000 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), `${what} never happened; events: ${events.join(' | ')}`);
}

/** Records the batch shape of every session.run (input_ids' dims) while `body` runs. */
async function watchingRuns<T>(body: (runs: number[][]) => Promise<T>): Promise<T> {
  const runs: number[][] = [];
  // Every session the engine opens is an instance of onnxruntime-common's InferenceSession class.
  const proto = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
  const original = proto.run;
  proto.run = function (this: ort.InferenceSession, feeds: ort.InferenceSession.FeedsType, ...rest: unknown[]) {
    if (feeds.input_ids) runs.push([...feeds.input_ids.dims]);
    return (original as (...a: unknown[]) => ReturnType<typeof original>).call(this, feeds, ...rest);
  } as typeof original;
  try {
    return await body(runs);
  } finally {
    proto.run = original;
  }
}

test('a hover classify answers while a training step is in flight, and the step ends after it', async () => {
  const { runId, runDir } = await engine.client.sendRequest(p.trainStart, {
    model: path.join(tmp, 'tiny'), data: path.join(tmp, 'train.jsonl'), task: 'sequence-classification', runFolder: path.join(tmp, 'runs'),
    method: 'lora', epochs: 1, batchSize: 2, learningRate: 1e-3, maxLength: 16,
  });
  await until('the training step starting', () => events.includes('train/log step 1 in flight'));
  // The step's thread is blocked now, as a real step blocks it inside session.run.
  const [scores] = await engine.client.sendRequest(p.classify, { inputs: [{ text: 'a word under the cursor' }] });
  events.push(`classify answered ${scores!.length} labels`);
  assert.ok(!events.some((e) => e.startsWith('train/end')), `the run ended before the hover was answered: ${events.join(' | ')}`);
  fs.writeFileSync(path.join(runDir, 'release'), '');
  await until('the run ending', () => events.some((e) => e.startsWith('train/end')));
  assert.deepEqual(events, ['train/log step 1 in flight', 'classify answered 2 labels', 'train/end completed'], runId);
});

test('a request cancelled while it waits behind another never reaches session.run', async () => {
  await watchingRuns(async (runs) => {
    const long = Array.from({ length: 200 }, (_, i) => ({ text: `sentence number ${i}` }));
    const waiting = new CancellationTokenSource();
    const first = engine.client.sendRequest(p.classify, { inputs: long });
    await until('the first request running', () => runs.length > 0);
    // Sent while the first one's batches run, and cancelled before its turn comes. Three inputs: one batch of 3, a
    // shape no other request here runs.
    const second = engine.client.sendRequest(p.classify, { inputs: [{ text: 'one' }, { text: 'two' }, { text: 'three' }] }, waiting.token);
    waiting.cancel();
    await assert.rejects(second, (e: unknown) => e instanceof ResponseError && e.code === p.EngineErrorCodes.requestCancelled);
    assert.equal((await first).length, 200);
    assert.ok(runs.length >= 13, `${runs.length} runs for 200 inputs in batches of 16`);
    assert.deepEqual(runs.filter((dims) => dims[0] === 3), [], `the cancelled request ran: ${JSON.stringify(runs)}`);
  });
});

test('a hover runs its session at batch 1, padded only to its own tokens, not to a fixed length', async () => {
  await watchingRuns(async (runs) => {
    for (const text of ['short', 'a somewhat longer sentence under the cursor']) {
      const { ids } = await engine.client.sendRequest(p.tokenize, { text });
      await engine.client.sendRequest(p.classify, { inputs: [{ text }] });
      assert.deepEqual(runs.at(-1), [1, ids.length], `${text}: ${JSON.stringify(runs)}`);
    }
  });
});
