// The dashboard's view of a run folder: metrics.jsonl parsed line by line, half-written lines left for later,
// bad lines reported by number, the runs of a run folder listed newest first, and a live record taken only once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShownRecords, listRuns, parseMetrics, readRun } from '../../src/panels/runs.js';

test('parseMetrics keeps complete lines, reports bad ones by line number and leaves a partial last line', () => {
  const text = '{"step":1,"epoch":0,"loss":2}\nnot json\n{"step":2,"epoch":0,"loss":1.5}\n{"step":3,"ep';
  const { records, badLines } = parseMetrics(text);
  assert.deepEqual(records.map((r) => r.loss), [2, 1.5]);
  assert.deepEqual(badLines, [2], 'the half-written last line is not a bad line');
});

test('a notified record is shown once: records the file read already had are skipped, later ones taken in order', () => {
  const read = readRunOf('run-a', [{ step: 1, epoch: 0, loss: 3 }, { step: 2, epoch: 0, loss: 2 }, { step: 2, epoch: 0, eval: { accuracy: 0.5 } }]);
  const shown = new ShownRecords([read, readRunOf('run-b', [])]);
  // Notifications in flight while the file was read bring records it already had.
  assert.equal(shown.take('run-a', { step: 2, epoch: 0, loss: 2 }), false);
  assert.equal(shown.take('run-a', { step: 2, epoch: 0, eval: { accuracy: 0.5 } }), false);
  assert.equal(shown.take('run-a', { step: 3, epoch: 0, loss: 1 }), true);
  assert.equal(shown.take('run-a', { step: 3, epoch: 0, eval: { accuracy: 0.75 } }), true, "a step's eval line after its training line");
  assert.equal(shown.take('run-a', { step: 3, epoch: 0, loss: 1 }), false, 'taken once');
  // A run that has no lines yet takes its first; a run the dashboard does not show takes none.
  assert.equal(shown.take('run-b', { step: 1, epoch: 0, loss: 4 }), true);
  assert.equal(shown.take('run-c', { step: 1, epoch: 0, loss: 4 }), false);
});

function readRunOf(id: string, records: { step: number; epoch: number; loss?: number; eval?: Record<string, number> }[]) {
  return { id, dir: `/runs/${id}`, config: {}, records, badLines: [] };
}

test('listRuns finds run folders with metrics.jsonl or run.json, newest first, and readRun brings their config', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-runs-'));
  try {
    for (const [name, age] of [['old', 60_000], ['new', 0]] as const) {
      fs.mkdirSync(path.join(root, name));
      fs.writeFileSync(path.join(root, name, 'metrics.jsonl'), '{"step":1,"epoch":0,"loss":0.5}\n{"step":1,"epoch":0,"eval":{"accuracy":0.9}}\n');
      const t = new Date(Date.now() - age);
      fs.utimesSync(path.join(root, name, 'metrics.jsonl'), t, t);
    }
    fs.mkdirSync(path.join(root, 'not-a-run'));
    fs.mkdirSync(path.join(root, 'just-started'));
    fs.writeFileSync(path.join(root, 'just-started', 'run.json'), '{"method":"full"}');
    const past = new Date(Date.now() - 120_000);
    fs.utimesSync(path.join(root, 'just-started', 'run.json'), past, past);
    fs.writeFileSync(path.join(root, 'new', 'run.json'), '{"method":"lora"}');
    fs.writeFileSync(path.join(root, 'new', 'config.json'), '{"model_type":"xlm-roberta"}');
    fs.writeFileSync(path.join(root, 'old', 'config.json'), '{"model_type":"xlm-roberta"}');
    const runs = listRuns([root]);
    assert.deepEqual(runs.map((r) => [r.id, r.steps, r.lastLoss]), [['new', 1, 0.5], ['old', 1, 0.5], ['just-started', 0, undefined]]);
    const run = readRun(path.join(root, 'new'));
    assert.deepEqual(run.config, { method: 'lora' }, 'run.json, not the trained model\'s config.json');
    assert.deepEqual(readRun(path.join(root, 'old')).config, { model_type: 'xlm-roberta' }, 'config.json when there is no run.json');
    assert.equal(run.records.length, 2);
    assert.deepEqual(run.records[1]!.eval, { accuracy: 0.9 });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('listRuns: a run with a checkpoint and no final model is stopped once the engine no longer trains it; a run just finished or imported is not live', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-runs-state-'));
  try {
    const write = (name: string, files: Record<string, string>, dirs: string[] = []) => {
      for (const d of [name, ...dirs.map((x) => path.join(name, x))]) fs.mkdirSync(path.join(root, d), { recursive: true });
      for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(root, name, f), text);
    };
    const line = '{"step":5,"epoch":1,"loss":0.5}\n';
    write('stopped', { 'run.json': '{}', 'metrics.jsonl': line }, ['checkpoint-5']);
    write('finished', { 'run.json': '{}', 'metrics.jsonl': line, 'config.json': '{}', 'model.safetensors': '', 'verdict.json': JSON.stringify({ learned: true, reasons: [], advice: [], finalLoss: 0.5, finalLossSteps: 1 }) });
    write('imported', { 'metrics.jsonl': line, 'config.json': '{}', 'model.safetensors': '', 'trainer_state.json': '{}', 'imported.json': '{}' });
    const state = (training?: Set<string>) => Object.fromEntries(listRuns([root], training).map((r) => [r.id, [r.state, r.live, r.hasModel]]));
    // Just written: without the engine's word, a checkpointed run may still be training (a command-line run).
    assert.deepEqual(state(), { stopped: ['unknown', true, false], finished: ['finished', false, true], imported: ['unknown', false, true] });
    // The engine trains it: live, not stopped; the engine no longer trains it: stopped at once (Resume offered).
    assert.deepEqual(state(new Set(['stopped'])).stopped, ['unknown', true, false]);
    assert.deepEqual(state(new Set()).stopped, ['stopped', false, false]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
