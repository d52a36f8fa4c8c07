// The engine's JSON-RPC server, in-process over a pair of streams: error responses keep the engine serving,
// the handler table is total (a protocol request without a handler does not compile), unknown methods say so, cancellation reaches the handler, notifications reach the extension.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import {
  CancellationTokenSource,
  MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import { XlmError } from '../../src/engine/errors.js';
import * as p from '../../src/engine/rpc/protocol.js';
import { HandlerTable, serveEngine } from '../../src/engine/rpc/server.js';

/** The handlers a test serves; every other request fails the test if it is asked (none of these tests asks). */
function servedOnly(handlers: Partial<HandlerTable>): HandlerTable {
  const unexpected = () => assert.fail('a request this test does not serve was sent');
  return Object.fromEntries(Object.keys(p.requests).filter((k) => k !== 'engineInfo').map((k) => [k, handlers[k as keyof HandlerTable] ?? unexpected])) as HandlerTable;
}

// @ts-expect-error a handler table that leaves out protocol requests does not compile
const _incomplete: HandlerTable = { tokenize: () => ({ ids: [], tokens: [], offsets: [], wordIds: [], sequenceIds: [] }) };

function connect(handlers: Partial<HandlerTable>): { client: MessageConnection; logs: p.EngineLogParams[]; close: () => void } {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createMessageConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  serveEngine(server, servedOnly(handlers), { engineVersion: '9.9.9', devices: () => [{ name: 'cpu', available: true }] });
  const logs: p.EngineLogParams[] = [];
  client.onNotification(p.engineLog, (l) => logs.push(l));
  client.listen();
  return { client, logs, close: () => (client.dispose(), server.dispose()) };
}

async function rejection(promise: Promise<unknown>): Promise<ResponseError<p.EngineErrorData>> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ResponseError, `expected a ResponseError, got ${String(e)}`);
    return e as ResponseError<p.EngineErrorData>;
  }
  assert.fail('the request succeeded but should have failed');
}

test('engine/info reports the protocol version and every protocol method', async () => {
  const { client, close } = connect({});
  const info = await client.sendRequest(p.engineInfo);
  assert.equal(info.protocolVersion, p.PROTOCOL_VERSION);
  assert.equal(info.engineVersion, '9.9.9');
  assert.deepEqual(info.methods, Object.values(p.requests).map((r) => r.method).sort());
  assert.ok(info.methods.includes('engine/info') && info.methods.includes('tokenize'));
  assert.deepEqual(info.devices, [{ name: 'cpu', available: true }]);
  close();
});

test('a method the protocol does not have answers MethodNotFound naming it', async () => {
  const { client, close } = connect({});
  const unknown = await rejection(client.sendRequest('no/such', {}));
  assert.equal(unknown.code, p.EngineErrorCodes.methodNotFound);
  assert.match(unknown.message, /'no\/such' is not an XLM Lab engine method/);
  assert.equal(unknown.data?.code, 'method-not-found');
  close();
});

test('an XlmError becomes a located user error and the engine answers the next request', async () => {
  let calls = 0;
  const { client, logs, close } = connect({
    modelLoad: ({ dir }) => {
      calls++;
      throw new XlmError('model/truncated', 'safetensors header says 400 bytes, file has 12', { file: `${dir}/model.safetensors`, line: 1, column: 9, what: 'embeddings.word_embeddings.weight' });
    },
  });
  const err = await rejection(client.sendRequest(p.modelLoad, { dir: '/m' }));
  assert.equal(err.code, p.EngineErrorCodes.userError);
  assert.equal(err.message, '/m/model.safetensors:1:9: safetensors header says 400 bytes, file has 12');
  assert.deepEqual(err.data, {
    code: 'model/truncated',
    message: 'safetensors header says 400 bytes, file has 12',
    file: '/m/model.safetensors',
    line: 1,
    column: 9,
    what: 'embeddings.word_embeddings.weight',
  });
  assert.equal(logs.length, 0, 'a user error is not an engine bug: no stack in the log');
  const info = await client.sendRequest(p.engineInfo);
  assert.equal(info.engineVersion, '9.9.9');
  await rejection(client.sendRequest(p.modelLoad, { dir: '/m' }));
  assert.equal(calls, 2);
  close();
});

test('any other exception becomes an internal error whose stack goes to the engine log', async () => {
  const { client, logs, close } = connect({
    fillMask: () => {
      throw new TypeError('cannot read shape of undefined');
    },
  });
  const err = await rejection(client.sendRequest(p.fillMask, { texts: ['a <mask>'] }));
  assert.equal(err.code, p.EngineErrorCodes.internalError);
  assert.match(err.message, /cannot read shape of undefined.*engine bug in 'fillMask'/);
  assert.equal(err.data?.code, 'internal');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(logs.length, 1);
  assert.equal(logs[0]!.level, 'error');
  assert.match(logs[0]!.message, /TypeError: cannot read shape of undefined\n\s+at /);
  close();
});

test('cancelling a request cancels the handler token and rejects the request', async () => {
  let sawCancel = false;
  const { client, close } = connect({
    embed: (_params, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.token.onCancellationRequested(() => {
          sawCancel = true;
          reject(new Error('aborted'));
        });
      }),
  });
  const source = new CancellationTokenSource();
  const pending = client.sendRequest(p.embed, { texts: ['a'] }, source.token);
  setTimeout(() => source.cancel(), 20);
  const err = await rejection(pending);
  assert.equal(err.code, p.EngineErrorCodes.requestCancelled);
  assert.ok(sawCancel);
  close();
});

test('handlers send notifications that reach the extension before their answer', async () => {
  const { client, close } = connect({
    trainStart: (params, ctx) => {
      ctx.notify(p.trainMetrics, { runId: 'r1', record: { step: 1, epoch: 0, loss: 2.5 } });
      ctx.notify(p.trainProgress, { runId: 'r1', step: 1, totalSteps: 4, epoch: 0, etaSeconds: 3 });
      return { runId: 'r1', runDir: `${params.runFolder}/r1` };
    },
  });
  const seen: string[] = [];
  client.onNotification(p.trainMetrics, (m) => seen.push(`metrics ${m.record.step} ${m.record.loss}`));
  client.onNotification(p.trainProgress, (m) => seen.push(`progress ${m.step}/${m.totalSteps}`));
  const result = await client.sendRequest(p.trainStart, { model: '/m', data: '/d.jsonl', task: 'sequence-classification', runFolder: '/runs', method: 'lora' });
  assert.deepEqual(result, { runId: 'r1', runDir: '/runs/r1' });
  assert.deepEqual(seen, ['metrics 1 2.5', 'progress 1/4']);
  close();
});

test('every protocol method name is unique and notifications do not reuse a request name', () => {
  const names = [...Object.values(p.requests), ...Object.values(p.notifications)].map((t) => t.method);
  assert.equal(new Set(names).size, names.length, `duplicate method names in ${names.join(', ')}`);
});
