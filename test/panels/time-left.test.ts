// The status item's and the dashboard's time left, in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimeLeft } from '../../src/panels/messages.js';

test('time left: seconds under a minute, whole minutes under an hour, then hours and minutes; rounding never gives 60 min', () => {
  assert.equal(formatTimeLeft(null), 'time left unknown');
  assert.equal(formatTimeLeft(45), '45 s left');
  assert.equal(formatTimeLeft(200), '3 min left');
  assert.equal(formatTimeLeft(3590), '1 h 00 min left');
  assert.equal(formatTimeLeft(3900), '1 h 05 min left');
  assert.equal(formatTimeLeft(7190), '2 h 00 min left');
});
