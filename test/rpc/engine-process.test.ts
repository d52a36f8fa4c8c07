// The extension's handle on the engine process, against the real bundled engine forked with IPC: started lazily,
// a death fails the request in flight with an error (not a hang), the next request starts a new engine, and a stop
// on purpose stays stopped.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineExit, EngineProcess, EngineUnavailableError } from '../../src/client/engineProcess.js';
import { CancellationTokenSource, RequestType0, ResponseError } from 'vscode-jsonrpc/node';
import * as p from '../../src/engine/rpc/protocol.js';
import { bundleEngine } from '../helpers/engine-bundle.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

const repo = path.resolve(__dirname, '../..');
let dir: string;
let enginePath: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-engine-'));
  ({ enginePath } = await bundleEngine(dir));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const created: EngineProcess[] = [];
// A failed assertion must not leave an engine running: its IPC channel would keep this test process alive.
afterEach(() => created.splice(0).forEach((e) => e.dispose()));

function engine(exits: EngineExit[] = [], extra: { maxCrashes?: number; crashWindowMs?: number } = {}): EngineProcess {
  const e = new EngineProcess({ enginePath, env: { NODE_PATH: path.join(repo, 'node_modules') }, onExit: (x) => exits.push(x), ...extra });
  created.push(e);
  return e;
}

test('the engine starts on the first request, not when the handle is created', async () => {
  const e = engine();
  assert.equal(e.state, 'stopped');
  assert.equal(e.pid, undefined);
  const info = await e.request(p.engineInfo);
  assert.equal(e.state, 'running');
  assert.equal(info.pid, e.pid);
  assert.notEqual(info.pid, process.pid);
  assert.ok(info.devices.some((d) => d.name === 'cpu'));
  if (process.platform === 'linux') {
    // Forked with glibc's huge-page malloc (src/client/malloc.ts), read from the process's own environment.
    const environ = fs.readFileSync(`/proc/${e.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.some((v) => v.startsWith('GLIBC_TUNABLES=') && v.split('=').slice(1).join('=').split(':').includes('glibc.malloc.hugetlb=1')), environ.filter((v) => v.startsWith('GLIBC')).join(' '));
  }
  await e.stop();
});

test('a request in flight when the engine dies fails, and the next request starts a new engine', async () => {
  const exits: EngineExit[] = [];
  const e = engine(exits);
  const first = await e.info();
  const inFlight = e.request(p.modelInfo);
  process.kill(first.pid, 'SIGKILL');
  await assert.rejects(inFlight, (err: unknown) => err instanceof EngineUnavailableError && /killed by the operating system \(SIGKILL\), most likely because the machine ran out of memory/.test(err.message));
  assert.equal(exits.length, 1);
  assert.equal(exits[0]!.onPurpose, false);
  assert.equal(e.state, 'stopped');
  const second = await e.request(p.engineInfo);
  assert.notEqual(second.pid, first.pid);
  await e.stop();
});

test('a stop on purpose is not restarted until start()', async () => {
  const exits: EngineExit[] = [];
  const e = engine(exits);
  const first = await e.info();
  await e.stop();
  assert.deepEqual(exits.map((x) => x.onPurpose), [true]);
  assert.throws(() => process.kill(first.pid, 0), 'the engine process is gone');
  await assert.rejects(e.request(p.engineInfo), (err: unknown) => err instanceof EngineUnavailableError && err.reason === 'stopped');
  const again = await e.start();
  assert.notEqual(again.pid, first.pid);
  await e.stop();
});

test('a method the engine does not know fails with the engine\'s message and the engine stays up', async () => {
  const e = engine();
  const info = await e.info();
  await assert.rejects(e.request(new RequestType0<unknown, p.EngineErrorData>('no/such')), /'no\/such' is not an XLM Lab engine method/);
  const again = await e.request(p.engineInfo);
  assert.equal(again.pid, info.pid);
  await e.stop();
});

test('repeated crashes stop automatic restarts with a message saying what to do', async () => {
  const e = engine([], { maxCrashes: 2, crashWindowMs: 60_000 });
  for (let i = 0; i < 2; i++) {
    const info = await e.info();
    process.kill(info.pid, 'SIGKILL');
    while (e.state !== 'stopped') await new Promise((r) => setTimeout(r, 10));
  }
  await assert.rejects(e.request(p.engineInfo), (err: unknown) => err instanceof EngineUnavailableError && err.reason === 'crash-loop' && /Restart engine/.test(err.message));
  await e.start();
  assert.equal(e.state, 'running');
  await e.stop();
});

test('a request cancelled before it is sent (the engine still starting, or the token cancelled at once) never reaches the engine and fails as cancelled', async () => {
  const e = engine();
  writeTinyXlmr(path.join(dir, 'cancelled-model'), { head: 'seq-cls', labels: ['a', 'b'] });
  const source = new CancellationTokenSource();
  // The first request starts the engine; its token is cancelled before the engine has answered engine/info.
  const pending = e.request(p.modelLoad, { dir: path.join(dir, 'cancelled-model') }, source.token);
  source.cancel();
  await assert.rejects(pending, (err: unknown) => err instanceof ResponseError && err.code === p.EngineErrorCodes.requestCancelled && /'model\/load' was cancelled before it was sent/.test(err.message));
  assert.equal(await e.request(p.modelInfo), null, 'no model was loaded: the request never ran');
  // A running engine, a token cancelled in the same turn as the request: not sent either.
  const again = new CancellationTokenSource();
  const second = e.request(p.modelLoad, { dir: path.join(dir, 'cancelled-model') }, again.token);
  again.cancel();
  await assert.rejects(second, (err: unknown) => err instanceof ResponseError && err.code === p.EngineErrorCodes.requestCancelled);
  assert.equal(await e.request(p.modelInfo), null);
  // Not cancelled: it runs.
  const loaded = await e.request(p.modelLoad, { dir: path.join(dir, 'cancelled-model') });
  assert.ok(loaded);
  assert.notEqual(await e.request(p.modelInfo), null);
  await e.stop();
});

test('every listener of a notification hears it (one dispatcher per method), and a disposed one does not', async () => {
  const e = engine();
  writeTinyXlmr(path.join(dir, 'model'), { head: 'seq-cls', labels: ['a', 'b'] });
  fs.writeFileSync(path.join(dir, 'train.jsonl'), ['x y', 'y z', 'z x', 'x x'].map((text, i) => JSON.stringify({ text, label: i % 2 ? 'a' : 'b' })).join('\n') + '\n');
  const heard: string[] = [];
  const ended = new Promise<void>((resolve) => e.onNotification(p.trainEnd, (end) => (heard.push(`status ${end.status}`), resolve())));
  await e.info();
  // Added while a session runs: with vscode-jsonrpc's one-handler-per-method this used to replace the first listener.
  e.onNotification(p.trainEnd, () => heard.push('dashboard'));
  const gone = e.onNotification(p.trainEnd, () => heard.push('disposed listener'));
  gone.dispose();
  await e.request(p.trainStart, { model: path.join(dir, 'model'), data: path.join(dir, 'train.jsonl'), task: 'sequence-classification', runFolder: path.join(dir, 'runs'), method: 'full', epochs: 1, batchSize: 2 });
  await ended;
  assert.deepEqual(heard, ['status completed', 'dashboard']);
  await e.stop();
});

test('on a platform onnxruntime-node has no build for (an Intel Mac), the engine starts and every request says so', async () => {
  const e = new EngineProcess({ enginePath, env: { NODE_PATH: path.join(repo, 'node_modules'), XLM_ENGINE_PLATFORM: 'darwin-x64' } });
  created.push(e);
  const info = await e.request(p.engineInfo);
  assert.equal(info.devices.length, 1);
  assert.equal(info.devices[0]!.available, false);
  assert.match(info.devices[0]!.note ?? '', /cannot run on macOS on Intel \(darwin-x64\).*no native build.*macOS on Apple silicon/);
  await assert.rejects(e.request(p.modelLoad, { dir: '/nowhere' }), (err: { data?: p.EngineErrorData }) => err.data?.code === 'unsupported-platform' && /macOS on Intel/.test(err.data.message));
  await assert.rejects(e.request(p.deviceResolve, { device: 'auto' }), (err: { data?: p.EngineErrorData }) => err.data?.code === 'unsupported-platform');
  assert.equal(e.state, 'running', 'the engine keeps running to answer');
  await e.stop();
});
