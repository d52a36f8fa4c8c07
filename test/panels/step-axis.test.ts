// The charts' step axis ticks at whole steps: a 10-step run had ticks at 2.5 and 7.5 with uPlot's own spacing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepRange, stepTicks } from '../../media/lib/step-axis.js';

const whole = (ticks: number[]) => ticks.every((t) => Number.isInteger(t));

test('a short run ticks at whole steps, never at 2.5 or 7.5', () => {
  assert.deepEqual(stepTicks(1, 10, 4), [5, 10]);
  assert.deepEqual(stepTicks(1, 10, 6), [2, 4, 6, 8, 10]);
  assert.deepEqual(stepTicks(1, 10, 20), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // Room for more ticks than steps: still one per step, not halves.
  assert.deepEqual(stepTicks(0, 3, 12), [0, 1, 2, 3]);
});

test('spacing grows 1, 2, 5, 10, 20, 50 … and keeps within the number of ticks that fit', () => {
  for (const [min, max] of [[1, 132], [0, 250], [3, 7], [1, 6000], [10, 11], [1, 1e6]] as const) {
    for (const fit of [2, 3, 5, 8, 13]) {
      const ticks = stepTicks(min, max, fit);
      assert.ok(ticks.length >= 1 && ticks.length <= fit, `${min}..${max} in ${fit}: ${ticks.join(' ')}`);
      assert.ok(whole(ticks), `${min}..${max} in ${fit}: ${ticks.join(' ')}`);
      assert.ok(ticks[0]! >= min && ticks.at(-1)! <= max);
      const gaps = new Set(ticks.slice(1).map((t, i) => t - ticks[i]!));
      assert.ok(gaps.size <= 1, 'evenly spaced');
      const gap = [...gaps][0] ?? 1;
      assert.match(String(gap), /^[125]0*$/, `spacing ${gap}`);
    }
  }
  assert.deepEqual(stepTicks(1, 132, 8), [20, 40, 60, 80, 100, 120]);
});

test('one point gets a step either side; an empty or reversed range has no ticks', () => {
  assert.deepEqual(stepRange(5, 5), [4, 6]);
  assert.deepEqual(stepRange(1, 132), [1, 132]);
  assert.deepEqual(stepTicks(4, 6, 5), [4, 5, 6]);
  assert.deepEqual(stepTicks(5, 4, 5), []);
  assert.deepEqual(stepTicks(Number.NaN, 4, 5), []);
});
