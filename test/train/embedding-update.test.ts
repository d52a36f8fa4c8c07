import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, type Value } from '../../src/engine/graph/graph.js';
import { gradients } from '../../src/engine/graph/autodiff.js';
import { add, gather, mul, reduceSum } from '../../src/engine/graph/ops/index.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import { optimizerStep } from '../../src/engine/train/optimizer.js';

const ROWS = 6;
const DIM = 3;
const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.3);

const zeroRows = (data: Float32Array, rows: number[]) => {
  for (const r of rows) data.fill(0, r * DIM, (r + 1) * DIM);
  return data;
};

/**
 * One AdamW step on an embedding table looked up with repeated ids (and one padding id). `dense` hides the
 * gradient's scatter-into-zeros form behind an Add, so the optimizer takes its dense path. `zeroMomentRows` start
 * with both moments zero (never looked up), except row 1 (the padding id) whose second moment is kept (its first
 * decayed to zero).
 */
async function adamStep(dense: boolean, maxGradNorm: number, zeroMomentRows: number[] = []): Promise<{ out: Record<string, Float32Array>; ops: string[] }> {
  const g = new Graph('embedding_step');
  const table = g.input('emb', 'float32', [ROWS, DIM]);
  const ids = g.input('ids', 'int64', [2, 4]);
  const w = g.input('w', 'float32', [2, 4, DIM]);
  const looked = gather(table, ids, 0, { paddingIdx: 1 });
  const loss = reduceSum(mul(mul(looked, looked), w), [0, 1, 2]);
  let grad: Value = gradients(g, loss, [table]).get(table)!;
  if (dense) grad = add(grad, g.constant(0, 'float32'));
  const m = g.input('m', 'float32', [ROWS, DIM]);
  const v = g.input('v', 'float32', [ROWS, DIM]);
  const out = optimizerStep([{ name: 'emb', value: table, grad, decay: true, m, v }], g.constant(0.01, 'float32'), g.constant(3, 'float32'), {
    kind: 'adamw', weightDecay: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm,
  });
  g.output(out.params.get('emb')!, 'p');
  g.output(out.m.get('emb')!, 'm_next');
  g.output(out.v.get('emb')!, 'v_next');
  g.output(out.gradNorm, 'norm');
  const { session } = await createSession(g);
  const t = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);
  const result = await session.run({
    emb: t(values(ROWS * DIM, 1), [ROWS, DIM]),
    ids: new ort.Tensor('int64', BigInt64Array.from([2, 0, 2, 5, 1, 2, 0, 4].map(BigInt)), [2, 4]),
    w: t(values(8 * DIM, 2), [2, 4, DIM]),
    m: t(zeroRows(values(ROWS * DIM, 3).map((x) => x * 0.1), zeroMomentRows), [ROWS, DIM]),
    v: t(zeroRows(values(ROWS * DIM, 4).map((x) => x * x * 0.01), zeroMomentRows.filter((r) => r !== 1)), [ROWS, DIM]),
  });
  await session.release();
  const ops = g.nodes.map((n) => n.op.name);
  return { out: Object.fromEntries(Object.entries(result).map(([k, r]) => [k, r.data as Float32Array])), ops };
}

test('AdamW on an embedding\'s row-sparse gradient gives bit for bit the dense update (rows never looked up decay too)', async () => {
  const sparseStep = await adamStep(false, 0);
  const denseStep = await adamStep(true, 0);
  // The two paths really differ: the row-sparse one sums the rows per distinct id (Unique), the dense one never does.
  assert.ok(sparseStep.ops.includes('Unique'), `the row-sparse path was not taken: ${sparseStep.ops.join(' ')}`);
  assert.ok(!denseStep.ops.includes('Unique'), 'the dense path has no Unique');
  const [sparse, dense] = [sparseStep.out, denseStep.out];
  for (const k of ['p', 'm_next', 'v_next']) assert.deepEqual(Array.from(sparse[k]), Array.from(dense[k]), k);
  // Row 3 is never looked up and row 1 is padding: their moments still decay.
  const mIn = values(ROWS * DIM, 3).map((x) => x * 0.1);
  assert.equal(sparse.m_next[3 * DIM], Math.fround(Math.fround(mIn[3 * DIM]) * Math.fround(0.9)));
  assert.equal(sparse.m_next[DIM], Math.fround(Math.fround(mIn[DIM]) * Math.fround(0.9)));
});

test('with clipping, the row-sparse path\'s norm and update match the dense path\'s to float rounding', async () => {
  const sparse = (await adamStep(false, 0.5)).out;
  const dense = (await adamStep(true, 0.5)).out;
  assert.ok(Math.abs(sparse.norm[0] - dense.norm[0]) <= 1e-6 * dense.norm[0], `norm ${sparse.norm[0]} vs ${dense.norm[0]}`);
  assert.ok(dense.norm[0] > 0.5, 'the case clips');
  for (let i = 0; i < ROWS * DIM; i++) assert.ok(Math.abs(sparse.p[i] - dense.p[i]) <= 1e-6, `p[${i}] ${sparse.p[i]} vs ${dense.p[i]}`);
});

test('rows whose first moment is zero move by weight decay alone, bit for bit as the dense update moves them', async () => {
  // Rows 3 and 1 get no gradient this step (3 is not looked up, 1 is padding) and have m = 0: row 3 was never seen
  // (m = v = 0, so the row-sparse path leaves it out of the rows it gathers), row 1's m decayed to zero with v left
  // (gathered: its v still decays).
  const sparseStep = await adamStep(false, 0, [1, 3]);
  const denseStep = await adamStep(true, 0, [1, 3]);
  assert.ok(sparseStep.ops.includes('GatherND') && sparseStep.ops.includes('NonZero'), `the active-row update was not taken: ${sparseStep.ops.join(' ')}`);
  assert.ok(!denseStep.ops.includes('GatherND'), 'the dense path updates every row');
  for (const k of ['p', 'm_next', 'v_next']) assert.deepEqual(Array.from(sparseStep.out[k]), Array.from(denseStep.out[k]), k);
  const pIn = values(ROWS * DIM, 1);
  for (const row of [1, 3]) {
    for (let d = 0; d < DIM; d++) {
      const i = row * DIM + d;
      // p * (1 - lr * wd), lr 0.01, wd 0.1, in float32.
      assert.equal(sparseStep.out.p[i], Math.fround(pIn[i] * Math.fround(1 - Math.fround(0.01 * 0.1))), `p[${i}]`);
      assert.equal(sparseStep.out.m_next[i], 0);
    }
  }
  // A looked-up row moves by more than decay.
  assert.notEqual(sparseStep.out.p[2 * DIM], Math.fround(pIn[2 * DIM] * Math.fround(1 - Math.fround(0.01 * 0.1))));
});
