import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestToken, processedLogProbs, rowScores, topCandidates } from '../../src/engine/translate/scoring.js';
import type { SearchOptions } from '../../src/engine/translate/search.js';
import { LogSumExp } from '../../src/engine/translate/log-sum-exp.js';

const OPTS: SearchOptions = {
  numBeams: 2, maxLength: 6, lengthPenalty: 1, earlyStopping: false, decoderStartTokenId: 1, eosTokenIds: [2], padTokenId: 1, badTokenIds: [1],
};
// Two rows of six logits; row 1's best raw logit is the forbidden pad token (id 1).
const LOGITS = new Float32Array([0.5, -1, 2, 0.25, 3, -0.5, 1, 9, 0, 2, -3, 1.5]);

function logSoftmax(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
  return row.map((x) => x - lse);
}

test('log-probabilities: log-softmax over the whole row, then the bad token at -inf (transformers\' order)', () => {
  const out = new Float64Array(6);
  processedLogProbs(LOGITS, 1, 6, 2, OPTS, out);
  const expected = logSoftmax(Array.from(LOGITS.slice(6, 12)));
  expected[1] = -Infinity;
  out.forEach((x, i) => assert.ok(x === expected[i] || Math.abs(x - expected[i]) < 1e-12, `token ${i}`));
  const best = bestToken(LOGITS, 6, 6, 2, OPTS, new Set([1]));
  assert.deepEqual(best.token, 3, 'the best allowed token, not the forbidden pad');
  assert.ok(Math.abs(best.logProb - expected[3]) < 1e-12);
});

test('renormalize_logits takes the log-softmax again without the bad tokens; forced steps give the forced token log p 0', () => {
  const out = new Float64Array(6);
  processedLogProbs(LOGITS, 1, 6, 2, { ...OPTS, renormalizeLogits: true }, out);
  const allowed = Array.from(LOGITS.slice(6, 12)).filter((_, i) => i !== 1);
  const renormalized = logSoftmax(allowed);
  [0, 2, 3, 4, 5].forEach((token, j) => assert.ok(Math.abs(out[token] - renormalized[j]) < 1e-12));
  assert.equal(out[1], -Infinity);

  assert.deepEqual(rowScores(LOGITS, 0, 6, 1, { ...OPTS, forcedBosTokenId: 4 }, new Set()), { forced: 4, shift: 0 });
  assert.deepEqual(rowScores(LOGITS, 0, 6, OPTS.maxLength - 1, { ...OPTS, forcedEosTokenId: 2 }, new Set()), { forced: 2, shift: 0 });
  assert.deepEqual(bestToken(LOGITS, 0, 6, 1, { ...OPTS, forcedBosTokenId: 5 }, new Set([1])), { token: 5, logProb: 0 });
});

test('the log-sum-exp session gives the JS normalizer of every row', async () => {
  const lse = await LogSumExp.create(1);
  try {
    const rows = await lse.rows(LOGITS, 2, 6);
    for (const row of [0, 1]) {
      const js = rowScores(LOGITS, row * 6, 6, 2, OPTS, new Set([1])).shift;
      assert.ok(Math.abs(rows[row] - js) < 1e-5, `row ${row}: ${rows[row]} vs ${js}`);
      assert.equal(rowScores(LOGITS, row * 6, 6, 2, OPTS, new Set([1]), rows[row]).shift, rows[row]);
    }
    // With renormalization the given normalizer (over the whole row) is not the right one, so it is not used.
    assert.notEqual(rowScores(LOGITS, 6, 6, 2, { ...OPTS, renormalizeLogits: true }, new Set([1]), rows[1]).shift, rows[1]);
  } finally {
    await lse.release();
  }
});

test('beam candidates: the best 2k of all beams, beam score added, bad tokens out, -inf fillers that are not end tokens', () => {
  const top = topCandidates(LOGITS, 6, 0, [0, -1], 4, 2, OPTS, new Set([1]), new Set([2]));
  const scores = [0, 1].flatMap((beam) => logSoftmax(Array.from(LOGITS.slice(beam * 6, beam * 6 + 6))).map((lp, token) => ({ score: lp + (beam === 0 ? 0 : -1), beam, token })))
    .filter((c) => c.token !== 1)
    .sort((a, b) => b.score - a.score)
    .slice(0, 4);
  assert.deepEqual(top.map((c) => [c.beam, c.token]), scores.map((c) => [c.beam, c.token]));
  top.forEach((c, i) => assert.ok(Math.abs(c.score - scores[i].score) < 1e-12));

  const forced = topCandidates(LOGITS, 6, 0, [0, -1], 4, 1, { ...OPTS, forcedBosTokenId: 4 }, new Set([1]), new Set([2]));
  assert.deepEqual(forced.slice(0, 2).map((c) => [c.beam, c.token, c.score]), [[0, 4, 0], [1, 4, -1]]);
  assert.ok(forced.slice(2).every((c) => c.score === -Infinity && c.token !== 2), 'fillers are -inf and never the end token');
  assert.equal(forced.length, 4);
});
