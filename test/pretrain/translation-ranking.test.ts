import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RANK_SCALE, translationRankingLoss } from '../../src/engine/pretrain/pretrain-model.js';
import { analyticGradients, gradCheck, type GradInput } from '../helpers/gradcheck.js';

// Four rows of up to three tokens (hidden size 2): rows 0 and 2 are pair 0, rows 3 and 1 pair 1; rows 1 and 3 end in padding.
const B = 4;
const S = 3;
const H = 2;
const hidden = [0.3, -1.2, 0.8, 0.5, 0.1, -0.4, -0.7, 0.9, 0.0, 2.0, 5.0, -5.0, 1.1, 0.2, -0.3, 0.6, 0.4, -0.9, 0.25, -0.5, 7.0, 7.0, -3.0, 1.0];
const mask = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0];
const first = [0, 3];
const second = [2, 1];

function inputs(): GradInput[] {
  return [
    { name: 'hidden', shape: [B, S, H], data: hidden },
    { name: 'mask', shape: [B, S], data: mask, dtype: 'int64' },
    { name: 'first', shape: [2], data: first, dtype: 'int64' },
    { name: 'second', shape: [2], data: second, dtype: 'int64' },
    { name: 'labels', shape: [2], data: [0, 1], dtype: 'int64' },
  ];
}

/** The loss by hand: mean-pool the real tokens, unit length, scaled cosines, cross-entropy by row and by column. */
function reference(): number {
  const pooled = Array.from({ length: B }, (_, b) => {
    const v = [0, 0];
    let n = 0;
    for (let s = 0; s < S; s++) {
      if (!mask[b * S + s]) continue;
      n++;
      for (let d = 0; d < H; d++) v[d] += hidden[(b * S + s) * H + d];
    }
    const mean = v.map((x) => x / n);
    const norm = Math.hypot(...mean);
    return mean.map((x) => x / norm);
  });
  const score = (i: number, j: number) => RANK_SCALE * pooled[first[i]].reduce((t, x, d) => t + x * pooled[second[j]][d], 0);
  const ce = (row: (j: number) => number, gold: number) => Math.log([0, 1].reduce((t, j) => t + Math.exp(row(j)), 0)) - row(gold);
  const byRow = (ce((j) => score(0, j), 0) + ce((j) => score(1, j), 1)) / 2;
  const byColumn = (ce((i) => score(i, 0), 0) + ce((i) => score(i, 1), 1)) / 2;
  return (byRow + byColumn) / 2;
}

const build = ({ hidden: h, mask: m, first: f, second: s, labels }: Record<string, import('../../src/engine/graph/graph.js').Value>) => translationRankingLoss(h, m, f, s, labels);

test('translation ranking: mean-pooled over real tokens, cosine times the scale, cross-entropy both ways', async () => {
  const { loss } = await analyticGradients(inputs(), build);
  const expected = reference();
  assert.ok(expected > 0.01, 'the example is not already perfectly ranked');
  assert.ok(Math.abs(loss - expected) < 1e-9, `graph ${loss} vs by hand ${expected}`);
});

test('translation ranking: the gradient with respect to the hidden states matches central differences, padding gets none', async () => {
  const r = await gradCheck(inputs(), build);
  assert.ok(r.maxRelError < 1e-5, `max relative error ${r.maxRelError}`);
  const g = r.analytic.get('hidden')!;
  for (let t = 0; t < B * S; t++) {
    if (!mask[t]) assert.deepEqual([g[t * H], g[t * H + 1]], [0, 0], `padded token ${t} gets no gradient`);
  }
  assert.ok(g.some((v) => Math.abs(v) > 1e-6));
});
