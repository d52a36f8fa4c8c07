// Cancel cancels: an inference request runs in small batches and a cancelled one stops before its next batch,
// answering RequestCancelled; requests cancelled while they waited run no batch at all. Over the real JSON-RPC
// transport and handler table; batches are counted by the engine's batch hook, not by timing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import * as p from '../../src/engine/rpc/protocol.js';
import { MAX_GRACE_MS, firstBatchGrace, noteBatchTime, onFirstBatchWait, onInferenceBatch, type InferenceBatchEvent } from '../../src/engine/runtime/inputs.js';
import { connectEngineInProcess, type EnginePair } from '../helpers/engine-pair.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let tmp: string;
let engine: EnginePair;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-cancel-'));
  writeTinyXlmr(path.join(tmp, 'tiny'), { head: 'all', labels: ['negative', 'positive'] });
  engine = connectEngineInProcess();
  await engine.client.sendRequest(p.modelLoad, { dir: path.join(tmp, 'tiny') });
});
after(() => {
  engine.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const texts = (n: number) => Array.from({ length: n }, (_, i) => `sentence number ${i} has a <mask> in it`);

async function outcome(pending: Promise<unknown>): Promise<'answered' | number> {
  try {
    await pending;
    return 'answered';
  } catch (e) {
    assert.ok(e instanceof ResponseError, String(e));
    return e.code;
  }
}

test('a cancelled 3,000-text fill-mask answers RequestCancelled after at most one more batch', async () => {
  const batches: InferenceBatchEvent[] = [];
  let atCancel = -1;
  const source = new CancellationTokenSource();
  const stop = onInferenceBatch((e) => {
    if (e.total !== 3000) return;
    batches.push(e);
    if (batches.length === 1) {
      atCancel = batches.length;
      source.cancel();
    }
  });
  try {
    const result = await outcome(engine.client.sendRequest(p.fillMask, { texts: texts(3000) }, source.token));
    assert.equal(result, p.EngineErrorCodes.requestCancelled);
    const total = Math.ceil(3000 / batches[0]!.size);
    assert.ok(total >= 100, `batches of ${batches[0]!.size} texts are not small`);
    assert.ok(batches.length - atCancel <= 1, `${batches.length - atCancel} batches ran after the cancel (of ${total})`);
  } finally {
    stop();
  }
});

test('requests cancelled while they wait run no batch, and classify and embed stop too', async () => {
  const seen = new Map<number, number>();
  const stop = onInferenceBatch((e) => seen.set(e.total, (seen.get(e.total) ?? 0) + 1));
  const a = new CancellationTokenSource();
  const b = new CancellationTokenSource();
  const c = new CancellationTokenSource();
  try {
    const pending = [
      outcome(engine.client.sendRequest(p.fillMask, { texts: texts(3000) }, a.token)),
      outcome(engine.client.sendRequest(p.classify, { inputs: texts(2999).map((text) => ({ text })) }, b.token)),
      outcome(engine.client.sendRequest(p.embed, { texts: texts(2998) }, c.token)),
    ];
    b.cancel();
    c.cancel();
    while ((seen.get(3000) ?? 0) < 2) await new Promise((r) => setTimeout(r, 1));
    const atCancel = seen.get(3000)!;
    a.cancel();
    assert.deepEqual(await Promise.all(pending), [p.EngineErrorCodes.requestCancelled, p.EngineErrorCodes.requestCancelled, p.EngineErrorCodes.requestCancelled]);
    assert.equal(seen.get(2999) ?? 0, 0, 'the cancelled classify ran batches');
    assert.equal(seen.get(2998) ?? 0, 0, 'the cancelled embed ran batches');
    assert.ok(seen.get(3000)! - atCancel <= 1, `${seen.get(3000)! - atCancel} fill-mask batches ran after the cancel`);
  } finally {
    stop();
  }
  // The engine still answers whole requests afterwards.
  const [filled] = await engine.client.sendRequest(p.fillMask, { texts: ['one <mask>'] });
  assert.equal(filled!.masks.length, 1);
});

test('with slow batches a request cancelled right after it is sent runs no batch (its first batch waits a grace)', async () => {
  // The editor's requests are paced per model and task: an uncancelled one names its kind as it starts waiting.
  let pace = '';
  const stopWatching = onFirstBatchWait((p) => (pace = p));
  const [first] = await engine.client.sendRequest(p.classify, { inputs: [{ text: 'learn the kind' }] }, new CancellationTokenSource().token);
  stopWatching();
  assert.equal(first!.length, 2);
  assert.match(pace, /^classify /);
  // As with an XLM-R base-sized model: this kind's recent batches took 40 ms, so its grace is 3 ms.
  const slow = () => {
    for (let i = 0; i < 40; i++) noteBatchTime(pace, 40);
  };
  slow();
  assert.ok(Math.abs(firstBatchGrace(pace) - MAX_GRACE_MS) < 1e-3, `grace ${firstBatchGrace(pace)} ms`);
  assert.equal(firstBatchGrace('another kind'), 0, 'a kind with no batches yet waits no grace');
  const seen = new Map<number, number>();
  const stop = onInferenceBatch((e) => seen.set(e.total, (seen.get(e.total) ?? 0) + 1));
  try {
    for (let round = 0; round < 5; round++) {
      const source = new CancellationTokenSource();
      // The cancel is sent as the request starts waiting: as over the IPC pipe, where a cancel written right behind
      // its request arrives after the engine has begun handling it.
      const stopCancelling = onFirstBatchWait(() => source.cancel());
      try {
        const pending = outcome(engine.client.sendRequest(p.classify, { inputs: [{ text: `typed ${round}` }] }, source.token));
        assert.equal(await pending, p.EngineErrorCodes.requestCancelled, `round ${round}: the cancelled request was answered`);
      } finally {
        stopCancelling();
      }
      slow();
    }
    assert.equal(seen.get(1) ?? 0, 0, 'a cancelled request ran its batch');
  } finally {
    stop();
  }
  // Fast batches bring the grace back to nothing.
  for (let i = 0; i < 60; i++) noteBatchTime(pace, 1);
  assert.equal(firstBatchGrace(pace), 0);
});
