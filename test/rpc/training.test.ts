// train/start and train/stop over JSON-RPC on a tiny model: the run reports metrics and progress as notifications,
// writes run.json and metrics.jsonl in its folder, ends with train/end; bad options fail train/start itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { CancellationTokenSource, MessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import * as p from '../../src/engine/rpc/protocol.js';
import { createHandlers } from '../../src/engine/rpc/handlers.js';
import { serveEngine, toResponseError } from '../../src/engine/rpc/server.js';
import { XlmError, field, said } from '../../src/engine/errors.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let tmp: string;
let client: MessageConnection;
let server: MessageConnection;
const ends: p.TrainEndParams[] = [];
const metrics: p.TrainMetricsParams[] = [];
const progress: p.TrainProgressParams[] = [];

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-train-rpc-'));
  writeTinyXlmr(path.join(tmp, 'model'), { head: 'all', labels: ['negative', 'positive'] });
  const rows = Array.from({ length: 16 }, (_, i) => JSON.stringify({ text: `example number ${i} ${i % 2 ? 'good' : 'bad'}`, label: i % 2 ? 'positive' : 'negative' }));
  fs.writeFileSync(path.join(tmp, 'train.jsonl'), rows.join('\n') + '\n');
  const a = new PassThrough();
  const b = new PassThrough();
  server = createMessageConnection(new StreamMessageReader(a), new StreamMessageWriter(b));
  client = createMessageConnection(new StreamMessageReader(b), new StreamMessageWriter(a));
  serveEngine(server, createHandlers(), { engineVersion: 'test', devices: () => [] });
  client.onNotification(p.trainEnd, (e) => ends.push(e));
  client.onNotification(p.trainMetrics, (m) => metrics.push(m));
  client.onNotification(p.trainProgress, (m) => progress.push(m));
  client.listen();
});
after(() => {
  client.dispose();
  server.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const params = (extra: Partial<p.TrainStartParams> = {}): p.TrainStartParams => ({
  model: path.join(tmp, 'model'),
  data: path.join(tmp, 'train.jsonl'),
  task: 'sequence-classification',
  runFolder: path.join(tmp, 'runs'),
  method: 'lora',
  epochs: 1,
  batchSize: 4,
  learningRate: 1e-3,
  maxLength: 16,
  ...extra,
});

async function ended(runId: string): Promise<p.TrainEndParams> {
  for (let i = 0; i < 1200; i++) {
    const end = ends.find((e) => e.runId === runId);
    if (end) return end;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`run ${runId} did not end within 60 s`);
}

test('a run reports step metrics and progress, writes its folder and ends completed', async () => {
  const { runId, runDir } = await client.sendRequest(p.trainStart, params());
  assert.equal(path.dirname(runDir), path.join(tmp, 'runs'));
  const run = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  assert.equal(run.runId, runId);
  assert.equal(run.method, 'lora');
  const end = await ended(runId);
  assert.equal(end.status, 'completed', JSON.stringify(end.error));
  assert.equal(end.outputDir, runDir);
  const steps = metrics.filter((m) => m.runId === runId && m.record.loss !== undefined);
  assert.equal(steps.length, 4, '16 rows, batch 4, 1 epoch');
  assert.ok(steps.every((m) => Number.isFinite(m.record.loss) && Number.isFinite(m.record.lr)));
  const lines = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.filter((l) => l.loss !== undefined).map((l) => l.loss), steps.map((m) => m.record.loss));
  const last = progress.filter((x) => x.runId === runId).at(-1)!;
  assert.equal(last.totalSteps, 4);
});

test('bad options fail train/start itself and create no run folder', async () => {
  await assert.rejects(client.sendRequest(p.trainStart, params({ batchSize: 0, runFolder: path.join(tmp, 'bad-runs') })), (e: unknown) => e instanceof ResponseError && e.code === p.EngineErrorCodes.invalidParams && /batchSize: expected at least 1/.test(e.message));
  assert.equal(fs.existsSync(path.join(tmp, 'bad-runs')), false);
});

test('an option the engine refuses is named by its train/start param, never by a CLI flag', async () => {
  // max length 2 passes the schema (a whole number of at least 1) and is refused by the engine (no room for <s> and </s>).
  await assert.rejects(client.sendRequest(p.trainStart, params({ maxLength: 2, runFolder: path.join(tmp, 'bad-runs') })), (e: unknown) => {
    assert.ok(e instanceof ResponseError);
    assert.match(e.message, /^maxLength must leave room for <s> and <\/s>, got 2$/);
    assert.equal((e.data as p.EngineErrorData).what, 'maxLength');
    return true;
  });
  // The engine's lr is train/start's learningRate: the answer names what the extension sent.
  const answer = toResponseError('train/start', new XlmError('bad-option', said`${field('lr')} must be positive, got 0`, { what: 'lr' }), new CancellationTokenSource().token, () => {});
  assert.equal(answer.message, 'learningRate must be positive, got 0');
  assert.equal(answer.data?.what, 'learningRate');
});

test('train/stop stops a running run, which ends as stopped', async () => {
  // Long enough that it cannot finish on its own while the test runs; stop once a training step has been reported,
  // so the stop meets a run that is really training (a tiny model trains hundreds of steps a second).
  const { runId } = await client.sendRequest(p.trainStart, params({ epochs: 5000 }));
  for (let i = 0; i < 600 && !progress.some((x) => x.runId === runId && x.step > 0); i++) await new Promise((r) => setTimeout(r, 50));
  const { stopped } = await client.sendRequest(p.trainStop, { runId });
  assert.deepEqual(stopped, [runId]);
  const end = await ended(runId);
  assert.equal(end.status, 'stopped');
  const last = progress.filter((x) => x.runId === runId).at(-1)!;
  assert.ok(last.step < last.totalSteps, `stopped at step ${last.step} of ${last.totalSteps}`);
  assert.deepEqual((await client.sendRequest(p.trainStop, {})).stopped, []);
});

test('without an eval file, a run holds out a tenth of a large enough training file and reports eval metrics; a small file trains on every row', async () => {
  const logs: p.TrainLogParams[] = [];
  client.onNotification(p.trainLog, (l) => logs.push(l));
  const many = path.join(tmp, 'many.jsonl');
  fs.writeFileSync(many, Array.from({ length: 60 }, (_, i) => JSON.stringify({ text: `row ${i} is ${i % 2 ? 'good' : 'bad'}`, label: i % 2 ? 'positive' : 'negative' })).join('\n') + '\n');
  const large = await client.sendRequest(p.trainStart, params({ data: many, batchSize: 6, method: 'full' }));
  assert.equal((await ended(large.runId)).status, 'completed');
  const records = metrics.filter((m) => m.runId === large.runId).map((m) => m.record);
  assert.equal(records.filter((r) => r.loss !== undefined).length, 9, '54 training rows, batch 6');
  const evals = records.filter((r) => r.eval !== undefined);
  assert.ok(evals.length >= 1, `no eval record among ${JSON.stringify(records.slice(-2))}`);
  assert.ok(evals.every((r) => Number.isFinite(r.eval!.accuracy)), JSON.stringify(evals));
  assert.ok(logs.some((l) => l.runId === large.runId && /holding out 6 of 60 rows/.test(l.message)), JSON.stringify(logs));

  const small = await client.sendRequest(p.trainStart, params());
  assert.equal((await ended(small.runId)).status, 'completed');
  assert.equal(metrics.filter((m) => m.runId === small.runId && m.record.loss !== undefined).length, 4, 'all 16 rows trained');
  assert.ok(logs.some((l) => l.runId === small.runId && /no evaluation: 16 rows are too few/.test(l.message)), JSON.stringify(logs.filter((l) => l.runId === small.runId)));
});

test('train/start with a memory limit below the estimate ends failed, with the estimate and what would fit', async () => {
  const { runId } = await client.sendRequest(p.trainStart, params({ memoryLimitMB: 60 }));
  const end = await ended(runId);
  assert.equal(end.status, 'failed');
  assert.equal(end.error?.code, 'train/memory');
  assert.match(end.error!.message, /needs about \d+ MB at its peak .* more than the memory limit of 60 MB/);
});

test('train/resume continues a stopped run from its checkpoint in the same folder and run id, its metrics.jsonl going on from the saved step', async () => {
  const { runId, runDir } = await client.sendRequest(p.trainStart, params({ epochs: 100 }));
  for (let i = 0; i < 600 && !progress.some((x) => x.runId === runId && x.step > 0); i++) await new Promise((r) => setTimeout(r, 50));
  await client.sendRequest(p.trainStop, { runId });
  assert.equal((await ended(runId)).status, 'stopped');
  const checkpoints = fs.readdirSync(runDir).filter((f) => /^checkpoint-\d+$/.test(f));
  assert.equal(checkpoints.length, 1, fs.readdirSync(runDir).join(' '));
  const saved = Number(checkpoints[0]!.split('-')[1]);
  assert.ok(saved > 0 && saved < 400, `stopped at step ${saved} of 400`);
  const stepsOf = () => fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.loss !== undefined).map((r) => r.step as number);
  assert.equal(stepsOf().at(-1), saved);

  ends.splice(0, ends.length, ...ends.filter((e) => e.runId !== runId));
  const before = metrics.length;
  const resumed = await client.sendRequest(p.trainResume, { runDir });
  assert.deepEqual(resumed, { runId, runDir }, 'the same run, not a new one');
  await assert.rejects(client.sendRequest(p.trainResume, { runDir }), /this run is training now/);
  const end = await ended(runId);
  assert.equal(end.status, 'completed', JSON.stringify(end.error));
  const after = metrics.slice(before).filter((m) => m.runId === runId && m.record.loss !== undefined).map((m) => m.record.step);
  assert.equal(after[0], saved + 1, 'the first step after the checkpoint');
  assert.equal(after.at(-1), 400);
  // One curve: every step once, in order, the stopped part and the resumed part.
  assert.deepEqual(stepsOf(), Array.from({ length: 400 }, (_, i) => i + 1));
  assert.ok(fs.existsSync(path.join(runDir, 'model.safetensors')), 'the resumed run saved its final model');

  await assert.rejects(client.sendRequest(p.trainResume, { runDir }), /this run finished/);
  await assert.rejects(client.sendRequest(p.trainResume, { runDir: path.join(tmp, 'model') }), /no run\.json: only a run started from the editor resumes here/);
  const cutOff = path.join(tmp, 'runs', 'cut-off');
  fs.mkdirSync(cutOff);
  fs.copyFileSync(path.join(runDir, 'run.json'), path.join(cutOff, 'run.json'));
  await assert.rejects(client.sendRequest(p.trainResume, { runDir: cutOff }), /no complete checkpoint-N folder/);
});
