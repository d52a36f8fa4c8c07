// A training run releases every onnxruntime session it opened however it ends (finished, cancelled, diverged,
// failed in a hook, refused at resume after its graphs were built), so a long-lived engine leaks nothing, and the
// next run in the same process trains normally. Sessions are counted where onnxruntime creates and releases them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ort } from '../../src/engine/runtime/session.js';
import { train } from '../../src/engine/train/train-task.js';
import { TrainingRun, type TrainOptions } from '../../src/engine/train/train.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let root: string;
const live = new Set<ort.InferenceSession>();
let opened = 0;
const originalCreate = ort.InferenceSession.create;
// onnxruntime's typings describe a factory; at run time InferenceSession is a class whose instances share release().
const sessionPrototype = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
const originalRelease = sessionPrototype.release;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-run-release-'));
  writeTinyXlmr(join(root, 'base'), { head: 'seq-cls', seed: 3, std: 0.1, labels: ['a', 'b'] });
  const words = ['Paris', 'Berlin', 'Madrid', 'cats', 'dogs', 'world'];
  const rows = words.flatMap((w, i) => [0, 1].map((k) => JSON.stringify({ text: `The ${w} is ${k ? 'here' : 'there'}.`, label: (i + k) % 2 ? 'a' : 'b' })));
  writeFileSync(join(root, 'train.jsonl'), rows.join('\n') + '\n');
  writeFileSync(join(root, 'eval.jsonl'), rows.slice(0, 4).join('\n') + '\n');
  ort.InferenceSession.create = (async (...args: unknown[]) => {
    const session = await (originalCreate as (...a: unknown[]) => Promise<ort.InferenceSession>).apply(ort.InferenceSession, args);
    live.add(session);
    opened++;
    return session;
  }) as typeof ort.InferenceSession.create;
  sessionPrototype.release = async function (this: ort.InferenceSession) {
    live.delete(this);
    return originalRelease.call(this);
  };
});

after(() => {
  ort.InferenceSession.create = originalCreate;
  sessionPrototype.release = originalRelease;
  rmSync(root, { recursive: true, force: true });
});

// Gradient accumulation and an eval file: the step, accumulation and evaluation sessions all exist.
const options = (out: string, over: Partial<TrainOptions> = {}): TrainOptions => ({
  model: join(root, 'base'), task: 'sequence-classification', train: join(root, 'train.jsonl'), eval: join(root, 'eval.jsonl'), out: join(root, out),
  lr: 1e-3, batchSize: 2, gradAccum: 2, maxSteps: 4, evalEvery: 2, threads: 1, seed: 5, ...over,
});

/** Runs `body`, asserting that it opened sessions and that none of them is left open afterwards. */
async function releasesAll(what: string, body: () => Promise<unknown>): Promise<void> {
  const before = opened;
  await body();
  assert.ok(opened - before >= 3, `${what}: expected the step, accumulation and eval sessions to be opened, saw ${opened - before}`);
  assert.equal(live.size, 0, `${what}: ${live.size} onnxruntime session(s) left open`);
}

test('a run whose loss becomes NaN fails with "diverged" and releases its sessions', async () => {
  await releasesAll('diverged', () => assert.rejects(train(options('diverged', { lr: 1e38 })), (e: Error & { code?: string }) => e.code === 'diverged'));
});

test('a run whose metrics hook throws mid-loop fails with that error and releases its sessions', async () => {
  const hooks = { onMetrics: (m: { step: number }) => { if (m.step === 2) throw new Error('the listener went away'); } };
  await releasesAll('hook', () => assert.rejects(train(options('hook'), hooks), /the listener went away/));
});

test('--resume refused after the graphs are built (no checkpoint) releases the sessions', async () => {
  await releasesAll('resume', () => assert.rejects(train(options('never-ran', { resume: true })), /no complete checkpoint-N folder/));
});

test('a phase that throws in a subclass still releases the sessions (the run object is the extension point)', async () => {
  class FailingEvaluation extends TrainingRun {
    protected override async evaluate(): Promise<void> {
      throw new Error('evaluation broke');
    }
  }
  await releasesAll('subclass', () => assert.rejects(new FailingEvaluation(options('subclass')).run(), /evaluation broke/));
});

test('cancelled and finished runs release their sessions, and the process trains again after the failures above', async () => {
  const controller = new AbortController();
  await releasesAll('cancelled', async () => {
    const r = await train(options('cancelled'), { signal: controller.signal, onProgress: (p) => { if (p.phase === 'training' && p.step === 1) controller.abort(); } });
    assert.equal(r.cancelled, true);
  });
  await releasesAll('finished', async () => {
    const r = await train(options('finished'));
    assert.equal(r.steps, 4);
    assert.equal(r.cancelled, false);
    assert.ok(Number.isFinite(r.lastLoss));
    assert.ok(r.lastEval && Number.isFinite(r.lastEval.eval.accuracy));
  });
});
