// Confident learning against cleanlab's own answers: fixtures/cleanlab-cases.json holds inputs and what
// cleanlab's find_label_issues (defaults), get_confident_thresholds and compute_confident_joint returned for
// them (fixtures/make-cleanlab-cases.py says how it was run), a case small enough to follow by hand, and
// round_preserving_sum's answers on three rows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findLabelIssues, roundPreservingSum, withRuledOut } from '../../src/engine/audit/confident-learning.js';

interface Case {
  name: string;
  classes: number;
  labels: number[];
  probs: number[][];
  thresholds: number[];
  confidentJoint: number[][];
  issues: number[];
  ranked: number[];
}

const cases = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'cleanlab-cases.json'), 'utf8')) as Case[];

for (const c of cases) {
  test(`the same rows as cleanlab, in its order: ${c.name}`, () => {
    const result = findLabelIssues(c.labels, c.probs, c.classes);
    result.thresholds.forEach((t, k) => assert.ok(Math.abs(t - c.thresholds[k]) < 1e-12, `threshold ${k}: ${t} vs ${c.thresholds[k]}`));
    assert.deepEqual(result.confidentJoint, c.confidentJoint);
    assert.deepEqual([...result.issues.map((i) => i.index)].sort((a, b) => a - b), c.issues);
    assert.deepEqual(result.issues.map((i) => i.index), c.ranked);
  });
}

test('by hand: the one row whose label another class confidently claims is flagged, with that class suggested', () => {
  // Class 0 rows are confident about 0 (threshold 0.74), class 1 rows about 1 (threshold 0.66); row 5 is
  // labelled 1 but gives 0 a 0.9 (above 0's threshold), so C[1][0] = 1 and the row with the largest p0 - p1
  // among class-1 rows is pruned.
  const labels = [0, 0, 0, 1, 1, 1];
  const probs = [[0.8, 0.2], [0.7, 0.3], [0.72, 0.28], [0.1, 0.9], [0.2, 0.8], [0.9, 0.1]];
  const result = findLabelIssues(labels, probs, 2);
  assert.deepEqual(result.thresholds.map((t) => Math.round(t * 1000) / 1000), [0.74, 0.6]);
  assert.deepEqual(result.issues, [{ index: 5, given: 1, suggested: 0, selfConfidence: 0.1 }]);
});

test('a row the model all but rules out is flagged even where confident learning lets it go (the Thai rows of a user trial)', () => {
  // Class 1 (Thai) rows are very sure (threshold 0.95); rows 4 and 5 are Thai text labelled 0 and 2, and give Thai
  // only 0.88: under its threshold, so confident learning counts them nowhere. Row 4 gives its label 0.1%: ruled out.
  // Row 5 gives its label 2% (above 1%) and row 8 gives its best class under a half: both are left alone.
  const labels = [0, 0, 1, 1, 0, 2, 2, 2, 2];
  const probs = [
    [0.9, 0.05, 0.05], [0.92, 0.04, 0.04], [0.02, 0.96, 0.02], [0.03, 0.94, 0.03],
    [0.001, 0.88, 0.119], [0.1, 0.88, 0.02], [0.05, 0.05, 0.9], [0.04, 0.04, 0.92],
    [0.497, 0.498, 0.005],
  ];
  const result = findLabelIssues(labels, probs, 3);
  assert.equal(result.issues.some((i) => i.index === 4), false, 'confident learning alone misses row 4');
  const issues = withRuledOut(result, labels, probs);
  assert.deepEqual(issues.find((i) => i.index === 4), { index: 4, given: 0, suggested: 1, selfConfidence: 0.001 });
  assert.equal(issues.some((i) => i.index === 5), false, 'row 5 gives its label 2%');
  assert.equal(issues.some((i) => i.index === 8), false, "row 8's best class has under a half");
  // Confident learning's own flags stay, and the list keeps its order: lowest self-confidence first.
  for (const issue of result.issues) assert.ok(issues.some((i) => i.index === issue.index));
  assert.deepEqual(issues.map((i) => i.selfConfidence), [...issues.map((i) => i.selfConfidence)].sort((a, b) => a - b));
});

test('a clean set flags nothing', () => {
  const labels = [0, 1, 2, 0, 1, 2];
  const probs = labels.map((l) => [0, 1, 2].map((k) => (k === l ? 0.9 : 0.05)));
  assert.deepEqual(findLabelIssues(labels, probs, 3).issues, []);
});

test("rounding keeps the sum: halves to even, ties as cleanlab's round_preserving_sum breaks them", () => {
  assert.deepEqual(roundPreservingSum([0.5, 1.5, 2.5]), [0, 2, 2]);
  assert.deepEqual(roundPreservingSum([0.4, 0.4, 0.4]), [0, 0, 1]);
  assert.deepEqual(roundPreservingSum([1.6, 1.6, 1.8]), [1, 2, 2]);
});
