// A run started from a terminal lets onnxruntime's threads spin only on an idle machine, and says which and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSpin, spinWhenIdle } from '../../src/engine/train/runner.js';
import { trainOptionsOfRun } from '../../src/engine/rpc/training.js';

test('spinning when the 1-minute load average is under a quarter of the cores, not otherwise, with the reason in words', () => {
  const idle = spinWhenIdle(0.3, 2, 'linux');
  assert.equal(idle.spin, true);
  assert.match(idle.why, /threads spin between operations: the machine was idle as the run started \(load 0\.30 over the last minute on 2 cores\)/);
  const busy = spinWhenIdle(0.5, 2, 'linux');
  assert.equal(busy.spin, false);
  assert.match(busy.why, /do not spin .*other work is running \(load 0\.50/);
  assert.equal(spinWhenIdle(3.9, 16, 'darwin').spin, true);
  assert.equal(spinWhenIdle(4, 16, 'linux').spin, false);
  // Windows always reports a load of 0: unknown, so no spinning.
  const windows = spinWhenIdle(0, 2, 'win32');
  assert.equal(windows.spin, false);
  assert.match(windows.why, /Windows reports no load average/);
});

test('a decision is logged once as the sessions are made; a run without one (VS Code\'s) does not spin and logs nothing', () => {
  const lines: string[] = [];
  assert.equal(resolveSpin({ spin: true, why: 'because' }, (l) => lines.push(l)), true);
  assert.deepEqual(lines, ['because']);
  assert.equal(resolveSpin(undefined, (l) => lines.push(l)), false);
  assert.equal(lines.length, 1);
  const fromVsCode = trainOptionsOfRun({ model: '/m', task: 'sequence-classification', data: '/t.jsonl', runFolder: '/runs', method: 'full' } as Parameters<typeof trainOptionsOfRun>[0], '/runs/r');
  assert.equal(fromVsCode.spin, undefined, 'train/start never asks for spinning');
});
