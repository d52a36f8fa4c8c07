import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/engine/graph/graph.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import { dropout, hash32, hash32Host, mixHost, randomBitsLike, reduceSum, mul } from '../../src/engine/graph/ops/index.js';
import { gradCheck } from '../helpers/gradcheck.js';

async function runDropout(n: number, p: number, seed: number, counter: number, site: number): Promise<Float32Array> {
  const g = new Graph('dropout');
  const x = g.input('x', 'float32', ['n']);
  const key = { seed: g.input('seed', 'uint32', []), counter: g.input('counter', 'uint32', []) };
  g.output(dropout(x, p, key, site), 'y');
  const { session } = await createSession(g);
  const out = await session.run({
    x: new ort.Tensor('float32', new Float32Array(n).fill(1), [n]),
    seed: new ort.Tensor('uint32', Uint32Array.from([seed]), []),
    counter: new ort.Tensor('uint32', Uint32Array.from([counter]), []),
  });
  await session.release();
  return out.y.data as Float32Array;
}

test('the in-graph hash equals the host hash bit for bit', async () => {
  const g = new Graph('hash');
  const x = g.input('x', 'uint32', [5]);
  g.output(hash32(x), 'h');
  const { session } = await createSession(g);
  const inputs = [0, 1, 42, 0x7fffffff, 0xffffffff];
  const out = await session.run({ x: new ort.Tensor('uint32', Uint32Array.from(inputs), [5]) });
  assert.deepEqual(Array.from(out.h.data as Uint32Array), inputs.map(hash32Host));
});

test('the per-element draws equal the host formula: (seed, counter, site) → stream key → mix of each index', async () => {
  const g = new Graph('bits');
  const x = g.input('x', 'float32', [2, 3]);
  g.output(randomBitsLike(x, { seed: g.input('seed', 'uint32', []), counter: g.input('counter', 'uint32', []) }, 77), 'bits');
  const { session } = await createSession(g);
  const out = await session.run({
    x: new ort.Tensor('float32', new Float32Array(6), [2, 3]),
    seed: new ort.Tensor('uint32', Uint32Array.of(42), []),
    counter: new ort.Tensor('uint32', Uint32Array.of(5), []),
  });
  await session.release();
  const siteKey = hash32Host((42 ^ hash32Host(77)) >>> 0);
  const streamKey = hash32Host((siteKey + Math.imul(5, 0x9e3779b9)) >>> 0);
  assert.deepEqual(Array.from(out.bits.data as Uint32Array), [0, 1, 2, 3, 4, 5].map((i) => mixHost(i, streamKey)));
});

test('dropout keeps about 1-p of the elements and scales them by 1/(1-p)', async () => {
  const y = await runDropout(20000, 0.3, 42, 0, 7);
  const kept = y.filter((v) => v !== 0);
  assert.ok(Math.abs(kept.length / y.length - 0.7) < 0.015, `kept fraction ${kept.length / y.length}`);
  for (const v of kept) assert.equal(v, Math.fround(1 / 0.7));
});

test('masks repeat for the same (seed, counter, site) and differ when any of them changes', async () => {
  const base = await runDropout(512, 0.5, 1, 3, 11);
  assert.deepEqual(await runDropout(512, 0.5, 1, 3, 11), base);
  for (const [seed, counter, site] of [[2, 3, 11], [1, 4, 11], [1, 3, 12]]) {
    const other = await runDropout(512, 0.5, seed, counter, site);
    const same = other.filter((v, i) => (v === 0) === (base[i] === 0)).length;
    assert.ok(same < 320, `(${seed}, ${counter}, ${site}) agrees with the base mask on ${same} of 512`);
  }
});

test('the dropout gradient reuses the forward mask (central differences)', async () => {
  const r = await gradCheck(
    [
      { name: 'x', shape: [3, 4], data: Array.from({ length: 12 }, (_, i) => i / 3 - 2) },
      { name: 'w', shape: [3, 4], data: Array.from({ length: 12 }, (_, i) => Math.cos(i)) },
      { name: 'seed', shape: [], data: [5], dtype: 'uint32' },
      { name: 'counter', shape: [], data: [9], dtype: 'uint32' },
    ],
    ({ x, w, seed, counter }) => reduceSum(mul(dropout(x, 0.4, { seed, counter }, 3), w), [0, 1]),
  );
  assert.ok(r.maxRelError < 1e-6, `max relative error ${r.maxRelError}`);
  const g = r.analytic.get('x')!;
  assert.ok(g.some((v) => v === 0) && g.some((v) => v !== 0), 'some elements dropped, some kept');
});
