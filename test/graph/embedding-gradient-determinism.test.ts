import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradients } from '../../src/engine/graph/autodiff.js';
import { Graph } from '../../src/engine/graph/graph.js';
import { gather, mul, reduceSum } from '../../src/engine/graph/ops/index.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';

// Big enough that onnxruntime splits a scatter over its two threads (its ScatterND(add) then summed a repeated
// row in a different order on every run: the default model's pre-training came out different each time).
const VOCAB = 8000;
const HIDDEN = 128;
const TOKENS = 4096;

test('an embedding gradient with repeated ids is the same to the bit on every run with two threads, and is the exact sum', async () => {
  const g = new Graph('embedding-grad');
  const table = g.input('table', 'float32', [VOCAB, HIDDEN]);
  const ids = g.input('ids', 'int64', [TOKENS]);
  const w = g.input('w', 'float32', [TOKENS, HIDDEN]);
  const loss = reduceSum(mul(gather(table, ids), w), [0, 1]);
  g.output(gradients(g, loss, [table]).get(table)!, 'grad');
  const { session } = await createSession(g, { threads: 2 });
  const idList = Array.from({ length: TOKENS }, (_, i) => (i * 7) % 50); // 50 ids, each about 80 times
  const wData = Float32Array.from({ length: TOKENS * HIDDEN }, (_, i) => Math.sin(i) * 1.37);
  const feeds = {
    table: new ort.Tensor('float32', new Float32Array(VOCAB * HIDDEN), [VOCAB, HIDDEN]),
    ids: new ort.Tensor('int64', BigInt64Array.from(idList, BigInt), [TOKENS]),
    w: new ort.Tensor('float32', wData, [TOKENS, HIDDEN]),
  };
  const first = Float32Array.from((await session.run(feeds)).grad.data as Float32Array);
  for (let run = 0; run < 10; run++) {
    const again = (await session.run(feeds)).grad.data as Float32Array;
    const differing = again.findIndex((x, i) => x !== first[i]);
    assert.equal(differing, -1, `run ${run + 2} differs at element ${differing}`);
  }
  const exact = new Float64Array(VOCAB * HIDDEN);
  idList.forEach((id, n) => {
    for (let h = 0; h < HIDDEN; h++) exact[id * HIDDEN + h] += wData[n * HIDDEN + h];
  });
  let worst = 0;
  for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(first[i] - exact[i]));
  assert.ok(worst < 1e-4, `largest difference from the exact sum: ${worst}`);
  await session.release();
});
