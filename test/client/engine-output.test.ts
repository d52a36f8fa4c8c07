// The engine's stdout and stderr reach the output channel as whole lines, one log entry each: chunks cut in the
// middle of a line are joined, onnxruntime's native lines lose their own timestamp and take their severity's level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineOutputReader, lineSplitter } from '../../src/client/engineOutput.js';

test('chunks become whole lines: a line cut between chunks is one line, blank lines are dropped, the last line comes at the end', () => {
  const lines: string[] = [];
  const split = lineSplitter((l) => lines.push(l));
  split.push('[engine] first li');
  split.push('ne\r\nsecond line\n\n2026-12-07 17:27:29.01');
  assert.deepEqual(lines, ['[engine] first line', 'second line']);
  split.push('3456789 [W:onnxruntime:, session_state.cc:1166 VerifyEachNodeIsAssignedToAnEp] Some nodes were not assigned');
  split.end();
  assert.equal(lines.length, 3);
  assert.match(lines[2]!, /^2026-12-07 17:27:29\.013456789 \[W:onnxruntime/);
  split.end();
  assert.equal(lines.length, 3, 'nothing is left to give twice');
});

test("onnxruntime's native lines: no second timestamp, the level from the severity letter, where it came from kept at the end", () => {
  const read = engineOutputReader();
  assert.deepEqual(read('2026-12-07 17:27:29.013456789 [W:onnxruntime:, session_state.cc:1166 VerifyEachNodeIsAssignedToAnEp] Some nodes were not assigned to the preferred execution providers'), {
    level: 'warn',
    message: 'onnxruntime: Some nodes were not assigned to the preferred execution providers (session_state.cc:1166 VerifyEachNodeIsAssignedToAnEp)',
  });
  assert.equal(read('2026-12-07 17:27:29.013 [E:onnxruntime:Default, env.cc:10 Create] no device').level, 'error');
  assert.equal(read('2026-12-07 17:27:29 [I:onnxruntime:, x.cc:1 F] note').level, 'info');
  assert.equal(read('2026-12-07 17:27:29 [V:onnxruntime:, x.cc:1 F] detail').level, 'trace');
  assert.deepEqual(read('[engine] the model folder changed; reloading'), { level: 'info', message: '[engine] the model folder changed; reloading' });
});

test("a crash's trace is logged at the error level, its indented lines with it; the next plain line is info again", () => {
  const read = engineOutputReader();
  const levels = ['[engine] unhandled rejection: Error: boom', '    at run (/x/engine.js:10:5)', '    at next (/x/engine.js:20:7)', '[engine] serving again'].map((l) => read(l).level);
  assert.deepEqual(levels, ['error', 'error', 'error', 'info']);
  assert.equal(read('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory').level, 'error');
  assert.equal(read('RangeError: Invalid array length').level, 'error');
  assert.equal(read('  indented after an error').level, 'error');
  assert.equal(read('plain').level, 'info');
  assert.equal(read('  indented after a plain line').level, 'info');
});
