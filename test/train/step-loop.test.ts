// The step loop fine-tuning and pre-training share (src/engine/train/step-loop.ts): it runs to the last step, stops
// between two steps when cancelled, ends where a hook asks (early stopping), and a loss that is not finite ends it
// with the run's own error, after the step's own work (a fine-tuning run logs the diverged step's metrics line).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runStepLoop, type StepLoop } from '../../src/engine/train/step-loop.js';

/** A runner stand-in whose losses are given in order; it records what the loop did. */
function fakeLoop(losses: number[], extra: Partial<StepLoop> = {}): { loop: StepLoop; seen: string[] } {
  const seen: string[] = [];
  const runner = { stepCount: 0 };
  const loop: StepLoop = {
    runner,
    until: losses.length,
    step: async () => {
      const loss = losses[runner.stepCount]!;
      runner.stepCount++;
      seen.push(`step ${runner.stepCount}`);
      return { loss, gradNorm: 1, lr: 1e-3 };
    },
    diverged: (loss, done) => new Error(`loss ${loss} at step ${done}`),
    after: async (done) => {
      seen.push(`after ${done}`);
    },
    ...extra,
  };
  return { loop, seen };
}

test('the loop makes every step up to `until`, calling after each one', async () => {
  const { loop, seen } = fakeLoop([3, 2, 1]);
  assert.equal(await runStepLoop(loop), 'done');
  assert.deepEqual(seen, ['step 1', 'after 1', 'step 2', 'after 2', 'step 3', 'after 3']);
});

test('a resumed runner starts where it stands', async () => {
  const { loop, seen } = fakeLoop([3, 2, 1]);
  (loop.runner as { stepCount: number }).stepCount = 2;
  assert.equal(await runStepLoop(loop), 'done');
  assert.deepEqual(seen, ['step 3', 'after 3']);
});

test('a cancel is seen between two steps; a signal already aborted makes no step', async () => {
  const controller = new AbortController();
  const { loop, seen } = fakeLoop([3, 2, 1], { signal: controller.signal });
  loop.after = async (done) => {
    seen.push(`after ${done}`);
    if (done === 1) controller.abort();
  };
  assert.equal(await runStepLoop(loop), 'cancelled');
  assert.deepEqual(seen, ['step 1', 'after 1']);
  const before = fakeLoop([1], { signal: AbortSignal.abort() });
  assert.equal(await runStepLoop(before.loop), 'cancelled');
  assert.deepEqual(before.seen, []);
});

test('after asking to stop ends the loop there (early stopping)', async () => {
  const { loop, seen } = fakeLoop([3, 2, 1, 0]);
  loop.after = async (done) => {
    seen.push(`after ${done}`);
    return done === 2 ? 'stop' : undefined;
  };
  assert.equal(await runStepLoop(loop), 'stopped');
  assert.deepEqual(seen, ['step 1', 'after 1', 'step 2', 'after 2']);
});

test('a loss that is not finite ends the loop with the run\'s error, naming the step, before after runs', async () => {
  for (const bad of [NaN, Infinity]) {
    const { loop, seen } = fakeLoop([3, bad, 1]);
    await assert.rejects(runStepLoop(loop), new RegExp(`loss ${bad} at step 2`));
    assert.deepEqual(seen, ['step 1', 'after 1', 'step 2']);
  }
});
