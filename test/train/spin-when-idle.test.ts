// A run started from a terminal lets onnxruntime's threads spin only on an idle machine, and says which and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spinWhenIdle } from '../../src/engine/train/runner.js';

test('spinning when the 1-minute load average is under a quarter of the cores, not otherwise, with the reason in words', () => {
  const idle = spinWhenIdle(0.3, 2);
  assert.equal(idle.spin, true);
  assert.match(idle.why, /threads spin between operations: the machine is idle \(load 0\.30 over the last minute on 2 cores\)/);
  const busy = spinWhenIdle(0.5, 2);
  assert.equal(busy.spin, false);
  assert.match(busy.why, /do not spin .*other work is running \(load 0\.50/);
  assert.equal(spinWhenIdle(3.9, 16).spin, true);
  assert.equal(spinWhenIdle(4, 16).spin, false);
});
