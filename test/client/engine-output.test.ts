// The engine's stdout and stderr reach the output channel as whole lines, one log entry each: chunks cut in the
// middle of a line are joined, onnxruntime's native lines lose their own timestamp and take their severity's level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineOutputLine, lineSplitter } from '../../src/client/engineOutput.js';

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
  assert.deepEqual(engineOutputLine('2026-12-07 17:27:29.013456789 [W:onnxruntime:, session_state.cc:1166 VerifyEachNodeIsAssignedToAnEp] Some nodes were not assigned to the preferred execution providers'), {
    level: 'warn',
    message: 'onnxruntime: Some nodes were not assigned to the preferred execution providers (session_state.cc:1166 VerifyEachNodeIsAssignedToAnEp)',
  });
  assert.equal(engineOutputLine('2026-12-07 17:27:29.013 [E:onnxruntime:Default, env.cc:10 Create] no device').level, 'error');
  assert.equal(engineOutputLine('2026-12-07 17:27:29 [I:onnxruntime:, x.cc:1 F] note').level, 'info');
  assert.deepEqual(engineOutputLine('[engine] unhandled rejection: Error: boom'), { level: 'error', message: '[engine] unhandled rejection: Error: boom' });
  assert.deepEqual(engineOutputLine('[engine] the model folder changed; reloading'), { level: 'info', message: '[engine] the model folder changed; reloading' });
});
