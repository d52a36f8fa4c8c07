// Entity-level scores the way seqeval computes them by default; expected values worked out by hand below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entityMetrics, extractEntities } from '../../src/engine/metrics/ner.js';

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);
const spans = (tags: string[]) => extractEntities(tags).map((e) => `${e.type}:${e.start}-${e.end}`);

test("entity extraction follows seqeval's lenient reading of tag sequences", () => {
  assert.deepEqual(spans(['B-PER', 'I-PER', 'O', 'B-LOC']), ['PER:0-1', 'LOC:3-3']); // seqeval's own docstring example
  assert.deepEqual(spans(['O', 'I-PER', 'I-PER', 'O']), ['PER:1-2'], 'I- after O starts an entity');
  assert.deepEqual(spans(['I-LOC', 'O']), ['LOC:0-0'], 'I- at the start starts an entity');
  assert.deepEqual(spans(['B-PER', 'I-LOC']), ['PER:0-0', 'LOC:1-1'], 'a type change splits');
  assert.deepEqual(spans(['B-PER', 'B-PER', 'I-PER']), ['PER:0-0', 'PER:1-2'], 'B- after B- of one type: two entities');
  assert.deepEqual(spans(['O', 'I-ORG', 'B-ORG', 'I-ORG']), ['ORG:1-1', 'ORG:2-3']);
  assert.deepEqual(spans(['S-PER', 'B-LOC', 'E-LOC', 'I-LOC']), ['PER:0-0', 'LOC:1-2', 'LOC:3-3'], 'E- and S- close entities');
  assert.deepEqual(spans(['B', 'I', 'O']), ['_:0-1'], "a tag without a type has type '_'");
  assert.deepEqual(spans(['O', 'O']), []);
});

test("seqeval's documented example: F1 0.50, token accuracy 0.80", () => {
  const m = entityMetrics(
    [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']],
    [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']],
  );
  close(m.f1, 0.5, 'f1');
  close(m.tokenAccuracy, 0.8, 'accuracy');
});

// s1 gold PER 0-1, LOC 3-5      pred PER 0-1 (right), LOC 3-4 (partial span: wrong)
// s2 gold ORG 1-2, MISC 4       pred ORG 1-2 (I- after O starts it: right), PER 4 (wrong type)
// s3 gold LOC 0                 pred LOC 1 (I- after O, wrong place)
// s4 gold PER 0-1               pred PER 0, LOC 1 (type change splits: both wrong)
// gold 6, predicted 7, correct 2 → P 2/7, R 1/3, F1 4/13
// LOC: gold 2, pred 3, correct 0 → 0 / 0 / 0      MISC: gold 1, pred 0 → 0 / 0 / 0
// ORG: gold 1, pred 1, correct 1 → 1 / 1 / 1      PER: gold 2, pred 3, correct 1 → 1/3, 1/2, F1 0.4
// tokens: 5 of 6, 3 of 5, 0 of 2, 1 of 2 right → 9/15
const gold = [
  ['B-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC', 'I-LOC'],
  ['O', 'B-ORG', 'I-ORG', 'O', 'B-MISC'],
  ['B-LOC', 'O'],
  ['B-PER', 'I-PER'],
];
const predicted = [
  ['B-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC', 'O'],
  ['O', 'I-ORG', 'I-ORG', 'O', 'I-PER'],
  ['O', 'I-LOC'],
  ['B-PER', 'I-LOC'],
];

test('exact span match over sentences with partial spans, I- after O and wrong types', () => {
  const m = entityMetrics(gold, predicted);
  assert.deepEqual([m.goldEntities, m.predictedEntities, m.correctEntities], [6, 7, 2]);
  close(m.precision, 2 / 7, 'precision');
  close(m.recall, 1 / 3, 'recall');
  close(m.f1, 4 / 13, 'f1');
  close(m.tokenAccuracy, 9 / 15, 'token accuracy');
  assert.deepEqual(
    m.perType.map((t) => [t.type, t.support, t.predicted, t.correct]),
    [
      ['LOC', 2, 3, 0],
      ['MISC', 1, 0, 0],
      ['ORG', 1, 1, 1],
      ['PER', 2, 3, 1],
    ],
  );
  const per = m.perType[3];
  close(per.precision, 1 / 3, 'PER precision');
  close(per.recall, 1 / 2, 'PER recall');
  close(per.f1, 0.4, 'PER f1');
  close(m.macroF1, (0 + 0 + 1 + 0.4) / 4, 'macro f1');
  close(m.macroPrecision, (0 + 0 + 1 + 1 / 3) / 4, 'macro precision');
  close(m.macroRecall, (0 + 0 + 1 + 0.5) / 4, 'macro recall');
});

test('an entity never runs across a sentence boundary', () => {
  // One sentence ending in I-PER and the next starting with I-PER are two entities.
  const m = entityMetrics([['B-PER', 'I-PER'], ['I-PER', 'O']], [['B-PER', 'I-PER'], ['B-PER', 'O']]);
  assert.equal(m.goldEntities, 2);
  assert.equal(m.correctEntities, 2);
});

test('sentences of different lengths are a caller bug, refused', () => {
  assert.throws(() => entityMetrics([['O', 'O']], [['O']]), /sentence 0 has 2 gold tags but 1 predicted/);
});
