import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runReference } from '../helpers/reference.js';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { buildInferenceGraph, type InferenceTask } from '../../src/engine/model/inference.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';

// Rows of different lengths: the batch is padded on the right or on the left (pad id 1, mask 0).
const ROWS = [
  [0, 45, 67, 89, 101, 23, 2],
  [0, 12, 2],
  [0, 77, 5, 30, 2],
];

function padded(side: 'right' | 'left') {
  const len = Math.max(...ROWS.map((r) => r.length));
  const pad = (row: number[], value: number, fill: number) => {
    const extra = new Array(len - row.length).fill(fill);
    return side === 'right' ? [...row.map(() => value), ...extra] : [...extra, ...row.map(() => value)];
  };
  return {
    ids: ROWS.map((r) => (side === 'right' ? [...r, ...new Array(len - r.length).fill(1)] : [...new Array(len - r.length).fill(1), ...r])),
    mask: ROWS.map((r) => pad(r, 1, 0)),
    len,
  };
}

async function ours(dir: string, task: InferenceTask, ids: number[][], mask: number[][]): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const folder = loadModelFolder(dir);
  try {
    const { session } = await createSession(buildInferenceGraph(task, folder.config, folder.weights), { threads: 1 });
    const dims = [ids.length, ids[0].length];
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), dims),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.flat().map(BigInt)), dims),
    });
    if (task === 'qa') {
      // start_logits and end_logits [batch, seq], interleaved into the reference's [batch, seq, 2].
      const start = out.start_logits.data as Float32Array;
      const end = out.end_logits.data as Float32Array;
      return { dims: [...out.start_logits.dims, 2], data: Float32Array.from({ length: 2 * start.length }, (_, i) => (i % 2 ? end : start)[i >> 1]) };
    }
    return { dims: out.logits.dims, data: out.logits.data as Float32Array };
  } finally {
    folder.close();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const CASES: { task: InferenceTask; head: 'mlm' | 'seq-cls' | 'token-cls' | 'qa' }[] = [
  { task: 'mlm-logits', head: 'mlm' },
  { task: 'qa', head: 'qa' },
  { task: 'seq-cls', head: 'seq-cls' },
  { task: 'token-cls', head: 'token-cls' },
];

test('logits of every head agree with the plain-PyTorch reference to 1e-4, right- and left-padded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-parity-'));
  try {
    writeTinyXlmr(dir, { head: 'all', seed: 7, std: 0.3 });
    for (const side of ['right', 'left'] as const) {
      const { ids, mask } = padded(side);
      for (const { task, head } of CASES) {
        const got = await ours(dir, task, ids, mask);
        const want = runReference({ model: dir, head, input_ids: ids, attention_mask: mask, dtype: 'float64' });
        assert.deepEqual([...got.dims], want.shape, `${task} ${side}: shape`);
        const diff = maxAbsDiff(got.data, want.data);
        const scale = Math.max(...want.data.map(Math.abs));
        assert.ok(scale > 0.5, `${task}: logits are large enough for the comparison to mean something (${scale})`);
        assert.ok(diff < 1e-4, `${task} ${side}-padded: max |ours - reference| = ${diff}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('left padding changes the sequence-classification logits (position 0 is read even when it is a pad), as in HF', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-parity-'));
  try {
    writeTinyXlmr(dir, { head: 'seq-cls', seed: 3 });
    const right = padded('right');
    const left = padded('left');
    const a = await ours(dir, 'seq-cls', right.ids, right.mask);
    const b = await ours(dir, 'seq-cls', left.ids, left.mask);
    const labels = a.dims[1];
    // Row 0 is the longest (no padding): same both ways. Row 1 is padded: its <s> moved away from position 0.
    assert.ok(maxAbsDiff(a.data.slice(0, labels), b.data.slice(0, labels)) < 1e-5);
    assert.ok(maxAbsDiff(a.data.slice(labels, 2 * labels), b.data.slice(labels, 2 * labels)) > 1e-3);
    const want = runReference({ model: dir, head: 'seq-cls', input_ids: left.ids, attention_mask: left.mask, dtype: 'float64' });
    assert.ok(maxAbsDiff(b.data, want.data) < 1e-4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
