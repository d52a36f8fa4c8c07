import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { Graph } from '../../src/engine/graph/graph.js';
import { encodeGraph } from '../../src/engine/graph/encode.js';
import { add, ifElse, matmul, mul, reshape } from '../../src/engine/graph/ops/index.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';

/** y = use_given ? given : (x @ W + 1) * 2, with W a weight of the outer graph read only by the else branch. */
function branchy(): Graph {
  const g = new Graph('branchy');
  const cond = g.input('use_given', 'bool', [1]);
  const x = g.input('x', 'float32', ['rows', 3]);
  const given = g.input('given', 'float32', ['given_rows', 2]);
  const w = g.initializer('w', { dtype: 'float32', shape: [3, 2], data: Float32Array.from([1, 0, 0, 1, 1, 1]) });
  const [y] = ifElse(cond, 'pick', {
    then: (take) => [take(given)],
    else: (take) => [mul(add(matmul(take(x), w), 1), 2)],
    shapes: [['rows', 2]],
  });
  // Computed after the If, in the outer graph.
  g.output(reshape(y, [-1]), 'y');
  return g;
}

async function run(g: Graph, useGiven: boolean): Promise<number[]> {
  const { session } = await createSession(g, { threads: 1 });
  try {
    const out = await session.run({
      use_given: new ort.Tensor('bool', Uint8Array.of(useGiven ? 1 : 0), [1]),
      x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, -1, 0, 4]), [2, 3]),
      given: new ort.Tensor('float32', Float32Array.from([7, 8, 9, 10]), [2, 2]),
    });
    return Array.from(out.y.data as Float32Array);
  } finally {
    await session.release();
  }
}

test('If runs the branch the condition picks; a branch reads the outer graph\'s inputs and weights by name', async () => {
  const g = branchy();
  assert.deepEqual(await run(g, true), [7, 8, 9, 10]);
  // x @ W: [1·1 + 3·1, 2 + 3] = [4, 5] → (·+1)·2 = [10, 12]; [-1 + 4, 0 + 4] = [3, 4] → [8, 10].
  assert.deepEqual(await run(g, false), [10, 12, 8, 10]);
});

test('a branch is encoded as a subgraph: its ops inside it, outer values only named, the weight kept in the outer graph', () => {
  const model = onnx.ModelProto.decode(encodeGraph(branchy()).bytes);
  const ifNode = model.graph!.node!.find((n) => n.opType === 'If')!;
  assert.deepEqual(ifNode.input, ['use_given'], 'the If node takes only its condition');
  const branch = (name: string) => ifNode.attribute!.find((a) => a.name === name)!.g!;
  assert.deepEqual(branch('then_branch').node!.map((n) => n.opType), ['Identity']);
  assert.deepEqual(branch('then_branch').node![0].input, ['given']);
  assert.deepEqual(branch('else_branch').node!.map((n) => n.opType), ['MatMul', 'Add', 'Mul']);
  assert.deepEqual(branch('else_branch').node![0].input, ['x', 'w']);
  assert.ok(model.graph!.initializer!.some((i) => i.name === 'w'), 'the weight the else branch reads is an initializer of the outer graph');
  assert.ok(!model.graph!.node!.some((n) => n.opType === 'MatMul'), 'the else branch\'s MatMul is not in the outer graph');
  const names = [...branch('else_branch').node!.flatMap((n) => n.output!), ...model.graph!.node!.flatMap((n) => n.output!)];
  assert.equal(new Set(names).size, names.length, 'no value name repeats across the graph and its branches');
});

test('a branch cannot read another branch\'s values, and the branches must agree on what they give', () => {
  const g = new Graph('bad');
  const cond = g.input('c', 'bool', [1]);
  const x = g.input('x', 'float32', [2]);
  let leaked: ReturnType<typeof add> | undefined;
  assert.throws(
    () =>
      ifElse(cond, 'leak', {
        then: (take) => [(leaked = add(take(x), 1))],
        else: () => [add(leaked!, 1)],
      }),
    /belongs to another graph/,
  );
  const y = g.input('y', 'float32', [3]);
  assert.throws(() => ifElse(cond, 'mismatch', { then: (take) => [take(x)], else: (take) => [take(y)] }), /the branches give \[2\] and \[3\]/);
  // Once its If exists, a branch takes no more ops: they would never be encoded.
  let inside: ReturnType<typeof add> | undefined;
  const [out] = ifElse(cond, 'done', { then: (take) => [(inside = add(take(x), 1))], else: (take) => [take(x)] });
  assert.throws(() => add(inside!, out), /inside a finished If branch/);
  assert.equal(add(out, 1).graph, g, 'the If\'s outputs are the outer graph\'s');
});
