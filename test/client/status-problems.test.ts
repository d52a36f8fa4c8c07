// The status item turns to a warning with a "why" action when a feature cannot run: when the engine is ready, and
// also before it has started (a fresh window whose NLI panel found no model showed "Engine not running" and nothing else).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { viewHealth, withProblems } from '../../src/client/health.js';

test('a problem makes a ready or not-yet-started item a warning with Why; a stopped-on-purpose, busy or training item keeps its look', () => {
  const ready = withProblems(viewHealth({ kind: 'ready', model: 'default' }, 'cpu'), { kind: 'ready', model: 'default' }, 1);
  assert.equal(ready.severity, 'warning');
  assert.match(ready.text, /^\$\(warning\) XLM · CPU$/);
  assert.match(ready.summary, /A feature cannot run: \[\$\(question\) Why\?\]\(command:xlm\.showProblems\)$/);
  const fresh = { kind: 'stopped', onPurpose: false } as const;
  const notStarted = withProblems(viewHealth(fresh, 'cpu'), fresh, 2);
  assert.equal(notStarted.severity, 'warning');
  assert.match(notStarted.text, /^\$\(warning\) XLM$/);
  assert.match(notStarted.summary, /^Engine not running\. It starts on the first request\. 2 features cannot run: /);
  const onPurpose = { kind: 'stopped', onPurpose: true } as const;
  assert.deepEqual(withProblems(viewHealth(onPurpose, 'cpu'), onPurpose, 1), viewHealth(onPurpose, 'cpu'));
  const busy = { kind: 'busy', what: 'fillMask' } as const;
  assert.deepEqual(withProblems(viewHealth(busy, 'cpu'), busy, 1), viewHealth(busy, 'cpu'));
  assert.deepEqual(withProblems(viewHealth({ kind: 'ready', model: 'm' }, 'cpu'), { kind: 'ready', model: 'm' }, 0), viewHealth({ kind: 'ready', model: 'm' }, 'cpu'));
});
