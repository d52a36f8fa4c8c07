// The dashboard's view of a run folder: metrics.jsonl parsed line by line, half-written lines left for later,
// bad lines reported by number, and the runs of a run folder listed newest first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MetricsTail, listRuns, parseMetrics, readRun } from '../../src/panels/runs.js';

test('parseMetrics keeps complete lines, reports bad ones by line number and leaves a partial last line', () => {
  const text = '{"step":1,"epoch":0,"loss":2}\nnot json\n{"step":2,"epoch":0,"loss":1.5}\n{"step":3,"ep';
  const { records, badLines, consumed } = parseMetrics(text);
  assert.deepEqual(records.map((r) => r.loss), [2, 1.5]);
  assert.deepEqual(badLines, [2]);
  assert.equal(text.slice(consumed), '{"step":3,"ep');
});

test('MetricsTail returns only what was appended since the last poll, across a partial write', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-runs-'));
  try {
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, '{"step":1,"epoch":0,"loss":3}\n');
    const tail = new MetricsTail(file);
    assert.deepEqual(tail.poll().map((r) => r.step), [1]);
    assert.deepEqual(tail.poll(), []);
    fs.appendFileSync(file, '{"step":2,"epoch":0,"loss":2}\n{"step":3,');
    assert.deepEqual(tail.poll().map((r) => r.step), [2]);
    fs.appendFileSync(file, '"epoch":0,"loss":1}\n');
    assert.deepEqual(tail.poll().map((r) => r.loss), [1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

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
