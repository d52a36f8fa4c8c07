import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { Graph, type Value } from '../../src/engine/graph/graph.js';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { buildInferenceGraph } from '../../src/engine/model/inference.js';
import { buildEncoder, firstToken, inferenceContext, type EncoderRows } from '../../src/engine/model/xlmr.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import { modelLoss } from '../../src/engine/train/model-loss.js';

const INTERMEDIATE = 48;

function tinyModel(): { dir: string; done: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'xlm-first-rows-'));
  const dir = join(root, 'model');
  writeTinyXlmr(dir, { head: 'all', numLayers: 3, intermediateSize: INTERMEDIATE, seed: 7 });
  return { dir, done: () => rmSync(root, { recursive: true, force: true }) };
}

/** The `<s>` vector of the last hidden state from an encoder computing `rows`. */
async function firstRow(dir: string, rows: EncoderRows, ids: number[][], mask: number[][]): Promise<Float32Array> {
  const folder = loadModelFolder(dir);
  try {
    const g = new Graph('first_row');
    const ctx = inferenceContext(g, folder.config, folder.weights);
    const hidden = buildEncoder(ctx, g.input('input_ids', 'int64', ['batch', 'seq']), g.input('attention_mask', 'int64', ['batch', 'seq']), undefined, undefined, rows);
    g.output(firstToken(hidden), 'cls');
    const { session } = await createSession(g, { threads: 1 });
    const dims = [ids.length, ids[0].length];
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), dims),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.flat().map(BigInt)), dims),
    });
    await session.release();
    return out.cls.data as Float32Array;
  } finally {
    folder.close();
  }
}

/** The row count (axis 1) of each layer's GELU, the Erf over [batch, rows, intermediate] in the feed-forward. */
function feedForwardRows(values: Iterable<Value>): string[] {
  const shapes: string[] = [];
  for (const v of values) if (v.rank === 3 && v.shape[2] === INTERMEDIATE && v.producer?.op.name === 'Erf') shapes.push(String(v.shape[1]));
  return shapes;
}

const graphValues = (g: Graph) => g.nodes.flatMap((n) => n.outputs);

test("an encoder computing only the first row gives the same <s> vector as the full one, right- and left-padded", async () => {
  const { dir, done } = tinyModel();
  try {
    const right = { ids: [[0, 45, 67, 89, 2], [0, 12, 2, 1, 1]], mask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]] };
    const left = { ids: [[0, 45, 67, 89, 2], [1, 1, 0, 12, 2]], mask: [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]] };
    for (const { ids, mask } of [right, left]) {
      const all = await firstRow(dir, 'all', ids, mask);
      const first = await firstRow(dir, 'first', ids, mask);
      assert.equal(first.length, all.length);
      let diff = 0;
      for (let i = 0; i < all.length; i++) diff = Math.max(diff, Math.abs(all[i] - first[i]));
      assert.ok(diff < 1e-5, `max |difference| ${diff}`);
      // The rows really differ from each other, so the check compares something.
      assert.ok(Math.abs(all[0] - all[all.length / 2]) > 1e-4);
    }
  } finally {
    done();
  }
});

test("sequence classification's graphs (inference and training) run the last layer's feed-forward on one row", async () => {
  const { dir, done } = tinyModel();
  const folder = loadModelFolder(dir);
  try {
    // Three layers: two feed-forwards over every row ('seq'), the last over one.
    assert.deepEqual(feedForwardRows(graphValues(buildInferenceGraph('seq-cls', folder.config, folder.weights))).sort(), ['1', 'seq', 'seq']);
    assert.deepEqual(feedForwardRows(graphValues(buildInferenceGraph('token-cls', folder.config, folder.weights))), ['seq', 'seq', 'seq']);
    for (const [task, expected] of [['seq-cls', ['1', 'seq', 'seq']], ['token-cls', ['seq', 'seq', 'seq']]] as const) {
      const g = new Graph('loss');
      const key = { seed: g.input('seed', 'uint32', []), counter: g.input('counter', 'uint32', []) };
      const model = modelLoss({ head: task, config: folder.config, numLabels: 3, weights: folder.weights, method: 'full', initSeed: 1 });
      model.build(g, key);
      // The loss builder's graph is the forward and loss (the step graph adds the backward).
      assert.deepEqual(feedForwardRows(graphValues(g)).sort(), [...expected].sort(), task);
    }
  } finally {
    folder.close();
    done();
  }
});
