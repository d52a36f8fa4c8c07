// Every op with a gradient rule is checked by the gradient table (op-cases.ts): its finite-difference test and its
// PyTorch test run each row, so an op whose rule has no row there has a rule nothing checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, definedOps } from '../../src/engine/graph/graph.js';
import '../../src/engine/graph/ops/index.js';
import { gradCases } from './op-cases.js';

/** The ops a case's loss is built from (a composite counts as itself, not as its pieces). */
function opsOf(c: (typeof gradCases)[number]): Set<string> {
  const graph = new Graph(c.name);
  const values = Object.fromEntries(c.inputs.map((i) => [i.name, graph.input(i.name, i.dtype ?? 'float64', i.shape)]));
  c.build(values);
  const names = new Set(graph.nodes.map((n) => n.op.name));
  for (const n of graph.nodes) for (const out of n.outputs) {
    const composite = graph.compositeOf(out);
    if (composite) names.add(composite.op.name);
  }
  return names;
}

test('every op with a gradient rule has a row in the gradient table', () => {
  const covered = new Set(gradCases.flatMap((c) => [...opsOf(c)]));
  const withRules = definedOps().filter((o) => o.grad).map((o) => o.name);
  assert.ok(withRules.length > 20, `only ${withRules.length} ops with gradient rules registered: ops/index.ts was not loaded`);
  const missing = withRules.filter((name) => !covered.has(name));
  assert.deepEqual(missing, [], `ops with a gradient rule and no row in test/graph/op-cases.ts: ${missing.join(', ')}`);
});
